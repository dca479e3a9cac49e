package signsvc_test

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/test/pki"
	"github.com/dinhdanh/dinhdanh/test/signsvc"
)

// call makes one call as the adapter does: connect, send, read the answer, close.
func call(t *testing.T, base, fn, message, origin string) (map[string]any, error) {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, HandshakeTimeout: 5 * time.Second}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, _, err := d.Dial(base+"/"+fn, h)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(message)); err != nil {
		return nil, err
	}
	_, data, err := conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var answer map[string]any
	if err := json.Unmarshal(data, &answer); err != nil {
		t.Fatalf("answer %q is not JSON", data)
	}
	return answer, nil
}

func verifier(t *testing.T, p *pki.PKI) *certificate.Verifier {
	t.Helper()
	v, err := certificate.NewVerifier(certificate.Options{
		Anchors: []certificate.Anchor{{Name: "bcy-g2", Roots: []*x509.Certificate{p.GovRoot.Cert},
			Intermediates: []*x509.Certificate{p.GovSub.Cert}}},
		Revocation: certificate.RevocationOptions{CRL: true, OCSP: true},
		Now:        p.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestProtocol(t *testing.T) {
	p := pki.New(t)
	v := verifier(t, p)
	ch := &certificate.Challenge{Value: "dinhdanh:login:protocol-test", ExpiresAt: p.Now().Add(time.Minute)}
	sum := sha256.Sum256([]byte(ch.Value))
	hashRequest := `{"HashAlg":"SHA256","HashValue":"` + base64.StdEncoding.EncodeToString(sum[:]) + `","Encode":"RSA"}`

	for _, tt := range []struct {
		name    string
		opts    signsvc.Options
		message string
		format  certificate.Format
	}{
		{"hash, bare signature", signsvc.Options{}, hashRequest, certificate.FormatRaw},
		{"hash, CMS, over wss", signsvc.Options{CMS: true, TLS: true}, hashRequest, certificate.FormatCMS},
		{"content, attached CMS", signsvc.Options{}, base64.StdEncoding.EncodeToString([]byte(ch.Value)), certificate.FormatCMS},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := signsvc.Start(t, p.Official, tt.opts)
			answer, err := call(t, svc.URL, "SignMsg", tt.message, "")
			if err != nil {
				t.Fatal(err)
			}
			if answer["Status"] != float64(0) {
				t.Fatalf("answer %v", answer)
			}
			sub, r := certificate.DecodeSubmission(string(tt.format), answer["Signature"].(string), "RS256",
				[]string{answer["CertBase64"].(string)})
			if r != nil {
				t.Fatal(r)
			}
			got, r, err := v.Verify(t.Context(), ch, sub)
			if err != nil || r != nil {
				t.Fatalf("Verify: %v, %v", r, err)
			}
			if !got.Certificate.Equal(p.Official.Cert) {
				t.Fatalf("signed by %s", got.Certificate.Subject)
			}
			if reqs := svc.Requests(); len(reqs) != 1 || reqs[0].Path != "/SignMsg" || reqs[0].Message != tt.message {
				t.Fatalf("requests %+v", reqs)
			}
		})
	}
}

func TestProtocolOtherCalls(t *testing.T) {
	p := pki.New(t)
	svc := signsvc.Start(t, p.OfficialNoID, signsvc.Options{AllowedOrigins: []string{"https://sso.example.gov.vn"}})
	const origin = "https://sso.example.gov.vn"

	answer, err := call(t, svc.URL, "GetVersion", "", origin)
	if err != nil || answer["Status"] != float64(0) || answer["Version"] == "" {
		t.Fatalf("GetVersion = %v, %v", answer, err)
	}
	answer, err = call(t, svc.URL, "GetCertInfo", "get_cert_info", origin)
	if err != nil || answer["Status"] != float64(0) {
		t.Fatalf("GetCertInfo = %v, %v", answer, err)
	}
	der, _ := base64.StdEncoding.DecodeString(answer["CertBase64"].(string))
	if c, err := x509.ParseCertificate(der); err != nil || !c.Equal(p.OfficialNoID.Cert) {
		t.Fatalf("GetCertInfo certificate: %v", err)
	}

	for _, bad := range []string{`{"HashAlg":"MD5","HashValue":"AA=="}`, `{"HashAlg":"SHA256","HashValue":"AA=="}`, "*not base64*"} {
		answer, err = call(t, svc.URL, "SignMsg", bad, origin)
		if err != nil || answer["Status"] == float64(0) || answer["Message"] == "" {
			t.Fatalf("SignMsg(%s) = %v, %v; want a failure with a message", bad, answer, err)
		}
	}

	svc.Fail(14, "Không tìm thấy thiết bị USB token")
	answer, err = call(t, svc.URL, "SignMsg", `{"HashAlg":"SHA256","HashValue":"`+base64.StdEncoding.EncodeToString(make([]byte, 32))+`"}`, origin)
	if err != nil || answer["Status"] != float64(14) || answer["Message"] != "Không tìm thấy thiết bị USB token" {
		t.Fatalf("failing SignMsg = %v, %v", answer, err)
	}
	svc.Fail(0, "")

	if _, err := call(t, svc.URL, "SignMsg", "x", "https://evil.example"); err == nil {
		t.Fatal("a page of another origin was served")
	}
	if _, err := call(t, svc.URL, "SignPDF", "x", origin); err == nil {
		t.Fatal("an unknown function was upgraded")
	}
}
