package payload

import "testing"

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"bi[n]", "bin", true},
		{"[a-z]in", "bin", true},
		{"[!a]in", "bin", true},
		{"[!b]in", "bin", false},
		{"s?in", "sbin", true},
		{"*in", "sbin", true},
		{"b*", "bin", true},
		{"u*r", "usr", true},
		{"pas[s]wd", "passwd", true},
		{"PAS[S]WD", "passwd", true},
		{"pas[s]wd", "shadow", false},
		{"[b", "bin", false},
		{"bin", "bin", true},
		{"bi", "bin", false},
		{"binx", "bin", false},
		{"**", "", true},
	} {
		if got := globMatch([]byte(tc.pat), tc.name); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pat, tc.name, got, tc.want)
		}
	}
}

func TestGlobSysPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/bi[n]/bash", true},
		{"/usr/[a-z]in/bash", true},
		{"/usr/bin/[u]name", true},
		{"/etc/pas[s]wd", true},
		{"/e?c/shadow", true},
		{"/usr/bin/[u]nicorn", false}, // not a command word
		{"/usr/bin/*", false},
		{"/etc/*", false},
		{"/etc/nginx/*.conf", false},
		{"/api/[id]/edit", false},
		{"/bin/bash", false}, // no glob: other checks
		{"/[e///]tc", false},
	} {
		if got := globSysPath([]byte(tc.path)); got != tc.want {
			t.Errorf("globSysPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func FuzzGlobMatch(f *testing.F) {
	f.Add([]byte("[a-z]*?[!x]"), "bin")
	f.Add([]byte("/usr/[a-z]in/bash"), "usr")
	f.Fuzz(func(t *testing.T, pat []byte, name string) {
		globMatch(pat, name)
		globSysPath(pat)
	})
}
