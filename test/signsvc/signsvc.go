// Package signsvc is a stand-in, on loopback, for the signing software a
// person installs next to a USB token: the Government Cipher Committee's
// VGCA Sign Service. It speaks the same local WebSocket protocol as the
// service, which the browser adapter ui/assets/signing/vgca.js expects, and
// signs with a key of the test PKI.
//
// # The protocol
//
// The service listens on wss://127.0.0.1:8987 (here: any loopback port, ws
// or wss). Every call is one WebSocket connection to the path of its
// function: the page sends one text message when the socket opens, the
// service answers with one text message, and the page closes the socket.
// Answers are JSON objects whose "Status" is 0 on success; any other status
// is a failure explained by "Message" (older versions: "Error").
//
//   - /SignMsg with {"HashAlg":"SHA256","HashValue":"<base64 digest>","Encode":"RSA"}:
//     signs the digest with the token's key and answers
//     {"Status":0,"Signature":"<base64>","CertBase64":"<base64 DER of the signer>"}.
//     The signature is PKCS #1 v1.5 over the digest (ECDSA for an EC key), or,
//     in Options.CMS mode, a detached CMS SignedData whose message-digest
//     attribute is the digest.
//   - /SignMsg with a bare base64 string (the older form): signs the decoded
//     content and answers with CMS SignedData, content attached.
//   - /GetCertInfo with "get_cert_info": answers the token's certificate,
//     {"Status":0,"CertInfo":{…},"CertBase64":"…"}.
//   - /GetVersion: {"Status":0,"Version":"…"}, which pages use to probe for
//     the service.
//
// Other paths are not upgraded (HTTP 404).
package signsvc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

// Options shape a Service.
type Options struct {
	// TLS serves wss:// with httptest's self-signed certificate, as the real
	// service serves wss:// with a certificate installed on the computer.
	TLS bool
	// CMS answers hash signing with a detached CMS SignedData instead of a
	// bare signature.
	CMS bool
	// AllowedOrigins, when not empty, are the only page origins served.
	AllowedOrigins []string
}

// Request is a call the service received.
type Request struct {
	Path    string
	Origin  string
	Message string
}

// Service is a running stand-in for the VGCA Sign Service.
type Service struct {
	// URL is the base URL of the service: ws://127.0.0.1:PORT or wss://….
	URL string

	opts     Options
	server   *httptest.Server
	mu       sync.Mutex
	signer   *pki.Leaf
	failure  *failure
	requests []Request
}

type failure struct {
	status  int
	message string
}

// Start starts a service that signs as signer, stopped when the test ends.
func Start(t testing.TB, signer *pki.Leaf, opts Options) *Service {
	t.Helper()
	s := &Service{opts: opts, signer: signer}
	mux := http.NewServeMux()
	for _, fn := range []string{"SignMsg", "GetCertInfo", "GetVersion"} {
		mux.HandleFunc("/"+fn, s.serve(fn))
	}
	if opts.TLS {
		s.server = httptest.NewTLSServer(mux)
		s.URL = "wss://" + strings.TrimPrefix(s.server.URL, "https://")
	} else {
		s.server = httptest.NewServer(mux)
		s.URL = "ws://" + strings.TrimPrefix(s.server.URL, "http://")
	}
	t.Cleanup(s.server.Close)
	return s
}

// Close stops the service, as when the person quits it.
func (s *Service) Close() { s.server.Close() }

// SetSigner changes the certificate and key the service signs with, as
// when another token is plugged in.
func (s *Service) SetSigner(l *pki.Leaf) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signer = l
}

// Fail makes every later call answer status (not 0) with message, as when
// the person cancels the PIN dialogue or no token is plugged in; status 0
// makes calls succeed again.
func (s *Service) Fail(status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		s.failure = nil
		return
	}
	s.failure = &failure{status, message}
}

// Requests returns the calls received so far.
func (s *Service) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Service) serve(fn string) http.HandlerFunc {
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
		if len(s.opts.AllowedOrigins) == 0 {
			return true
		}
		for _, o := range s.opts.AllowedOrigins {
			if r.Header.Get("Origin") == o {
				return true
			}
		}
		return false
	}}
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		kind, msg, err := conn.ReadMessage()
		if err != nil || kind != websocket.TextMessage {
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Path: r.URL.Path, Origin: r.Header.Get("Origin"), Message: string(msg)})
		signer, fail := s.signer, s.failure
		s.mu.Unlock()
		var answer map[string]any
		if fail != nil {
			answer = map[string]any{"Status": fail.status, "Message": fail.message, "Error": fail.message}
		} else {
			answer = s.call(fn, string(msg), signer)
		}
		out, _ := json.Marshal(answer)
		conn.WriteMessage(websocket.TextMessage, out)
		// The page closes the socket; wait for it, briefly.
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		conn.ReadMessage()
	}
}

// call answers one function.
func (s *Service) call(fn, msg string, signer *pki.Leaf) map[string]any {
	failed := func(format string, args ...any) map[string]any {
		m := fmt.Sprintf(format, args...)
		return map[string]any{"Status": 1, "Message": m, "Error": m}
	}
	certB64 := base64.StdEncoding.EncodeToString(signer.Cert.Raw)
	switch fn {
	case "GetVersion":
		return map[string]any{"Status": 0, "Version": "dinhdanh-test-signing-service"}
	case "GetCertInfo":
		c := signer.Cert
		return map[string]any{"Status": 0, "CertBase64": certB64, "CertInfo": map[string]any{
			"SerialNumber": strings.ToUpper(c.SerialNumber.Text(16)), "Subject": c.Subject.String(),
			"Issuer": c.Issuer.String(), "NotBefore": c.NotBefore.Format(time.RFC3339), "NotAfter": c.NotAfter.Format(time.RFC3339)}}
	}
	// SignMsg.
	var req struct {
		HashAlg   string
		HashValue string
		Encode    string
	}
	if err := json.Unmarshal([]byte(msg), &req); err != nil {
		// The older form: the content itself, base64.
		content, err := base64.StdEncoding.DecodeString(strings.TrimSpace(msg))
		if err != nil {
			return failed("the message is neither JSON nor base64")
		}
		return map[string]any{"Status": 0, "CertBase64": certB64,
			"Signature": base64.StdEncoding.EncodeToString(signer.SignCMS(content, pki.CMSOptions{}))}
	}
	h, ok := map[string]crypto.Hash{"SHA1": crypto.SHA1, "SHA256": crypto.SHA256, "SHA384": crypto.SHA384,
		"SHA512": crypto.SHA512}[strings.ToUpper(strings.ReplaceAll(req.HashAlg, "-", ""))]
	if !ok {
		return failed("unknown HashAlg %q", req.HashAlg)
	}
	digest, err := base64.StdEncoding.DecodeString(req.HashValue)
	if err != nil || len(digest) != h.Size() {
		return failed("HashValue is not a base64 %s digest", req.HashAlg)
	}
	if s.opts.CMS {
		return map[string]any{"Status": 0, "CertBase64": certB64,
			"Signature": base64.StdEncoding.EncodeToString(signer.SignCMS(nil, pki.CMSOptions{Hash: h, Digest: digest}))}
	}
	var sig []byte
	if k, ok := signer.Key.(*ecdsa.PrivateKey); ok {
		sig, err = ecdsa.SignASN1(rand.Reader, k, digest)
	} else {
		sig, err = signer.Key.Sign(rand.Reader, digest, h)
	}
	if err != nil {
		return failed("signing: %v", err)
	}
	return map[string]any{"Status": 0, "CertBase64": certB64, "Signature": base64.StdEncoding.EncodeToString(sig)}
}

// Certificate returns the certificate the service signs with.
func (s *Service) Certificate() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer.Cert
}
