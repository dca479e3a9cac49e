package services

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MailpitOptions say how a Mailpit serves SMTP.
type MailpitOptions struct {
	// TLS is "" (plain SMTP), "starttls" (STARTTLS offered and required)
	// or "implicit" (TLS from the first byte), with a certificate for
	// 127.0.0.1 and localhost signed by the CA in Mailpit.CAFile.
	TLS string
	// Auth offers SMTP AUTH and accepts any username and password (and a
	// client that sends none).
	Auth bool
}

// Mailpit is a throwaway mailpit (github.com/axllent/mailpit, installed by
// test/services/install-mailpit.sh): an SMTP server on a loopback port
// whose messages are read through its HTTP API on another.
type Mailpit struct {
	// SMTPPort is the SMTP port on 127.0.0.1; APIURL the base URL of the
	// HTTP API ("http://127.0.0.1:PORT").
	SMTPPort int
	APIURL   string
	// CAFile is the PEM file of the CA that signs the TLS certificate
	// (empty without TLS).
	CAFile string

	bin, dir string
	opts     MailpitOptions
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
}

// MailpitBinary returns the path of mailpit: $DINHDANH_MAILPIT, else the
// cache directory install-mailpit.sh writes to, else PATH.
func MailpitBinary() (string, error) {
	if p := os.Getenv("DINHDANH_MAILPIT"); p != "" {
		return p, nil
	}
	dir := os.Getenv("DINHDANH_TEST_BIN")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "dinhdanh-test", "bin")
	}
	if p := filepath.Join(dir, "mailpit"); isExecutable(p) {
		return p, nil
	}
	p, err := exec.LookPath("mailpit")
	if err != nil {
		return "", &MissingError{What: "mailpit", Err: err}
	}
	return p, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// StartMailpit starts a mailpit of the test's own and stops it when the test
// ends. A missing mailpit skips the test, or fails it when CI is set.
func StartMailpit(t testing.TB, opts MailpitOptions) *Mailpit {
	t.Helper()
	bin, err := MailpitBinary()
	if err != nil {
		fail(t, err)
	}
	smtpPort, err := freePort(false)
	if err != nil {
		t.Fatal(err)
	}
	apiPort, err := freePort(false)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mailpit{SMTPPort: smtpPort, APIURL: "http://127.0.0.1:" + strconv.Itoa(apiPort), bin: bin, dir: t.TempDir(), opts: opts}
	if opts.TLS != "" {
		if err := m.writeCertificates(); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// SMTPAddr is the SMTP server's host:port.
func (m *Mailpit) SMTPAddr() string { return "127.0.0.1:" + strconv.Itoa(m.SMTPPort) }

// Start starts mailpit (again, on the same ports, with no messages) and
// waits until its API answers.
func (m *Mailpit) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return errors.New("mailpit runs already")
	}
	args := []string{"--smtp", m.SMTPAddr(), "--listen", m.APIURL[len("http://"):], "--quiet",
		"--disable-version-check", "--smtp-disable-rdns", "--database", filepath.Join(m.dir, "mailpit-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".db")}
	switch m.opts.TLS {
	case "starttls":
		args = append(args, "--smtp-tls-cert", filepath.Join(m.dir, "cert.pem"), "--smtp-tls-key", filepath.Join(m.dir, "key.pem"),
			"--smtp-require-starttls")
	case "implicit":
		args = append(args, "--smtp-tls-cert", filepath.Join(m.dir, "cert.pem"), "--smtp-tls-key", filepath.Join(m.dir, "key.pem"),
			"--smtp-require-tls")
	}
	if m.opts.Auth {
		args = append(args, "--smtp-auth-accept-any")
		if m.opts.TLS == "" {
			args = append(args, "--smtp-auth-allow-insecure")
		}
	}
	cmd := exec.Command(m.bin, args...)
	cmd.Dir = m.dir
	log, err := os.Create(filepath.Join(m.dir, "mailpit.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting mailpit: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(done) }()
	m.cmd, m.done = cmd, done
	deadline := time.Now().Add(StartTimeout)
	for {
		resp, err := http.Get(m.APIURL + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if c, err := net.DialTimeout("tcp", m.SMTPAddr(), time.Second); err == nil {
				c.Close()
				return nil
			}
		}
		select {
		case <-done:
			out, _ := os.ReadFile(filepath.Join(m.dir, "mailpit.log"))
			m.cmd = nil
			return fmt.Errorf("mailpit exited at start: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			m.cmd = nil
			return fmt.Errorf("mailpit did not answer within %s", StartTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops mailpit; a stopped one is not an error.
func (m *Mailpit) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return nil
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(StopTimeout):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	m.cmd = nil
	return nil
}

// MailpitAddress is a sender or recipient in mailpit's API.
type MailpitAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// MailpitMessage is a message as mailpit's API returns it.
type MailpitMessage struct {
	ID      string           `json:"ID"`
	From    MailpitAddress   `json:"From"`
	To      []MailpitAddress `json:"To"`
	Subject string           `json:"Subject"`
	Text    string           `json:"Text"`
}

// Messages returns every message mailpit received, newest first, each with
// its text body.
func (m *Mailpit) Messages(t testing.TB) []MailpitMessage {
	t.Helper()
	var list struct {
		Messages []MailpitMessage `json:"messages"`
	}
	m.getJSON(t, "/api/v1/messages?limit=500", &list)
	for i := range list.Messages {
		var full MailpitMessage
		m.getJSON(t, "/api/v1/message/"+url.PathEscape(list.Messages[i].ID), &full)
		list.Messages[i].Text = full.Text
	}
	return list.Messages
}

// WaitMessages waits until mailpit holds at least n messages (or the
// timeout passes) and returns them.
func (m *Mailpit) WaitMessages(t testing.TB, n int, timeout time.Duration) []MailpitMessage {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := m.Messages(t)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *Mailpit) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(m.APIURL + path)
	if err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
}

// writeCertificates writes a CA (CAFile) and a server certificate for
// 127.0.0.1 and localhost signed by it (cert.pem, key.pem in the directory).
func (m *Mailpit) writeCertificates() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailpit test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	m.CAFile = filepath.Join(m.dir, "ca.pem")
	for path, block := range map[string]*pem.Block{
		m.CAFile:                         {Type: "CERTIFICATE", Bytes: caDER},
		filepath.Join(m.dir, "cert.pem"): {Type: "CERTIFICATE", Bytes: der},
		filepath.Join(m.dir, "key.pem"):  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return err
		}
	}
	return nil
}
