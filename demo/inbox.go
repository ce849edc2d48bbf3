package demo

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/warden-dev/warden/alert"
)

// MaxInbox is how many alerts an Inbox keeps.
const MaxInbox = 100

// Inbox is the demo's alert inbox: `warden demo` points alerts.webhook at
// it. POST /hook takes an alert, checked as any receiver should check one
// (the Standard Webhooks signature with the shared key); GET / lists the
// newest alerts as the text of their mails. It keeps the newest MaxInbox
// and is safe for concurrent use.
type Inbox struct {
	key []byte

	mu    sync.Mutex
	got   []alert.Notification
	total int
}

// NewInbox returns an inbox that accepts alerts signed with key.
func NewInbox(key []byte) *Inbox { return &Inbox{key: key} }

// ServeHTTP implements http.Handler.
func (in *Inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/hook":
		in.receive(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		got, _ := in.Since(0)
		if len(got) == 0 {
			io.WriteString(w, "no alerts yet (the first waits alerts.group_wait)\n")
		}
		for i := len(got) - 1; i >= 0; i-- {
			io.WriteString(w, alert.Text(got[i])+"\n")
		}
	default:
		http.NotFound(w, r)
	}
}

func (in *Inbox) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" || !hmac.Equal([]byte(alert.Sign(in.key, id, sec, body)), []byte(r.Header.Get("webhook-signature"))) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var n alert.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, "not an alert", http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	in.got = append(in.got, n)
	if len(in.got) > MaxInbox {
		in.got = in.got[len(in.got)-MaxInbox:]
	}
	in.total++
	in.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Since returns the alerts received after the first seen of them (those
// still kept), and how many were received in all: pass that back to get
// only newer ones.
func (in *Inbox) Since(seen int) ([]alert.Notification, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	first := in.total - len(in.got) // index of in.got[0] among all received
	from := max(seen-first, 0)
	if from > len(in.got) {
		from = len(in.got)
	}
	return append([]alert.Notification(nil), in.got[from:]...), in.total
}

// Titles returns the titles of ns, one per line, for the live summary.
func Titles(ns []alert.Notification) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString("alert → inbox: " + n.Title + "\n")
	}
	return b.String()
}
