package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/alert"
)

// The inbox takes alerts signed with its key, refuses the rest, and lists
// what it took.
func TestInbox(t *testing.T) {
	key := []byte("demo-inbox-key")
	in := NewInbox(key)
	srv := httptest.NewServer(in)
	defer srv.Close()
	n := alert.Sample(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	good := &alert.Webhook{URL: srv.URL + "/hook", Key: key, Client: srv.Client()}
	bad := &alert.Webhook{URL: srv.URL + "/hook", Key: []byte("another key"), Client: srv.Client()}
	if err := good.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if err := bad.Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrongly signed alert: %v, want refused with 401", err)
	}
	got, total := in.Since(0)
	if total != 1 || len(got) != 1 || got[0].Title != n.Title {
		t.Fatalf("inbox holds %d of %d: %+v", len(got), total, got)
	}
	if more, _ := in.Since(total); len(more) != 0 {
		t.Fatalf("Since(total) returned %d alerts", len(more))
	}
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "this is a test alert") {
		t.Fatalf("page %d:\n%s", resp.StatusCode, page)
	}
}
