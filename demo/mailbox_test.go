package demo

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/warden-dev/warden/alert"
	"github.com/warden-dev/warden/internal/alertconfig"
)

func startMailbox(t *testing.T) (*Mailbox, int) {
	t.Helper()
	mb := NewMailbox()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = mb.Serve(l) }()
	t.Cleanup(func() { _ = mb.Close() })
	return mb, l.Addr().(*net.TCPAddr).Port
}

// An alert sent through Warden's mail channel, as the demo configures it,
// arrives in the mailbox and prints as its addresses, subject and first
// lines.
func TestMailboxReceivesAlertMail(t *testing.T) {
	mb, port := startMailbox(t)
	ch := alert.NewEmail(alertconfig.SMTP{Host: "127.0.0.1", Port: port, From: MailFrom, To: []string{MailTo}})
	n := alert.Sample(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, total := mb.Since(0)
	if total != 1 || len(got) != 1 {
		t.Fatalf("mailbox holds %d of %d mails, want 1", len(got), total)
	}
	m := got[0]
	if m.From != MailFrom || len(m.To) != 1 || m.To[0] != MailTo || m.Subject != n.Title {
		t.Errorf("mail from %q to %q subject %q; want %q, %q, %q", m.From, m.To, m.Subject, MailFrom, MailTo, n.Title)
	}
	if m.Text != alert.Text(n) {
		t.Errorf("text part:\n%q\nwant\n%q", m.Text, alert.Text(n))
	}
	lines := MailLines(got)
	want := "mail → ops@demo.local (from warden@demo.local): [TEST] Warden: this is a test alert; no action needed\n" +
		"    - [FIRING] 120 requests answered block on POST /api/auth/login in 5m\n" +
		"    clients: ip:203.0.113.7\n"
	if lines != want {
		t.Errorf("MailLines:\n%s\nwant\n%s", lines, want)
	}
	if more, _ := mb.Since(total); len(more) != 0 {
		t.Errorf("Since(total) returned %d mails", len(more))
	}
}

// The mailbox reads single-part mails in each transfer encoding, keeps
// only the newest MaxMailbox, and Since counts past the dropped ones.
func TestMailboxParsesAndBounds(t *testing.T) {
	mb, port := startMailbox(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	tests := []struct {
		name, headers, body, wantText string
	}{
		{"plain", "Content-Type: text/plain; charset=utf-8\r\n", "first line\r\nsecond\r\n", "first line\nsecond\n"},
		{"no content type", "", "just text\r\n", "just text\n"},
		{"quoted-printable", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n", "caf=C3=A9 =E2=86=92 ok\r\n", "café → ok\n"},
		{"base64", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n", "aGVsbG8gbWFpbA==\r\n", "hello mail"},
		{"html only", "Content-Type: text/html\r\n", "<p>hi</p>\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := mb.Since(0)
			msg := "Subject: =?utf-8?q?caf=C3=A9?=\r\n" + tt.headers + "\r\n" + tt.body
			if err := smtp.SendMail(addr, nil, "a@demo.local", []string{"b@demo.local"}, []byte(msg)); err != nil {
				t.Fatalf("send: %v", err)
			}
			got, total := mb.Since(before)
			if total != before+1 || len(got) != 1 {
				t.Fatalf("got %d new mails (total %d → %d), want 1", len(got), before, total)
			}
			if got[0].Subject != "café" || got[0].Text != tt.wantText {
				t.Errorf("subject %q text %q; want %q, %q", got[0].Subject, got[0].Text, "café", tt.wantText)
			}
		})
	}
	_, before := mb.Since(0)
	for i := range MaxMailbox + 5 {
		if err := smtp.SendMail(addr, nil, "a@demo.local", []string{"b@demo.local"}, fmt.Appendf(nil, "Subject: n%d\r\n\r\nx\r\n", i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	all, total := mb.Since(0)
	if total != before+MaxMailbox+5 || len(all) != MaxMailbox {
		t.Fatalf("kept %d of %d, want %d of %d", len(all), total, MaxMailbox, before+MaxMailbox+5)
	}
	if last := all[len(all)-1].Subject; last != fmt.Sprintf("n%d", MaxMailbox+4) {
		t.Errorf("newest kept %q", last)
	}
	if tail, _ := mb.Since(total - 2); len(tail) != 2 || !strings.HasPrefix(tail[0].Subject, "n") {
		t.Errorf("Since(total-2) = %d mails", len(tail))
	}
}
