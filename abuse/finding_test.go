package abuse

import (
	"hash/maphash"
	"testing"
)

// TestFinding: the same request and verdict give the same Finding; another
// payload, route, path, detector or seed gives another; it does not
// allocate.
func TestFinding(t *testing.T) {
	seed := maphash.MakeSeed()
	r := &Request{Method: "POST", Path: "/posts", Route: "POST /posts"}
	v := &Verdict{Detector: "payload", Violation: "sqli", Messages: []string{`sqli in json "body": "a' --"`}}
	base := Finding(seed, r, v)
	if again := Finding(seed, &Request{Method: "POST", Path: "/posts", Route: "POST /posts"}, v); again != base {
		t.Fatal("the same request and verdict gave another finding")
	}
	tests := []struct {
		name string
		seed maphash.Seed
		r    *Request
		v    *Verdict
	}{
		{"another payload", seed, r, &Verdict{Detector: "payload", Violation: "sqli", Messages: []string{`sqli in json "body": "b' --"`}}},
		{"another field", seed, r, &Verdict{Detector: "payload", Violation: "sqli", Messages: []string{`sqli in json "title": "a' --"`}}},
		{"another route", seed, &Request{Method: "POST", Path: "/comments", Route: "POST /comments"}, v},
		{"another path, no route", seed, &Request{Method: "POST", Path: "/c/2"}, v},
		{"another detector", seed, r, &Verdict{Detector: "custom", Violation: "sqli", Messages: v.Messages}},
		{"fields do not run together", seed, r, &Verdict{Detector: "payloadsqli", Messages: v.Messages}},
		{"another seed", maphash.MakeSeed(), r, v},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Finding(tt.seed, tt.r, tt.v) == base {
				t.Fatal("same finding")
			}
		})
	}
	if n := testing.AllocsPerRun(100, func() { _ = Finding(seed, r, v) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
