package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/warden-dev/warden/ban"
	"github.com/warden-dev/warden/internal/alertconfig"
)

// mailbox is a real SMTP server (go-smtp) on a local port that keeps what
// it receives. It offers STARTTLS and AUTH PLAIN.
type mailbox struct {
	mu    sync.Mutex
	mails []received
	user  string
	pass  string
	addr  string
	roots *x509.CertPool
}

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
	auth bool
}

func startMailbox(t *testing.T, user, pass string) *mailbox {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS() // only for its certificate
	cert := hs.TLS.Certificates
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	hs.Close()
	mb := &mailbox{user: user, pass: pass, roots: roots}
	s := smtp.NewServer(mb)
	s.Domain = "localhost"
	s.TLSConfig = &tls.Config{Certificates: cert}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return mb
}

func (mb *mailbox) received() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.mails...)
}

func (mb *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{mb: mb, tls: isTLS, conn: c}, nil
}

type session struct {
	mb   *mailbox
	conn *smtp.Conn
	tls  bool
	auth bool
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.mb.user || pass != s.mb.pass {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.cur.data, s.cur.tls, s.cur.auth = b, isTLS, s.auth
	s.mb.mu.Lock()
	s.mb.mails = append(s.mb.mails, s.cur)
	s.mb.mu.Unlock()
	s.cur = received{}
	return nil
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

// parts returns the text/plain and text/html bodies of a mail.
func parts(t *testing.T, data []byte) (subject, text, htmlBody string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ = dec.DecodeHeader(m.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("content type %q, want multipart (text + HTML)", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			b, _ = io.ReadAll(quotedPrintable(b))
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			htmlBody = string(b)
		}
	}
	return subject, text, htmlBody
}

func TestEmailThroughRealSMTP(t *testing.T) {
	const password = "s3cret-smtp-Pa55"
	mb := startMailbox(t, "warden", password)
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	cfg := DefaultConfig()
	cfg.SMTP = alertconfig.SMTP{Host: host, Port: p, Username: "warden", Password: password,
		From: "warden@example.com", To: []string{"ops@example.com", "sec@example.com"}, StartTLS: true}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	em := NewEmail(cfg.SMTP)
	em.TLSConfig = &tls.Config{RootCAs: mb.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}

	// A ban of a user whose id is a secret-shaped token: the mail names
	// the client without the token.
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	e, clk, _ := newTestEngine(t, cfg, Options{Channels: []Channel{em}})
	e.Banned(ban.Ban{Target: ban.UserTarget(jwt), Until: clk.Now().Add(time.Hour)})
	run(context.Background(), e, clk, time.Minute, 10*time.Second, nil)

	got := mb.received()
	if len(got) != 1 {
		h, _ := e.outbox.Deliveries(context.Background(), time.Time{}, 10)
		t.Fatalf("mailbox holds %d mails, want 1; outbox %+v", len(got), h)
	}
	m := got[0]
	if !m.tls || !m.auth {
		t.Errorf("mail sent with tls=%v auth=%v, want both", m.tls, m.auth)
	}
	if strings.Join(m.to, ",") != "ops@example.com,sec@example.com" || m.from != "warden@example.com" {
		t.Errorf("envelope from %q to %q", m.from, m.to)
	}
	subject, text, htmlBody := parts(t, m.data)
	if !strings.Contains(subject, "[FIRING] Warden: clients banned") {
		t.Errorf("subject %q", subject)
	}
	if !strings.Contains(text, "1 bans issued") || !strings.Contains(htmlBody, "1 bans issued") {
		t.Errorf("text or HTML part lacks the summary:\n%s\n%s", text, htmlBody)
	}
	for _, secret := range []string{password, jwt, "dozjgNryP4J3jVmNHl0w5N"} {
		if bytes.Contains(m.data, []byte(secret)) {
			t.Errorf("mail contains the secret %q", secret)
		}
	}
}

func TestEmailRefusesUnverifiedTLS(t *testing.T) {
	// STARTTLS whose certificate does not verify: nothing is sent.
	mb := startMailbox(t, "", "")
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	em := NewEmail(alertconfig.SMTP{Host: host, Port: p, From: "w@example.com", To: []string{"o@example.com"}, StartTLS: true})
	em.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	err := em.Send(context.Background(), Notification{ID: "msg_1", Title: "t", Time: time.Now()})
	if err == nil {
		t.Fatal("sent over a connection whose certificate does not verify")
	}
	if len(mb.received()) != 0 {
		t.Fatal("the mailbox received a mail")
	}
}

// webhookReceiver verifies Standard Webhooks signatures and keeps the
// verified bodies.
type webhookReceiver struct {
	key    []byte
	mu     sync.Mutex
	bodies []Notification
	bad    int
	status int // answer; 0 means 204
}

func (wr *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, _ := strconv.ParseInt(ts, 10, 64)
	want := Sign(wr.key, id, sec, body)
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if id == "" || !hmac.Equal([]byte(want), []byte(r.Header.Get("webhook-signature"))) {
		wr.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil || n.ID != id {
		wr.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if wr.status != 0 {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(wr.status)
		wr.status = 0
		return
	}
	wr.bodies = append(wr.bodies, n)
	w.WriteHeader(http.StatusNoContent)
}

func (wr *webhookReceiver) got() []Notification {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return append([]Notification(nil), wr.bodies...)
}

func TestWebhookSignature(t *testing.T) {
	tests := []struct {
		secret string
		key    []byte
	}{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", mustB64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")},
		{"plain-secret-of-mine", []byte("plain-secret-of-mine")},
	}
	for _, tc := range tests {
		t.Run(tc.secret[:6], func(t *testing.T) {
			wr := &webhookReceiver{key: tc.key}
			srv := httptest.NewServer(wr)
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.Webhook = alertconfig.Webhook{URL: srv.URL, Secret: tc.secret}
			chans, err := Channels(cfg, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			n := Notification{ID: "msg_abc", Type: "alert", Status: Firing, Rule: "ban", Title: "[FIRING] x", Time: time.Now()}
			if err := chans[0].Send(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			if got := wr.got(); len(got) != 1 || got[0].ID != "msg_abc" || wr.bad != 0 {
				t.Fatalf("receiver verified %d bodies, rejected %d", len(got), wr.bad)
			}
		})
	}
	// The Standard Webhooks example vector.
	key := mustB64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("signature %q does not match the Standard Webhooks example", got)
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	wr := &webhookReceiver{key: []byte("k"), status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(wr)
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Key: []byte("k"), Client: srv.Client()}
	err := w.Send(context.Background(), Notification{ID: "msg_1"})
	var re *RetryError
	if !errors.As(err, &re) || re.RetryAfter != 120*time.Second {
		t.Fatalf("err %v, want a RetryError after 120s", err)
	}
}

func TestSlackLimits(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	long := "[FIRING] Warden: requests blocked: " + strings.Repeat("POST /a&b<é>", 200)
	n := Notification{ID: "m", Status: Firing, Title: long, Time: time.Now(),
		Alerts: []Alert{{Rule: "blocked", State: Firing, Summary: strings.Repeat("x<y ", 2000)}}}
	s := &Slack{URL: srv.URL, Client: srv.Client()}
	if err := s.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	att := got["attachments"].([]any)[0].(map[string]any)
	title, text := att["title"].(string), att["text"].(string)
	if c := utf8.RuneCountInString(title); c > SlackMaxTitle {
		t.Errorf("title has %d characters, want at most %d", c, SlackMaxTitle)
	}
	if c := utf8.RuneCountInString(text); c > SlackMaxText {
		t.Errorf("text has %d characters, want at most %d", c, SlackMaxText)
	}
	for _, s := range []string{title, text} {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "<>") {
			t.Errorf("markup broken or unescaped: %q", s[len(s)-20:])
		}
		if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
			t.Errorf("ends in a cut entity: %q", s[i:])
		}
	}
}

func TestSlackHidesURL(t *testing.T) {
	s := &Slack{URL: "http://127.0.0.1:1/services/T000/B000/XXXXsecret", Client: &http.Client{Timeout: time.Second}}
	err := s.Send(context.Background(), Notification{ID: "m"})
	if err == nil || strings.Contains(err.Error(), "XXXXsecret") {
		t.Fatalf("err %v: want a failure that does not quote the webhook URL", err)
	}
}

func TestEmailSendsReport(t *testing.T) {
	mb := startMailbox(t, "", "")
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	em := NewEmail(alertconfig.SMTP{Host: host, Port: p, From: "warden@example.com", To: []string{"ops@example.com"}, StartTLS: true})
	em.TLSConfig = &tls.Config{RootCAs: mb.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if err := em.SendReport(context.Background(), "Warden daily report 2026-12-06", "requests 3,115", "<p>requests 3,115</p>"); err != nil {
		t.Fatal(err)
	}
	got := mb.received()
	if len(got) != 1 {
		t.Fatalf("mailbox holds %d mails, want 1", len(got))
	}
	subject, text, htmlBody := parts(t, got[0].data)
	if subject != "Warden daily report 2026-12-06" || !strings.Contains(text, "requests 3,115") || !strings.Contains(htmlBody, "<p>requests 3,115</p>") {
		t.Errorf("report mail: subject %q, text %q, html %q", subject, text, htmlBody)
	}
}
