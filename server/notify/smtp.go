package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
)

// SMTP sends email through one SMTP server. Build it with NewSMTP.
type SMTP struct {
	addr, host string
	mode       string // "starttls", "implicit" or "none"
	tls        *tls.Config
	username   string
	password   string
	from       *mail.Address
	timeout    time.Duration
	now        func() time.Time
}

// NewSMTP returns the sender of the mail section: it reads the password
// file and the CA file now. It fails when mail is not enabled.
func NewSMTP(cfg config.Mail) (*SMTP, error) {
	if !cfg.Enabled() {
		return nil, errors.New("mail: no host is configured")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail.from: %w", err)
	}
	password := cfg.Password
	if cfg.PasswordFile != "" {
		b, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mail.password_file: %w", err)
		}
		password = strings.TrimSpace(string(b))
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSCAFile != "" {
		pem, err := os.ReadFile(cfg.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("mail.tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mail.tls_ca_file: %s holds no PEM certificate", cfg.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	return &SMTP{addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), host: cfg.Host, mode: cfg.TLS, tls: tc,
		username: cfg.Username, password: password, from: from, timeout: cfg.Timeout.D(), now: time.Now}, nil
}

// Send delivers one email: connect (TLS as configured), AUTH when a
// username is configured, MAIL, RCPT, DATA, QUIT, all within the timeout
// and ctx. A 5xx answer is a permanent error (see Permanent).
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return permanent(fmt.Errorf("the recipient %q is not an email address", m.To))
	}
	msg, err := s.compose(to, m)
	if err != nil {
		return permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.mode == "implicit" {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS with %s: %w", s.addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return s.wrap(ctx, err)
	}
	defer c.Close()
	if s.mode == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("%s does not offer STARTTLS (mail.tls is starttls)", s.addr)
		}
		if err := c.StartTLS(s.tls); err != nil {
			return s.wrap(ctx, fmt.Errorf("STARTTLS: %w", err))
		}
	}
	if s.username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.username, s.password, s.host)); err != nil {
			return s.wrap(ctx, fmt.Errorf("AUTH: %w", err))
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.wrap(ctx, err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return s.wrap(ctx, err)
	}
	w, err := c.Data()
	if err != nil {
		return s.wrap(ctx, err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.wrap(ctx, err)
	}
	if err := w.Close(); err != nil {
		return s.wrap(ctx, err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted at the end of DATA.
		return nil
	}
	return nil
}

// wrap marks a 5xx SMTP answer permanent, and names ctx's end when it
// caused the error.
func (s *SMTP) wrap(ctx context.Context, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent(err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", err, ctx.Err())
	}
	return err
}

// compose writes the message: headers (the subject encoded for UTF-8) and
// a quoted-printable text/plain body with CRLF line ends.
func (s *SMTP) compose(to *mail.Address, m *Message) ([]byte, error) {
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("the subject holds a line break")
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := "localhost"
	if at := strings.LastIndexByte(s.from.Address, '@'); at >= 0 {
		domain = s.from.Address[at+1:]
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", s.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", s.now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}
