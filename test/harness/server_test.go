package harness

import (
	"net/http"
	"net/url"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

// Both ways of starting a node give the same handle: a client registered
// with the command line gets a token at the node's URL, and survives a
// restart.
func TestStartModes(t *testing.T) {
	for name, start := range map[string]func(testing.TB, ...Option) *Server{"binary": Start, "in-process": StartInProcess} {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			if (s.App != nil) != (name == "in-process") || s.InProcess() != (name == "in-process") {
				t.Errorf("App %v, InProcess %v", s.App != nil, s.InProcess())
			}
			if s.Config == nil || s.Config.Issuer != s.Issuer {
				t.Fatalf("Config.Issuer differs from %s", s.Issuer)
			}
			c := s.CreateClient(t, ClientSpec{Name: "Trục liên thông", Grants: []string{"client_credentials"}})
			token := func() {
				t.Helper()
				status, body := s.PostForm(t, "/oauth2/token", c, url.Values{"grant_type": {"client_credentials"}})
				if status != http.StatusOK || body["access_token"] == nil {
					t.Fatalf("token: %d %v", status, body)
				}
			}
			token()
			s.Restart(t)
			token()
		})
	}
}

// Nodes of one backend share the issuer and the state: a client registered
// through one node is known to the other.
func TestSharedSQLite(t *testing.T) {
	b := SharedSQLite(t)
	first := StartInProcess(t, WithBackend(b))
	second := StartInProcess(t, WithBackend(b))
	if second.Issuer != first.Issuer || second.Addr == first.Addr {
		t.Fatalf("second node: issuer %s at %s; first: %s at %s", second.Issuer, second.Addr, first.Issuer, first.Addr)
	}
	c := first.CreateClient(t, ClientSpec{Name: "Trục liên thông", Grants: []string{"client_credentials"}})
	if second.URL("/") != "http://"+second.Addr+"/" {
		t.Errorf("second.URL(\"/\") = %s, want the node's own address %s", second.URL("/"), second.Addr)
	}
	status, body := second.PostForm(t, "/oauth2/token", c, url.Values{"grant_type": {"client_credentials"}})
	if status != http.StatusOK || body["access_token"] == nil {
		t.Fatalf("token from the second node: %d %v", status, body)
	}
}
