package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// logoutReceiver is an application's back-channel logout endpoint: it keeps
// every logout token POSTed to it.
type logoutReceiver struct {
	mu     sync.Mutex
	tokens []string
}

func (rc *logoutReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.tokens = append(rc.tokens, r.PostForm.Get("logout_token"))
	rc.mu.Unlock()
}

func (rc *logoutReceiver) received() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.tokens...)
}

// TestCommandLineLogoutIsSigned ends sessions from the command line
// ("account end-sessions" and "account lock") for an application with a
// back-channel logout URI. The command line queues the notifications; the
// logout service it ends sessions with delivers them signed with the
// server's keys, verifiable against the server's JWKS.
func TestCommandLineLogoutIsSigned(t *testing.T) {
	ctx := t.Context()
	rp := &logoutReceiver{}
	rpSrv := httptest.NewServer(rp)
	defer rpSrv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dinhdanh.yaml")
	text := "issuer: http://localhost:8080\ndata_dir: " + filepath.Join(dir, "data") + "\n"
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		full := append([]string{args[0], args[1], "--config", cfgPath}, args[2:]...)
		if err := run(ctx, full, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("dinhdanh %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
		}
		return out.String()
	}

	cfg, node, keySet := startOnce(t, cfgPath)
	db := node.DB
	cli("client", "create", "--id", "portal", "--name", "Cổng thông tin", "--redirect-uri", "https://portal.example/cb",
		"--backchannel-logout-uri", rpSrv.URL+"/logout")
	var created struct{ Sub string }
	out := cli("account", "create", "--kind", "citizen", "--personal-id", "001099012345", "--name", "Nguyễn Văn An",
		"--birthdate", "1999-05-17", "--gender", "male", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Sub == "" {
		t.Fatalf("account create printed %q (%v)", out, err)
	}
	login := func() string {
		t.Helper()
		s := &session.SSO{AccountID: created.Sub, Capacity: "citizen", ACR: "LoA1"}
		if err := node.Sessions.Create(ctx, httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), s); err != nil {
			t.Fatal(err)
		}
		if err := node.Sessions.AddClient(ctx, s, "portal"); err != nil {
			t.Fatal(err)
		}
		return s.ID
	}

	for _, tc := range []struct {
		args []string
		want string // printed by the command
	}{
		{[]string{"account", "end-sessions", created.Sub}, "ended 1 session(s)"},
		{[]string{"account", "lock", "--reason", "test", created.Sub}, "locked " + created.Sub},
	} {
		sid := login()
		if out := cli(tc.args...); !strings.Contains(out, tc.want) {
			t.Fatalf("dinhdanh %s printed %q", strings.Join(tc.args, " "), out)
		}
		ds, err := db.ListLogouts(ctx, store.DeliveryPending, 10)
		if err != nil || len(ds) != 1 || ds[0].SessionID != sid || ds[0].URI != rpSrv.URL+"/logout" {
			t.Fatalf("%s: pending deliveries %+v (%v), want one for session %s", tc.args[1], ds, err, sid)
		}
		deliverAsCommandLine(t, cfgPath)
		got := rp.received()
		if len(got) == 0 {
			t.Fatalf("%s: no logout token reached the application", tc.args[1])
		}
		verifyLogoutToken(t, keySet, got[len(got)-1], cfg.Issuer, created.Sub, sid)
		if ds, err := db.ListLogouts(ctx, store.DeliveryPending, 10); err != nil || len(ds) != 0 {
			t.Fatalf("%s: still pending after delivery: %+v (%v)", tc.args[1], ds, err)
		}
	}
}

// startOnce assembles a node on the configuration, as its first start does:
// it makes the seal key and the signing keys. It returns the configuration,
// the node (not serving, no background work) and the node's JWKS.
func startOnce(t *testing.T, cfgPath string) (*config.Config, *app.App, jose.JSONWebKeySet) {
	t.Helper()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(t.Context(), cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	node, err := app.New(t.Context(), cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	jwks := httptest.NewRecorder()
	node.Handler.ServeHTTP(jwks, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	var keySet jose.JSONWebKeySet
	if err := json.Unmarshal(jwks.Body.Bytes(), &keySet); err != nil || len(keySet.Keys) == 0 {
		t.Fatalf("JWKS %q: %v", jwks.Body.String(), err)
	}
	return cfg, node, keySet
}

// deliverAsCommandLine works the back-channel logout queue once with the
// logout service of the command line's administrative environment.
func deliverAsCommandLine(t *testing.T, cfgPath string) {
	t.Helper()
	e := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	a, err := e.openAdmin(t.Context(), cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if n, err := a.svc.Logout.Deliver(t.Context()); err != nil || n != 1 {
		t.Fatalf("delivering the queue: %d claimed, %v", n, err)
	}
}

// verifyLogoutToken checks a logout token against the JWKS as a relying
// party does (Back-Channel Logout 1.0 §2.6).
func verifyLogoutToken(t *testing.T, keySet jose.JSONWebKeySet, raw, issuer, sub, sid string) {
	t.Helper()
	obj, err := jose.ParseSigned(raw)
	if err != nil {
		t.Fatalf("logout token %q: %v", raw, err)
	}
	h := obj.Signatures[0].Header
	if h.ExtraHeaders["typ"] != "logout+jwt" {
		t.Errorf("typ = %v, want logout+jwt", h.ExtraHeaders["typ"])
	}
	keys := keySet.Key(h.KeyID)
	if len(keys) == 0 {
		t.Fatalf("the JWKS has no key %q", h.KeyID)
	}
	payload, err := obj.Verify(keys[0].Public())
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	ev, _ := c["events"].(map[string]any)
	if _, ok := ev[session.BackchannelEvent]; !ok || c["iss"] != issuer || c["aud"] != "portal" || c["sub"] != sub || c["sid"] != sid {
		t.Errorf("logout token claims %v", c)
	}
}
