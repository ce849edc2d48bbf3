package demo

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/warden-dev/warden/internal/clip"
)

// Mailbox limits: mails kept, the size of one mail, and how much of a
// mail's text the demo prints.
const (
	MaxMailbox  = 100
	MaxMailSize = 1 << 20
	mailLines   = 2   // lines of the text part printed under the subject
	mailLineLen = 120 // characters per printed line
)

// Mail is one mail the Mailbox received.
type Mail struct {
	From    string
	To      []string
	Subject string
	Text    string // the text/plain part
}

// Mailbox is the demo's local mail server: `warden demo` points
// alerts.smtp at it (plain SMTP on loopback, no auth) and prints what
// arrives. It keeps the newest MaxMailbox mails and is safe for concurrent
// use.
type Mailbox struct {
	srv *smtp.Server

	mu    sync.Mutex
	got   []Mail
	total int
}

// NewMailbox returns a mailbox; start it with Serve.
func NewMailbox() *Mailbox {
	mb := &Mailbox{}
	s := smtp.NewServer(mb)
	s.Domain = "localhost"
	s.MaxMessageBytes = MaxMailSize
	s.MaxRecipients = 50
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	mb.srv = s
	return mb
}

// Serve accepts SMTP connections on l until Close.
func (mb *Mailbox) Serve(l net.Listener) error {
	if err := mb.srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("mailbox: %w", err)
	}
	return nil
}

// Close stops the server and its connections.
func (mb *Mailbox) Close() error { return mb.srv.Close() }

// Since returns the mails received after the first seen of them (those
// still kept), and how many were received in all: pass that back to get
// only newer ones.
func (mb *Mailbox) Since(seen int) ([]Mail, int) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	first := mb.total - len(mb.got) // index of mb.got[0] among all received
	from := min(max(seen-first, 0), len(mb.got))
	return append([]Mail(nil), mb.got[from:]...), mb.total
}

func (mb *Mailbox) add(m Mail) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.got = append(mb.got, m)
	if len(mb.got) > MaxMailbox {
		mb.got = mb.got[len(mb.got)-MaxMailbox:]
	}
	mb.total++
}

// NewSession implements smtp.Backend.
func (mb *Mailbox) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailSession{mb: mb}, nil
}

// mailSession is one SMTP connection's transaction.
type mailSession struct {
	mb   *Mailbox
	from string
	to   []string
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	m, err := parseMail(r)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.From, m.To = s.from, s.to
	s.mb.add(m)
	s.Reset()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// parseMail reads the subject and the text/plain part of a mail, single
// part or multipart (nested alternatives included).
func parseMail(r io.Reader) (Mail, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return Mail{}, fmt.Errorf("mailbox: %w", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	text, err := textPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return Mail{}, err
	}
	return Mail{Subject: subject, Text: text}, nil
}

// textPart returns the first text/plain body in a part of type ct.
func textPart(ct, encoding string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "text/plain", nil
	}
	if err != nil {
		return "", fmt.Errorf("mailbox: content type: %w", err)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			if err != nil {
				return "", fmt.Errorf("mailbox: %w", err)
			}
			// multipart.Reader already decodes quoted-printable parts.
			t, err := textPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err != nil || t != "" {
				return t, err
			}
		}
	case mt == "text/plain":
		switch strings.ToLower(encoding) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return "", fmt.Errorf("mailbox: body: %w", err)
		}
		return strings.ReplaceAll(string(b), "\r\n", "\n"), nil
	}
	return "", nil
}

// MailLines returns one line per mail for the live summary: recipients,
// sender and subject, then the first lines of its text that are not the
// subject again, indented.
func MailLines(ms []Mail) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "mail → %s (from %s): %s\n", strings.Join(m.To, ", "), m.From, clip.Runes(m.Subject, mailLineLen))
		n := 0
		sc := bufio.NewScanner(strings.NewReader(m.Text))
		for n < mailLines && sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line == m.Subject {
				continue
			}
			fmt.Fprintf(&b, "    %s\n", clip.Runes(line, mailLineLen))
			n++
		}
	}
	return b.String()
}

// The demo's alert addresses.
const (
	MailFrom = "warden@demo.local"
	MailTo   = "ops@demo.local"
)
