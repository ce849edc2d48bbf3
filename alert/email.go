package alert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/warden-dev/warden/internal/alertconfig"
	"github.com/warden-dev/warden/internal/clip"
)

// MaxSubject bounds a mail's subject, in characters; the body carries the
// rest.
const MaxSubject = 200

// Email sends each notification as one mail to every recipient, with a
// plain-text body and an HTML alternative. With StartTLS it refuses to
// send over a connection that did not upgrade; with TLS it speaks TLS from
// the start. It authenticates when a username is set, with the best
// mechanism the server offers (never PLAIN in clear text to a remote host).
type Email struct {
	cfg alertconfig.SMTP
	// TLSConfig overrides the TLS settings (a private CA in tests); nil
	// verifies the server's certificate for Host.
	TLSConfig *tls.Config
}

// NewEmail returns the mail channel for cfg.
func NewEmail(cfg alertconfig.SMTP) *Email { return &Email{cfg: cfg} }

// Name implements Channel.
func (e *Email) Name() string { return "email" }

// Send implements Channel.
func (e *Email) Send(ctx context.Context, n Notification) error {
	return e.send(ctx, clip.Runes(n.Title, MaxSubject), n.ID+"@warden", n.Time, Text(n), HTML(n))
}

// SendReport mails a daily report (report.Mailer) to the alert
// recipients: the text as the plain part, the self-contained HTML as the
// alternative.
func (e *Email) SendReport(ctx context.Context, subject, text, html string) error {
	return e.send(ctx, clip.Runes(subject, MaxSubject), "", time.Now(), text, html)
}

// send delivers one mail; an empty id lets go-mail make the Message-ID.
func (e *Email) send(ctx context.Context, subject, id string, date time.Time, text, html string) error {
	m := mail.NewMsg()
	if err := m.From(e.cfg.From); err != nil {
		return fmt.Errorf("email: from: %w", err)
	}
	if err := m.To(e.cfg.To...); err != nil {
		return fmt.Errorf("email: to: %w", err)
	}
	m.Subject(subject)
	if id != "" {
		m.SetMessageIDWithValue(id)
	} else {
		m.SetMessageID()
	}
	m.SetDateWithValue(date)
	m.SetBodyString(mail.TypeTextPlain, text)
	m.AddAlternativeString(mail.TypeTextHTML, html)

	opts := []mail.Option{mail.WithPort(e.cfg.Port), mail.WithTimeout(15 * time.Second)}
	switch {
	case e.cfg.TLS:
		opts = append(opts, mail.WithSSL())
	case e.cfg.StartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if e.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(e.TLSConfig))
	}
	if e.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(e.cfg.Username), mail.WithPassword(e.cfg.Password))
	}
	c, err := mail.NewClient(e.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("email: %w", classifySMTP(err))
	}
	return nil
}

// classifySMTP marks failures worth retrying: network errors and
// temporary (4xx) SMTP answers. Credentials never appear in go-mail's
// errors.
func classifySMTP(err error) error {
	var ne net.Error
	var pe *textproto.Error
	var se *mail.SendError
	switch {
	case errors.As(err, &pe) && pe.Code >= 400 && pe.Code < 500:
		return &RetryError{Err: err}
	case errors.As(err, &se) && se.IsTemp():
		return &RetryError{Err: err}
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return &RetryError{Err: err}
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return &RetryError{Err: err}
	}
	return err
}
