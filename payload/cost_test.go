package payload

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// The detector's fast paths against the definitions they stand for:
// tables read in place of comparisons, gates in front of checks, the
// fetch memo holding the navigation-name test, the word read that finds
// a short JSON string's end.

func TestFastTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if identByte[c] != isIdent(b) {
			t.Errorf("identByte[%#x] = %v, isIdent %v", c, identByte[c], isIdent(b))
		}
		if spaceByte[c] != isSpace(b) {
			t.Errorf("spaceByte[%#x] = %v, isSpace %v", c, spaceByte[c], isSpace(b))
		}
		want := uint8(0)
		switch {
		case authorityEnd[c]:
			want = authEnd
		case b == '@' || b == ':':
			want = authMark
		}
		if authorityByte[c] != want {
			t.Errorf("authorityByte[%#x] = %d, want %d", c, authorityByte[c], want)
		}
		lead := false
		for _, d := range dangerousSchemes {
			lead = lead || equalFoldStr([]byte{b}, d[:1])
		}
		if dangerousLead[c] != lead {
			t.Errorf("dangerousLead[%#x] = %v, want %v", c, dangerousLead[c], lead)
		}
	}
}

// urlSignals runs check on v at a JSON value named name and returns the
// signals it recorded.
func urlSignals(d *Detector, name, v string, check func(s *scan, v []byte)) (sig []float32, best [numClasses]evidence) {
	s := d.pool.Get().(*scan)
	defer func() {
		s.reset()
		d.pool.Put(s)
	}()
	s.loc, s.name = "json", []byte(name)
	check(s, []byte(v))
	for _, id := range s.touched {
		sig = append(sig, float32(id), s.sigW[id])
	}
	return sig, s.best
}

func FuzzCheckURLs(f *testing.F) {
	for _, v := range []string{
		"https://shop.example.com/p/12?ref=list",
		"gopher://127.0.0.1:6379/_INFO", "FILE:///etc/passwd", "dict://x:11211/stats",
		"see http://user@169.254.169.254:80/latest and ldap://10.0.0.1/a",
		"http://[::1]:8080/x", "http://::ffff:127.0.0.1/", "http://1.2.3.4/shell.php?",
		"jar:http://x/a.jar!/b", "http://evil.example/x.txt?\x00", "https:// spaced",
		"Http://LOCALHOST./admin\tnext", "http://a@b@127.1:1/\\x",
	} {
		f.Add("url", v)
		f.Add("include_path", v)
		f.Add("redirect_uri", v)
	}
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, name, v string) {
		gotSig, gotBest := urlSignals(d, name, v, func(s *scan, v []byte) { s.checkURLs(v, 0.9) })
		wantSig, wantBest := urlSignals(d, name, v, func(s *scan, v []byte) { s.refCheckURLs(v, 0.9) })
		if !reflect.DeepEqual(gotSig, wantSig) || gotBest != wantBest {
			t.Fatalf("%q=%q: checkURLs signals %v %+v, reference %v %+v", name, v, gotSig, gotBest, wantSig, wantBest)
		}
		if v == "" {
			return // bareHost is given values, not empty ones
		}
		gotSig, gotBest = urlSignals(d, name, v, func(s *scan, v []byte) { s.bareHost(v) })
		wantSig, wantBest = urlSignals(d, name, v, func(s *scan, v []byte) {
			if hostByte(v[0]) && refFetchName(s) {
				s.checkBareHost(v)
			}
		})
		if !reflect.DeepEqual(gotSig, wantSig) || gotBest != wantBest {
			t.Fatalf("%q=%q: bareHost signals %v %+v, reference %v %+v", name, v, gotSig, gotBest, wantSig, wantBest)
		}
	})
}

// refFetchName is fetchName as it read before the fetch memo held the
// navigation-name test.
func refFetchName(s *scan) bool {
	if s.inName || len(s.name) < 3 || len(s.name) > 64 {
		return false
	}
	switch s.loc {
	case "query", "form", "json", "xml", "multipart":
	default:
		return false
	}
	if !hasNameWord(s.name, fetchNames[:]) {
		return false
	}
	for _, n := range [...]string{"redirect", "return", "next", "continue"} {
		if indexFold(s.name, n) >= 0 {
			return false
		}
	}
	return true
}

// refCheckURLs is checkURLs as it read before its walks used tables: a
// comparison per dangerous scheme and per authority byte.
func (s *scan) refCheckURLs(v []byte, factor float64) {
	found := 0
	for i := 0; i+2 < len(v) && found < 4; i++ {
		k := bytes.IndexByte(v[i:], ':')
		if k < 0 {
			return
		}
		i += k
		if i+2 >= len(v) {
			return
		}
		var schemeEnd, authStart int
		switch {
		case v[i] == ':' && v[i+1] == '/' && v[i+2] == '/':
			schemeEnd, authStart = i, i+3
		case v[i] == ':' && i >= 3 && indexFold(v[i-3:i], "jar") == 0:
			schemeEnd, authStart = i, i+1
		default:
			continue
		}
		found++
		st := schemeEnd
		for st > 0 && isSchemeChar(v[st-1]) {
			st--
		}
		scheme := v[st:schemeEnd]
		if len(scheme) == 0 {
			continue
		}
		if authStart >= len(v) || isSpace(v[authStart]) {
			continue
		}
		for _, d := range dangerousSchemes {
			if equalFoldStr(scheme, d) {
				w := 0.75
				switch {
				case d == "gopher" || d == "dict":
					w = 0.85
				case d == "file" && localFile(v[authStart:]):
					w = 0.85
				}
				s.signal(len(rules)+sigSSRFScheme, cSSRF, w*factor, v, st)
			}
		}
		end := authStart
		hostStart, colon := authStart, -1
		for end < len(v) && end-authStart < 256 {
			c := v[end]
			if authorityEnd[c] {
				break
			}
			switch c {
			case '@':
				hostStart, colon = end+1, -1
			case ':':
				colon = end
			}
			end++
		}
		host := v[hostStart:end]
		if len(host) > 0 && host[0] == '[' {
			if k := indexByte(host, ']'); k > 0 {
				host = host[:k+1]
			}
		} else if colon >= 0 {
			host = v[hostStart:colon]
		}
		kind := hostKind(host)
		if kind == hostName && colon >= 0 && end-hostStart <= 45 && bytes.Count(v[hostStart:end], []byte(":")) >= 2 {
			var b [47]byte
			b[0] = '['
			n := copy(b[1:], v[hostStart:end])
			b[n+1] = ']'
			if hostKind(b[:n+2]) != hostName {
				kind = hostPublicIP
			}
		}
		switch kind {
		case hostMetadata:
			s.signal(len(rules)+sigSSRFMetadata, cSSRF, 0.9*factor, v, st)
		case hostInternal:
			s.signal(len(rules)+sigSSRFInternal, cSSRF, 0.6*factor, v, st)
		case hostPublicIP:
			s.signal(len(rules)+sigRFIIP, cRFI, 0.45*factor, v, st)
		}
		j := end
		for j < len(v) && !isSpace(v[j]) && j-end < 1024 {
			j++
		}
		if kind == hostInternal && st == skipSpaceFwd(v, 0) && skipSpaceFwd(v, j) == len(v) && s.fetchedURL(scheme) {
			s.signal(len(rules)+sigSSRFWhole, cSSRF, 0.6*factor, v, st)
		}
		cut := j > end && v[j-1] == '?' && (j == len(v) || isSpace(v[j]))
		if cut {
			s.signal(len(rules)+sigRFIQuery, cRFI, 0.5*factor, v, st)
		}
		if (kind == hostPublicIP || cut || bytes.IndexByte(v[end:j], 0) >= 0) && isRemoteScheme(scheme) {
			if codeFile(v[end:j]) {
				s.signal(len(rules)+sigRFICode, cRFI, 0.85*factor, v, st)
			}
			if st == skipSpaceFwd(v, 0) && includeParam(s.name) {
				s.signal(len(rules)+sigRFIParam, cRFI, 0.45*factor, v, st)
			}
		}
	}
}

// FuzzQuoteIn8: the word read finds the first '"' of the first eight
// bytes as a byte search does, whatever the bytes around it (0x21, 0x23
// and 0xa2 are one bit from '"'; a borrow must not reach past a match;
// bytes of 0x80 and up must not pass for a match).
func FuzzQuoteIn8(f *testing.F) {
	for _, s := range []string{`id":1`, `description"`, `"`, `abcdefg"`, "\x21\x22\x23\xa2\x01\x00\"x", "\x00\x01\x02\x03\x04\x05\x06\x07", `\"x"`, `a\u0022"`, "n\xe9e\xa3\"abcd"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := -1
		if len(b) >= 8 {
			want = bytes.IndexByte(b[:8], '"')
		}
		if got := quoteIn8(b); got != want {
			t.Fatalf("quoteIn8(%q) = %d, want %d", b, got, want)
		}
	})
}

// FuzzConjStart: conjStart's first-byte gate turns away only values
// the full test turns away.
func FuzzConjStart(f *testing.F) {
	for _, s := range []string{"or 1=1", " AND(1)", "xor x", "|| 1", "&& 1", "https://x/?a=b", "Product 12", "o", "\\\\ x", "\x06\x06 x", " ", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if got, want := conjStart(v), refConjStart(v); got != want {
			t.Fatalf("conjStart(%q) = %v, reference %v", v, got, want)
		}
	})
}

// refConjStart is conjStart without its first-byte gate.
func refConjStart(v []byte) bool {
	i := skipSpaceFwd(v, 0)
	if i+2 < len(v) && (v[i] == '|' && v[i+1] == '|' || v[i] == '&' && v[i+1] == '&') {
		return true
	}
	j := i
	for j < len(v) && j-i < 3 && isLetter(v[j]) {
		j++
	}
	if j >= len(v) || v[j] != ' ' && v[j] != '(' && v[j] != '\t' {
		return false
	}
	w := v[i:j]
	return equalFoldStr(w, "or") || equalFoldStr(w, "and") || equalFoldStr(w, "xor")
}

// FuzzCheckUTF7: the '+' gate changes no signal.
func FuzzCheckUTF7(f *testing.F) {
	for _, s := range []string{"+ADw-script+AD4-", "+ADw-/x", "a+ADw-", "+ADw-1", "Product 12", "+AD"} {
		f.Add(s)
	}
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, v string) {
		gotSig, gotBest := urlSignals(d, "q", v, func(s *scan, v []byte) { s.checkUTF7(v) })
		wantSig, wantBest := urlSignals(d, "q", v, func(s *scan, v []byte) {
			i := bytes.Index(v, []byte("+ADw-"))
			if i < 0 || i+5 >= len(v) || !isLetter(v[i+5]) && v[i+5] != '/' {
				return
			}
			s.signal(len(rules)+sigUTF7, cXSS, 0.85, v, i)
		})
		if !reflect.DeepEqual(gotSig, wantSig) || gotBest != wantBest {
			t.Fatalf("%q: checkUTF7 signals %v, reference %v", v, gotSig, wantSig)
		}
	})
}

// FuzzNameFacts: the memo of name facts answers as reading the name
// does, for names that share a slot, come back (in the same request or
// the next), or are too long to keep.
func FuzzNameFacts(f *testing.F) {
	f.Add("description,name,url,password,description,api_key,note,Notes,x,")
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaaa,text,TEXT,token,tokens,comment,comment")
	d := newTestDetector(f)
	f.Fuzz(func(t *testing.T, names string) {
		s := d.pool.Get().(*scan)
		defer func() {
			s.reset()
			d.pool.Put(s)
		}()
		for range 2 {
			// The memo outlives a request: the second round reads it
			// after a reset.
			s.reset()
			for _, n := range strings.Split(names, ",") {
				name := []byte(n)
				var want nameFact
				if d.secrets.MatchBytes(name) {
					want |= factSecret
				}
				if textField(name) {
					want |= factText
				}
				if got := s.nameFacts(name); got != want {
					t.Fatalf("nameFacts(%q) = %b, want %b", n, got, want)
				}
				if got := s.secretName(name); got != (want&factSecret != 0) {
					t.Fatalf("secretName(%q) = %v", n, got)
				}
			}
		}
	})
}

// FuzzIPv4Digit: parseIPv4Any accepts no host that does not start with
// a digit, which hostKind takes for granted to skip it.
func FuzzIPv4Digit(f *testing.F) {
	for _, h := range []string{"127.0.0.1", "0x7f.1", "017700000001", "a.1", "f", ".1", "shop.example.com", "2130706433", "0"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if _, ok := parseIPv4Any([]byte(h)); ok && (h[0] < '0' || h[0] > '9') {
			t.Fatalf("parseIPv4Any(%q) accepts a host that starts with %q", h, h[0])
		}
	})
}
