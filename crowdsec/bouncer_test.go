package crowdsec

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-dev/warden/internal/crowdsecconfig"
)

// memStore is a Store in memory.
type memStore struct {
	mu sync.Mutex
	m  map[string]Decision
}

func (s *memStore) Load(context.Context) ([]Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Decision
	for _, d := range s.m {
		out = append(out, d)
	}
	return out, nil
}

func (s *memStore) Save(_ context.Context, put, drop []Decision) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range drop {
		delete(s.m, d.Type+" "+d.Value)
	}
	for _, d := range put {
		s.m[d.Type+" "+d.Value] = d
	}
	return nil
}

func (s *memStore) keys() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ks []string
	for k := range s.m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}

// TestBouncerPoll: the kept set is enforced before the LAPI answers,
// less what expired; startup=true replaces it; later polls apply changes;
// an unreachable LAPI leaves the set as it was.
func TestBouncerPoll(t *testing.T) {
	var mu sync.Mutex
	answers := map[string]string{
		"startup": `{"new":[{"duration":"1h","origin":"cscli","scenario":"s","scope":"Ip","type":"ban","value":"192.0.2.3"}],"deleted":null}`,
		"poll": `{"new":[{"duration":"1h","origin":"cscli","scenario":"s","scope":"Range","type":"captcha","value":"10.0.0.0/8"}],
			"deleted":[{"duration":"-1ms","origin":"cscli","scenario":"s","scope":"Ip","type":"ban","value":"192.0.2.3"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "key" || r.URL.Path != "/v1/decisions/stream" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Query().Get("startup") == "true" {
			io.WriteString(w, answers["startup"])
			return
		}
		io.WriteString(w, answers["poll"])
	}))
	defer srv.Close()
	st := &memStore{m: map[string]Decision{
		"ban 192.0.2.1": dec("ban", "Ip", "192.0.2.1", time.Hour),
		"ban 192.0.2.2": dec("ban", "Ip", "192.0.2.2", -time.Minute), // expired while down
	}}
	cfg := crowdsecconfig.DefaultConfig()
	cfg.LAPIURL, cfg.BouncerKey = srv.URL, "key"
	c, err := New(context.Background(), cfg, Options{Store: st, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	held := func(ip string) bool {
		_, ok := c.set.Lookup(netip.MustParseAddr(ip), t0)
		return ok
	}
	if !held("192.0.2.1") || held("192.0.2.2") || st.keys() != "ban 192.0.2.1" {
		t.Fatalf("at start: .1 %v .2 %v, store %q", held("192.0.2.1"), held("192.0.2.2"), st.keys())
	}
	ctx := context.Background()
	if err := c.poll(ctx, true); err != nil {
		t.Fatal(err)
	}
	if held("192.0.2.1") || !held("192.0.2.3") || st.keys() != "ban 192.0.2.3" {
		t.Fatalf("after startup: store %q", st.keys())
	}
	if err := c.poll(ctx, false); err != nil {
		t.Fatal(err)
	}
	if held("192.0.2.3") || !held("10.1.2.3") || st.keys() != "captcha 10.0.0.0/8" {
		t.Fatalf("after a poll: store %q", st.keys())
	}
	srv.Close()
	if err := c.poll(ctx, false); err == nil {
		t.Fatal("no error from a closed LAPI")
	}
	if !held("10.1.2.3") || st.keys() != "captcha 10.0.0.0/8" {
		t.Fatalf("an unreachable LAPI changed the set: store %q", st.keys())
	}
}
