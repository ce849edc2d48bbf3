package ac

import (
	"strings"
	"testing"
)

type hit struct{ id, end int }

func collect(m *Matcher, text string) []hit {
	var hs []hit
	m.Scan([]byte(text), func(id, end int) bool {
		hs = append(hs, hit{id, end})
		return true
	})
	return hs
}

func TestScan(t *testing.T) {
	m := New([]string{"he", "she", "his", "hers", "union select", ""})
	tests := []struct {
		name string
		text string
		want []hit
	}{
		{"classic", "ushers", []hit{{1, 4}, {0, 4}, {3, 6}}},
		{"case folding", "USHERS", []hit{{1, 4}, {0, 4}, {3, 6}}},
		{"whitespace run", "1 UNION \t\n SELECT 2", []hit{{4, 17}}},
		{"no match", "xyz", nil},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(m, tc.text)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestScanMatchesNaive cross-checks the automaton against strings.Index.
func TestScanMatchesNaive(t *testing.T) {
	pats := []string{"../", "..", "etc/passwd", "<script", "script", "a", "aa", "aaa"}
	m := New(pats)
	texts := []string{"../../etc/passwd", "<SCRIPT>aaaa</script>", "....//", ""}
	for _, text := range texts {
		got := map[hit]bool{}
		for _, h := range collect(m, text) {
			got[h] = true
		}
		lower := strings.ToLower(text)
		n := 0
		for id, p := range pats {
			for i := 0; i+len(p) <= len(lower); i++ {
				if lower[i:i+len(p)] == p {
					n++
					if !got[hit{id, i + len(p)}] {
						t.Errorf("%q: missing %q at %d", text, p, i)
					}
				}
			}
		}
		if n != len(got) {
			t.Errorf("%q: got %d matches, naive %d", text, len(got), n)
		}
	}
}

// naive is the reference for Scan: it folds case and whitespace, drops
// every whitespace byte that follows another, and compares each pattern
// at each kept position.
func naive(pats []string, text string) map[hit]int {
	var kept []byte
	var at []int // index in text of each kept byte
	for i := 0; i < len(text); i++ {
		c := fold(text[i])
		if c == ' ' && i > 0 && isSpace(text[i-1]) {
			continue
		}
		kept = append(kept, c)
		at = append(at, i)
	}
	got := map[hit]int{}
	for k := range kept {
		for id, p := range pats {
			if p == "" || len(p) > k+1 {
				continue
			}
			fp := make([]byte, len(p))
			for j := range p {
				fp[j] = fold(p[j])
			}
			if string(kept[k+1-len(p):k+1]) == string(fp) {
				got[hit{id, at[k] + 1}]++
			}
		}
	}
	return got
}

// checkAgainstNaive fails when Scan's matches differ from naive's, or are
// not in order of end position.
func checkAgainstNaive(t *testing.T, m *Matcher, pats []string, text string) {
	t.Helper()
	want := naive(pats, text)
	got := map[hit]int{}
	last := 0
	m.Scan([]byte(text), func(id, end int) bool {
		if end < last {
			t.Errorf("%q: match ending at %d reported after one ending at %d", text, end, last)
		}
		last = end
		got[hit{id, end}]++
		return true
	})
	if len(got) != len(want) {
		t.Errorf("%q: got %v, want %v", text, got, want)
		return
	}
	for h, n := range want {
		if got[h] != n {
			t.Errorf("%q: got %v, want %v", text, got, want)
			return
		}
	}
}

var wsPatterns = []string{"if ", " or ", "union select", "a b", "b", " ", "x  y", "sleep(", "order by"}

// TestScanWhitespaceRuns checks that a run of whitespace matches one space
// in a pattern, and that a pattern ending in a space is reported once
// however long the run after it.
func TestScanWhitespaceRuns(t *testing.T) {
	m := New(wsPatterns)
	for _, text := range []string{
		"if   x", "IF\t\n\r x", "1  or  1", "1\tOR\n1", "UNION \t\n SELECT", "a    b", "ab", "a b b  b",
		"   ", " ", "x  y", "x y", "order\n\nby", "if if  if   ", "\v\fif\f\vor ", "",
	} {
		checkAgainstNaive(t, m, wsPatterns, text)
	}
}

func TestScanStops(t *testing.T) {
	m := New([]string{"a"})
	n := 0
	m.Scan([]byte("aaaa"), func(int, int) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("callback ran %d times, want 2", n)
	}
}

func TestZeroMatcher(t *testing.T) {
	var m Matcher
	m.Scan([]byte("abc"), func(int, int) bool { t.Fatal("zero matcher matched"); return true })
	var nilm *Matcher
	nilm.Scan([]byte("abc"), func(int, int) bool { t.Fatal("nil matcher matched"); return true })
}

func TestScanNoAllocs(t *testing.T) {
	m := New([]string{"select", "union", "<script"})
	text := []byte(strings.Repeat("benign text value ", 50))
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		m.Scan(text, func(int, int) bool { n++; return true })
	})
	if allocs != 0 {
		t.Fatalf("Scan allocated %v times per run", allocs)
	}
}

func FuzzScan(f *testing.F) {
	f.Add("ushers")
	f.Add("1 UNION \t SELECT")
	f.Add("if  x or\t\ty")
	pats := append([]string{"he", "she", "his", "hers"}, wsPatterns...)
	m := New(pats)
	f.Fuzz(func(t *testing.T, s string) {
		m.Scan([]byte(s), func(id, end int) bool {
			if end < 1 || end > len(s) || id < 0 || id >= len(pats) {
				t.Fatalf("bad match id=%d end=%d len=%d", id, end, len(s))
			}
			return true
		})
		checkAgainstNaive(t, m, pats, s)
	})
}

func BenchmarkScan(b *testing.B) {
	m := New([]string{"select", "union", "<script", "../", "etc/passwd", "${jndi", "{{", "javascript:"})
	text := []byte(strings.Repeat("a fairly ordinary value with words, numbers 12345 and punctuation. ", 120))
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Scan(text, func(int, int) bool { return true })
	}
}
