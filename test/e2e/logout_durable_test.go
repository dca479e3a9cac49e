package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// pgFault makes the writes of a logout's durable part fail in the node's
// PostgreSQL schema (statement triggers that raise an error, as a database
// that refuses writes does) while reads and Redis keep working.
type pgFault struct {
	conn *pgx.Conn
}

// faultTables are the tables a logout writes, and the writes refused.
var faultTables = map[string]string{"refresh_tokens": "UPDATE", "sso_sessions": "DELETE", "logout_deliveries": "INSERT"}

func newPGFault(t *testing.T, dbURL string) *pgFault {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), `CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN RAISE EXCEPTION 'injected fault: writes refused'; END $$`); err != nil {
		t.Fatal(err)
	}
	return &pgFault{conn: conn}
}

func (f *pgFault) inject(t *testing.T) {
	t.Helper()
	for table, op := range faultTables {
		if _, err := f.conn.Exec(t.Context(), `CREATE TRIGGER fault_`+table+` BEFORE `+op+` ON `+table+
			` FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes()`); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *pgFault) recover(t *testing.T) {
	t.Helper()
	for table := range faultTables {
		if _, err := f.conn.Exec(t.Context(), `DROP TRIGGER fault_`+table+` ON `+table); err != nil {
			t.Fatal(err)
		}
	}
}

// envValue returns the value of the DINHDANH_* variable in env.
func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// TestLogoutDurableBeforeConfirmed logs out while PostgreSQL refuses the
// writes of the logout (Redis works): the person gets a 503 page and keeps
// the session, a retry during the fault does not claim success, and the
// retry after recovery completes the logout: the refresh token is dead, the
// back-channel notice is delivered and the audit log says "logout".
func TestLogoutDurableBeforeConfirmed(t *testing.T) {
	t.Parallel()
	srv := harness.Start(t, harness.WithBackend(harness.SharedPostgresRedis(t)))
	dbURL := envValue(srv.Env(), "DINHDANH_DATABASE_URL")
	if dbURL == "" {
		t.Fatal("the node has no PostgreSQL URL")
	}
	fault := newPGFault(t, dbURL)
	sub := srv.CreateCitizen(t, dat)
	portalRP := startRP(t, srv, rpSpec{Name: "Cổng dịch vụ công tỉnh", FirstParty: true})
	b := srv.NewBrowser(t)
	toks := portalRP.signIn(t, b, datSignIn, openidProfile)
	sid := sidOf(toks)
	if toks.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	logout := portalRP.logoutURL(url.Values{"id_token_hint": {toks.RawIDToken}})

	fault.inject(t)
	for try := range 2 {
		resp := b.Get(t, logout)
		if resp.Page == nil || resp.Page.Status != http.StatusServiceUnavailable {
			t.Fatalf("logout %d while PostgreSQL refuses writes: %v, want a 503 page", try+1, resp)
		}
		if b.Cookie("dinhdanh_session") == "" {
			t.Fatalf("logout %d failed but cleared the session cookie", try+1)
		}
	}
	portalRP.noLogout(t, sid)
	fault.recover(t)

	// The session is still there: the retry completes the logout.
	checkLoggedOut(t, b.Get(t, logout))
	if b.Cookie("dinhdanh_session") != "" {
		t.Error("the session cookie is still set after the logout")
	}
	portalRP.refreshFails(t, toks.RefreshToken, "after the confirmed logout")
	portalRP.waitLogout(t, sid)

	cfg := config.Default()
	cfg.Database.URL = dbURL
	db, err := app.OpenDatabase(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := db.ListAudit(t.Context(), sub, 50)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range events {
		if e.Type == "session.end" && e.Details["sid"] == sid {
			reasons = append(reasons, e.Details["reason"])
		}
	}
	if len(reasons) != 1 || reasons[0] != "logout" {
		t.Errorf("the audit log records the end of the session with reasons %q, want one \"logout\"", reasons)
	}
}
