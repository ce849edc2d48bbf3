package payload

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/warden-dev/warden/abuse"
)

// jsonRef is the recursive JSON walker the iterative one replaced, kept
// as the reference its events are compared with. It walks a JSON body (or several concatenated values, as in NDJSON):
// every key and string value is inspected, keys as names. Nesting deeper
// than MaxDepth, a syntax error or a truncated body ends the walk, and
// the rest of the body is then inspected as text.
func (s *scan) jsonRef(b []byte) {
	s.loc, s.name = "json", nil
	w := jsonRefWalker{s: s, b: b, max: s.d.cfg.MaxDepth}
	for {
		w.ws()
		if w.i >= len(b) || s.values >= s.d.cfg.MaxValues {
			return
		}
		if !w.value() {
			break
		}
	}
	if w.i < len(b) {
		s.loc, s.name = "json", nil
		s.value(b[w.i:])
	}
}

type jsonRefWalker struct {
	s     *scan
	b     []byte
	i     int
	depth int
	max   int
}

func (w *jsonRefWalker) ws() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// value parses one value at w.i; it reports false on a syntax error,
// leaving w.i where the error is.
func (w *jsonRefWalker) value() bool {
	if w.i >= len(w.b) || w.s.values >= w.s.d.cfg.MaxValues {
		return false
	}
	switch c := w.b[w.i]; c {
	case '{', '[':
		if w.depth >= w.max {
			return false
		}
		w.depth++
		w.i++
		ok := false
		if c == '{' {
			ok = w.object()
		} else {
			ok = w.array()
		}
		w.depth--
		return ok
	case '"':
		start := w.i
		v, ok := w.strView(&w.s.tbuf)
		if !ok {
			w.i = start
			return false
		}
		w.s.value(v)
		return true
	default:
		start := w.i
		for w.i < len(w.b) {
			c := w.b[w.i]
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E' {
				w.i++
				continue
			}
			break
		}
		return w.i > start
	}
}

func (w *jsonRefWalker) object() bool {
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == '}' {
		w.i++
		return true
	}
	for {
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			return false
		}
		key, ok := w.strView(&w.s.nbuf)
		if !ok {
			return false
		}
		w.s.name = key
		w.s.nameValue(key)
		w.ws()
		if w.i >= len(w.b) || w.b[w.i] != ':' {
			return false
		}
		w.i++
		w.ws()
		if !w.value() {
			return false
		}
		w.ws()
		if w.i >= len(w.b) {
			return false
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case '}':
			w.i++
			return true
		default:
			return false
		}
	}
}

func (w *jsonRefWalker) array() bool {
	w.ws()
	if w.i < len(w.b) && w.b[w.i] == ']' {
		w.i++
		return true
	}
	for {
		w.ws()
		if !w.value() {
			return false
		}
		w.ws()
		if w.i >= len(w.b) {
			return false
		}
		switch w.b[w.i] {
		case ',':
			w.i++
		case ']':
			w.i++
			return true
		default:
			return false
		}
	}
}

// strView returns the JSON string at w.i (which is '"'): a view of the
// body when it holds no escapes (the common case, no copy), else its
// decoded form in *buf.
func (w *jsonRefWalker) strView(buf *[]byte) ([]byte, bool) {
	b := w.b[w.i+1:]
	q := bytes.IndexByte(b, '"')
	if q >= 0 && bytes.IndexByte(b[:q], '\\') < 0 {
		w.i += q + 2
		return b[:q], true
	}
	if q < 0 && bytes.IndexByte(b, '\\') < 0 {
		return nil, false
	}
	var ok bool
	*buf, ok = w.str((*buf)[:0])
	return *buf, ok
}

// str decodes the JSON string at w.i (which is '"') into dst.
func (w *jsonRefWalker) str(dst []byte) ([]byte, bool) {
	b := w.b
	i := w.i + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			w.i = i + 1
			return dst, true
		case c == '\\':
			if i+1 >= len(b) {
				return dst, false
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
				i += 2
			case 'b':
				dst = append(dst, '\b')
				i += 2
			case 'f':
				dst = append(dst, '\f')
				i += 2
			case 'n':
				dst = append(dst, '\n')
				i += 2
			case 'r':
				dst = append(dst, '\r')
				i += 2
			case 't':
				dst = append(dst, '\t')
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					return dst, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4(b, i+2); ok && i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
							i += 6
						}
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, false
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst, false
}

// walkResult walks b with the iterative walker, or the reference, on a
// fresh scan and returns what the walk left: the verdict, the number of
// values inspected, the signals in the order they were first raised and
// the evidence kept for each class.
func walkResult(d *Detector, b []byte, ref bool) (abuse.Verdict, int, []int32, [numClasses]evidence) {
	s := d.pool.New().(*scan)
	if ref {
		s.jsonRef(b)
	} else {
		s.json(b)
	}
	return s.verdict(), s.values, s.touched, s.best
}

func checkWalkersAgree(t *testing.T, d *Detector, b []byte) {
	t.Helper()
	v1, n1, t1, e1 := walkResult(d, b, false)
	v2, n2, t2, e2 := walkResult(d, b, true)
	if n1 != n2 || !reflect.DeepEqual(v1, v2) || !slices.Equal(t1, t2) || e1 != e2 {
		t.Fatalf("%q: walker and reference differ:\n values %d / %d\n verdict %+v\n      ref %+v\n signals %v / %v", b, n1, n2, v1, v2, t1, t2)
	}
}

// walkDetectors are configurations that reach the walker's bounds.
func walkDetectors(t testing.TB) []*Detector {
	var ds []*Detector
	for _, c := range []struct{ depth, values int }{{32, 2048}, {3, 2048}, {1, 5}, {64, 3}, {1000, 2048}} {
		cfg := DefaultConfig()
		cfg.MaxDepth, cfg.MaxValues = c.depth, c.values
		cfg.ChatContent = ChatInspect // the reference knows no chat bodies
		d, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

var walkCases = []string{
	`{"a":[1,"b",{"c":"\u003cscript>alert(1)</script>"}],"$ne":null}`,
	`{"q":"1' OR '1'='1","u":"http://169.254.169.254/latest","n":-1.5e+3,"t":true}`,
	`[[[[`, `{"a":`, `{"a" "b"}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{,}`, `{"a":1}}`, `"x"`, `12`, `nul`,
	`{"a":"\ud83d\ude00","b":"\ud83d","c":"\x"}`, `{"a":"unterminated`, `{"a\"b":"c\\"}`, `{"k\u0024where":"1"}`,
	`{"a":{"b":{"c":{"d":{"e":"'; DROP TABLE users; --"}}}}}`, `[{"x":[{"y":"<svg onload=alert(1)>"}]},"z"]`,
	"{\"a\" :\t[ \"b\" ,\n\"c\" ] ,\r\"d\" : { } , \"e\":[ ]}", `{}{"a":"${jndi:ldap://x/a}"}[1]"s"`,
	`{"a":[1,[2,[3,[4,[5,"deep ../../etc/passwd"]]]]]}`, `{"a":1} trailing text <script>`, ` `, ``,
	`["a","b","c","d","e","f","g","h","i","j"]`, `{"1":"2","3":"4","5":"6","7":"8"}`,
}

func TestJSONWalkMatchesReference(t *testing.T) {
	for _, d := range walkDetectors(t) {
		for _, c := range walkCases {
			checkWalkersAgree(t, d, []byte(c))
		}
		checkWalkersAgree(t, d, []byte(jsonBody8K()))
		checkWalkersAgree(t, d, []byte(jsonProse8K()))
	}
}

func FuzzJSONWalk(f *testing.F) {
	for _, c := range walkCases {
		f.Add([]byte(c))
	}
	ds := walkDetectors(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range ds {
			checkWalkersAgree(t, d, b)
		}
	})
}
