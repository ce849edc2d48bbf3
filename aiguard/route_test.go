package aiguard

import (
	"context"
	"testing"

	"github.com/warden-dev/warden/abuse"
	"github.com/warden-dev/warden/aiguard/input"
	"github.com/warden-dev/warden/internal/route"
)

// TestWithRouteMatching: the ai routes follow the route_matching they are
// given, and every variant without one.
func TestWithRouteMatching(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Input.Routes = []input.Route{{Route: "POST /v1/predict", MaxElements: 1}}
	r := &abuse.Request{Method: "POST", Host: "a.test", Path: "/V1/Predict", Body: []byte("[1,2,3]")}
	for _, tc := range []struct {
		name   string
		cfg    Config
		reject bool
	}{
		{"default", cfg, true},
		{"all", cfg.WithRouteMatching(route.All), true},
		{"exact", cfg.WithRouteMatching(route.Exact), false},
	} {
		s, err := NewSet(tc.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.input.Detect(context.Background(), r).Action == abuse.Reject; got != tc.reject {
			t.Errorf("%s: rejected %v, want %v", tc.name, got, tc.reject)
		}
	}
}
