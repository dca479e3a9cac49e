package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// The people of the admin API tests.
var (
	apiSuper  = harness.Official{Username: "qt.tinh", Name: "Nguyễn Quản Trị", Agency: "UBND tỉnh", Password: "Quản-trị-tỉnh-2024!"}
	apiAgency = harness.Official{Username: "qt.stp", Name: "Lê Quản Trị Tư Pháp", Agency: "Sở Tư pháp",
		Password: "Quản-trị-sở-2024!"}
	apiHelpdesk = harness.Official{Username: "motcua.stp", Name: "Trần Một Cửa", Agency: "Sở Tư pháp", Password: "Một-cửa-2024!"}
	apiStaff    = harness.Official{Username: "cv.stc", Name: "Vũ Chuyên Viên", Agency: "Sở Tài chính", Password: "Chuyên-viên-2024!"}
	apiStaff2   = harness.Official{Username: "cv.stp", Name: "Đỗ Chuyên Viên", Agency: "Sở Tư pháp", Password: "Chuyên-viên-2025!"}
	// apiAuditor has no second factor: its logins are at LoA1.
	apiAuditor = harness.Official{Username: "kiem.toan", Name: "Phan Kiểm Toán", Agency: "UBND tỉnh", Password: "Kiểm-toán-2024!"}
)

const adminToolRedirect = "http://127.0.0.1:8765/callback"

// adminAPI is a node with administrators, the admin tool registered as the
// README says, and a token per administrator.
type adminAPI struct {
	srv   *harness.Server
	rp    *relyingParty
	subs  map[string]string
	codes map[string][]string
}

func newAdminAPI(t *testing.T, opts ...harness.Option) *adminAPI {
	srv := harness.StartInProcess(t, opts...)
	a := &adminAPI{srv: srv, subs: map[string]string{}, codes: map[string][]string{}}
	for _, o := range []harness.Official{apiSuper, apiAgency, apiHelpdesk, apiStaff, apiStaff2, apiAuditor} {
		a.subs[o.Username], _ = srv.CreateOfficial(t, o)
	}
	srv.CLI(t, "", "account", "grant-role", "--role", "super_admin", a.subs[apiSuper.Username])
	srv.CLI(t, "", "account", "grant-role", "--role", "agency_admin", "--agency", "Sở Tư pháp", a.subs[apiAgency.Username])
	srv.CLI(t, "", "account", "grant-role", "--role", "helpdesk", "--agency", "Sở Tư pháp", a.subs[apiHelpdesk.Username])
	srv.CLI(t, "", "account", "grant-role", "--role", "auditor", a.subs[apiAuditor.Username])
	tool := srv.CreateClient(t, harness.ClientSpec{Name: "Admin tool", FirstParty: true, RedirectURIs: []string{adminToolRedirect},
		Scopes: []string{"openid", "admin.read", "admin.write"}})
	a.rp = newRP(t, srv, tool)
	for _, o := range []harness.Official{apiSuper, apiAgency, apiHelpdesk} {
		_, a.codes[o.Username] = setUpApp(t, srv, o.Username, o.Password)
	}
	return a
}

// token logs o in through the admin tool, with a recovery code for the
// second factor when acr is LoA2, and returns the access token and the
// browser (holding the console's session).
func (a *adminAPI) token(t *testing.T, o harness.Official, acr string, scopes ...string) (string, *harness.Browser) {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"openid", "admin.read", "admin.write"}
	}
	b := a.srv.NewBrowser(t)
	var extra []oauth2.AuthCodeOption
	if acr != "LoA1" {
		extra = append(extra, oauth2.SetAuthURLParam("acr_values", acr))
	}
	ar, resp := a.rp.authorize(t, b, scopes, extra...)
	resp = login(t, b, resp, o.Username, o.Password)
	if acr != "LoA1" {
		code := a.codes[o.Username][0]
		a.codes[o.Username] = a.codes[o.Username][1:]
		resp = presentRecovery(t, b, resp, code)
	}
	toks := a.rp.exchange(t, ar, a.rp.code(t, ar, resp))
	if got := toks.Claims["acr"]; got != acr {
		t.Fatalf("login at %s gave acr %v", acr, got)
	}
	return toks.AccessToken, b
}

type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (r apiAnswer) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %s", r.status, r.body)
	}
	return m
}

func (r apiAnswer) list(t *testing.T) []any {
	t.Helper()
	var l []any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("answer %d is not a JSON array: %s", r.status, r.body)
	}
	return l
}

// problem checks that the answer is a problem of the status and type.
func (r apiAnswer) problem(t *testing.T, status int, typ string) map[string]any {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("want a %d problem %q, got %d %s: %s", status, typ, r.status, r.header.Get("Content-Type"), r.body)
	}
	m := r.obj(t)
	if m["type"] != "urn:dinhdanh:problem:"+typ || m["status"] != float64(status) || m["title"] == "" {
		t.Fatalf("want problem %q, got %v", typ, m)
	}
	return m
}

// do sends a request to the admin API: with the bearer token, or (token
// "") as is; body is JSON unless it is a string (sent raw).
func (a *adminAPI) do(t *testing.T, method, path, token string, body any, hdr ...string) apiAnswer {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		b, _ := json.Marshal(v)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.srv.URL("/admin/api"+path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.srv.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

// denials counts the refusals audited of the actor.
func (a *adminAPI) denials(t *testing.T, actor string) int {
	t.Helper()
	n := 0
	for _, e := range a.srv.Audit(t, "", 1000) {
		if e.Type == "admin.denied" && e.Actor == actor {
			n++
		}
	}
	return n
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(t)
	superTok, superBrowser := a.token(t, apiSuper, "LoA2")
	agencyTok, _ := a.token(t, apiAgency, "LoA2")
	helpTok, _ := a.token(t, apiHelpdesk, "LoA2")
	staffSub, staff2Sub := a.subs[apiStaff.Username], a.subs[apiStaff2.Username]

	t.Run("every documented operation exists and asks for authentication", func(t *testing.T) {
		r := a.do(t, "GET", "/openapi.json", "", nil)
		var doc struct {
			OpenAPI string                               `json:"openapi"`
			Paths   map[string]map[string]map[string]any `json:"paths"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &doc) != nil || doc.OpenAPI != "3.1.0" || len(doc.Paths) < 20 {
			t.Fatalf("openapi.json: %d %.200s", r.status, r.body)
		}
		param := regexp.MustCompile(`\{[a-z_]+\}`)
		n := 0
		for path, ops := range doc.Paths {
			for method := range ops {
				if path == "/admin/api/openapi.json" {
					continue
				}
				p := param.ReplaceAllString(strings.TrimPrefix(path, "/admin/api"), "x")
				got := a.do(t, strings.ToUpper(method), p, "", nil)
				if got.status == http.StatusNotFound || got.status == http.StatusMethodNotAllowed {
					t.Errorf("%s %s: %d, documented but not served", method, path, got.status)
				}
				got.problem(t, http.StatusUnauthorized, "unauthorized")
				if !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: no WWW-Authenticate", method, path)
				}
				n++
			}
		}
		if n < 30 {
			t.Fatalf("%d operations documented", n)
		}
		a.do(t, "GET", "/no-such-thing", superTok, nil).problem(t, http.StatusNotFound, "not_found")
		r = a.do(t, "PUT", "/keys", superTok, nil)
		r.problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		if r.header.Get("Allow") != "GET" {
			t.Fatalf("Allow: %q", r.header.Get("Allow"))
		}
	})

	t.Run("tokens without the scope, below LoA2 or of no person are refused", func(t *testing.T) {
		loa1, _ := a.token(t, apiAuditor, "LoA1")
		a.do(t, "GET", "/audit", loa1, nil).problem(t, http.StatusForbidden, "level")
		noScope, _ := a.token(t, apiSuper, "LoA2", "openid")
		r := a.do(t, "GET", "/accounts", noScope, nil)
		r.problem(t, http.StatusForbidden, "insufficient_scope")
		if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) || !strings.Contains(h, `scope="admin.read"`) {
			t.Fatalf("WWW-Authenticate: %q", h)
		}
		readOnly, _ := a.token(t, apiSuper, "LoA2", "openid", "admin.read")
		if r := a.do(t, "GET", "/accounts", readOnly, nil); r.status != 200 {
			t.Fatalf("read-only token reading: %d %s", r.status, r.body)
		}
		a.do(t, "POST", "/accounts/"+staffSub+"/lock", readOnly, map[string]string{"reason": "x"}).problem(t, http.StatusForbidden, "insufficient_scope")
		a.do(t, "GET", "/accounts", "not-a-token", nil).problem(t, http.StatusUnauthorized, "unauthorized")
		// A client's own token acts for nobody.
		cc := a.srv.CreateClient(t, harness.ClientSpec{Name: "Máy chủ", Grants: []string{"client_credentials"}, Scopes: []string{"admin.read"}})
		st, tok := a.srv.PostForm(t, "/oauth2/token", cc, url.Values{"grant_type": {"client_credentials"}, "scope": {"admin.read"}})
		if st != 200 {
			t.Fatalf("client_credentials: %d %v", st, tok)
		}
		a.do(t, "GET", "/accounts", tok["access_token"].(string), nil).problem(t, http.StatusForbidden, "insufficient_scope")
		if got := a.do(t, "GET", "/accounts/"+staffSub, "", nil, "Authorization", "Basic eDp5"); got.status != 401 {
			t.Fatalf("Basic: %d", got.status)
		}
	})

	t.Run("accounts", func(t *testing.T) {
		r := a.do(t, "GET", "/accounts?q=Chuyên&limit=10", superTok, nil)
		if r.status != 200 || len(r.list(t)) != 2 {
			t.Fatalf("search: %d %s", r.status, r.body)
		}
		a.do(t, "GET", "/accounts?limit=x", superTok, nil).problem(t, 400, "invalid")
		a.do(t, "GET", "/accounts?after=x", superTok, nil).problem(t, 400, "invalid")
		// Paging by cursor: two pages of one are the page of two.
		two := a.do(t, "GET", "/accounts?q=Chuyên&limit=2", superTok, nil).list(t)
		p1 := a.do(t, "GET", "/accounts?q=Chuyên&limit=1", superTok, nil)
		cursor := p1.header.Get("Next-Cursor")
		p2 := a.do(t, "GET", "/accounts?q=Chuyên&limit=1&after="+url.QueryEscape(cursor), superTok, nil)
		if cursor == "" || p1.list(t)[0].(map[string]any)["id"] != two[0].(map[string]any)["id"] ||
			p2.list(t)[0].(map[string]any)["id"] != two[1].(map[string]any)["id"] {
			t.Fatalf("cursor paging: %q %s %s, want the two of %v", cursor, p1.body, p2.body, two)
		}
		// The agency admin sees its agency only, and is refused another.
		r = a.do(t, "GET", "/accounts?q=Chuyên", agencyTok, nil)
		if l := r.list(t); len(l) != 1 || l[0].(map[string]any)["id"] != staff2Sub {
			t.Fatalf("agency admin's search: %s", r.body)
		}
		a.do(t, "GET", "/accounts?agency="+url.QueryEscape("Sở Tài chính"), agencyTok, nil).problem(t, 403, "forbidden")
		p := a.do(t, "GET", "/accounts/"+staffSub, superTok, nil).obj(t)
		if p["account"].(map[string]any)["id"] != staffSub || p["lock"] == nil || p["sessions"] == nil {
			t.Fatalf("person: %v", p)
		}
		a.do(t, "GET", "/accounts/khong-co-ai", superTok, nil).problem(t, 404, "not_found")
		created := a.do(t, "POST", "/accounts", superTok, map[string]any{"kind": "official", "name": "Hồ Mới Vào",
			"username": "moi.vao", "agency": "Sở Tư pháp"})
		if created.status != 201 {
			t.Fatalf("create: %d %s", created.status, created.body)
		}
		bad := a.do(t, "POST", "/accounts", superTok, map[string]any{"kind": "official", "name": "", "username": "x y"})
		if errs := bad.problem(t, 400, "invalid")["errors"].([]any); len(errs) < 2 {
			t.Fatalf("want a problem per field: %v", errs)
		}
		// Lock and unlock.
		if r := a.do(t, "POST", "/accounts/"+staffSub+"/lock", superTok, map[string]string{"reason": "nghỉ việc"}); r.status != 204 {
			t.Fatalf("lock: %d %s", r.status, r.body)
		}
		if p := a.do(t, "GET", "/accounts/"+staffSub, superTok, nil).obj(t); p["account"].(map[string]any)["disabled"] != true {
			t.Fatal("not locked")
		}
		if r := a.do(t, "POST", "/accounts/"+staffSub+"/unlock", superTok, nil); r.status != 204 {
			t.Fatalf("unlock: %d %s", r.status, r.body)
		}
		// An agency admin acting outside its agency: 403 and an audit row.
		before := a.denials(t, a.subs[apiAgency.Username])
		a.do(t, "POST", "/accounts/"+staffSub+"/lock", agencyTok, map[string]string{"reason": "x"}).problem(t, 403, "forbidden")
		if a.denials(t, a.subs[apiAgency.Username]) != before+1 {
			t.Fatal("the refusal was not audited")
		}
		if p := a.do(t, "GET", "/accounts/"+staffSub, superTok, nil).obj(t); p["account"].(map[string]any)["disabled"] != false {
			t.Fatal("a refused lock locked")
		}
		// In its agency it may.
		if r := a.do(t, "POST", "/accounts/"+staff2Sub+"/lock", agencyTok, map[string]string{}); r.status != 204 {
			t.Fatalf("agency admin's lock: %d %s", r.status, r.body)
		}
		a.do(t, "POST", "/accounts/"+staff2Sub+"/unlock", agencyTok, nil)
		// The helpdesk cannot set a password, but may unlock and reset factors.
		a.do(t, "PUT", "/accounts/"+staff2Sub+"/password", helpTok, map[string]string{"password": "Mật-khẩu-mới-2025"}).problem(t, 403, "forbidden")
		if r := a.do(t, "POST", "/accounts/"+staff2Sub+"/reset-factors", helpTok, nil); r.status != 200 || r.obj(t)["n"] != float64(0) {
			t.Fatalf("helpdesk reset-factors: %d %s", r.status, r.body)
		}
		if r := a.do(t, "PUT", "/accounts/"+staff2Sub+"/password", superTok, map[string]string{"password": "Mật-khẩu-mới-2025"}); r.status != 204 {
			t.Fatalf("set password: %d %s", r.status, r.body)
		}
		a.do(t, "PUT", "/accounts/"+staff2Sub+"/password", superTok, map[string]string{"password": "ngắn"}).problem(t, 400, "invalid")
		if r := a.do(t, "DELETE", "/accounts/"+staff2Sub+"/sessions", superTok, nil); r.status != 200 {
			t.Fatalf("end sessions: %d %s", r.status, r.body)
		}
		if r := a.do(t, "GET", "/accounts/"+staff2Sub+"/sessions", superTok, nil); r.status != 200 || len(r.list(t)) != 0 {
			t.Fatalf("sessions: %d %s", r.status, r.body)
		}
		a.do(t, "DELETE", "/accounts/"+staff2Sub+"/sessions/khong-co", superTok, nil).problem(t, 404, "not_found")
		a.do(t, "POST", "/accounts/"+staff2Sub+"/verify-personal-id", superTok, map[string]string{"personal_id": "001090000123"}).problem(t, 400, "invalid")
		if r := a.do(t, "POST", "/accounts/"+staff2Sub+"/verify-personal-id", superTok, map[string]string{"personal_id": "001090000123",
			"evidence": "in-person", "document": "cccd", "by": "Trần Một Cửa"}); r.status != 200 || r.obj(t)["personal_id_verified"] != true {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
	})

	t.Run("bad bodies change nothing", func(t *testing.T) {
		for _, c := range []struct {
			body, ctype string
			status      int
			typ         string
		}{
			{`{"reason":`, "application/json", 400, "invalid"},
			{`{"reason":"x","admin":true}`, "application/json", 400, "invalid"},
			{`{"reason":1}`, "application/json", 400, "invalid"},
			{`{"reason":"x"}{"reason":"y"}`, "application/json", 400, "invalid"},
			{`reason=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
			{`{"reason":"` + strings.Repeat("x", 70000) + `"}`, "application/json", 400, "invalid"},
		} {
			a.do(t, "POST", "/accounts/"+staffSub+"/lock", superTok, c.body, "Content-Type", c.ctype).problem(t, c.status, c.typ)
		}
		if p := a.do(t, "GET", "/accounts/"+staffSub, superTok, nil).obj(t); p["account"].(map[string]any)["disabled"] != false {
			t.Fatal("a refused body locked the account")
		}
	})

	t.Run("roles: forty concurrent grants give one", func(t *testing.T) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		statuses := make([]int, 40)
		for i := range 40 {
			wg.Go(func() {
				<-start
				statuses[i] = a.do(t, "POST", "/accounts/"+staff2Sub+"/roles", superTok,
					map[string]any{"role": "auditor", "agency": "Sở Tư pháp"}).status
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case 201:
				created++
			case 400:
			default:
				t.Fatalf("grant statuses %v", statuses)
			}
		}
		roles := a.do(t, "GET", "/accounts/"+staff2Sub+"/roles", superTok, nil).list(t)
		if created != 1 || len(roles) != 1 {
			t.Fatalf("%d grants created, %d held", created, len(roles))
		}
		// The agency admin may not grant in another agency, nor a wider role.
		a.do(t, "POST", "/accounts/"+staff2Sub+"/roles", agencyTok, map[string]any{"role": "agency_admin", "agency": "Sở Tư pháp"}).problem(t, 403, "forbidden")
		if r := a.do(t, "POST", "/accounts/"+staff2Sub+"/roles/revoke", agencyTok, map[string]any{"role": "auditor", "agency": "Sở Tư pháp"}); r.status != 204 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		a.do(t, "POST", "/accounts/"+staff2Sub+"/roles/revoke", superTok, map[string]any{"role": "auditor", "agency": "Sở Tư pháp"}).problem(t, 404, "not_found")
	})

	t.Run("clients", func(t *testing.T) {
		r := a.do(t, "POST", "/clients", superTok, map[string]any{"client_id": "may-chu", "name": "Máy chủ tích hợp",
			"grant_types": []string{"client_credentials"}, "scopes": []string{"lgsp"}, "agency": "Sở Tư pháp"})
		if r.status != 201 || r.obj(t)["client_secret"] == "" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if got := a.do(t, "GET", "/clients/may-chu", agencyTok, nil).obj(t); got["client_secret"] != nil || got["name"] != "Máy chủ tích hợp" {
			t.Fatalf("show: %v", got)
		}
		if l := a.do(t, "GET", "/clients", agencyTok, nil).list(t); len(l) != 1 {
			t.Fatalf("the agency admin lists %d clients, want its one", len(l))
		}
		r = a.do(t, "PATCH", "/clients/may-chu", agencyTok, map[string]any{"name": "Máy chủ LGSP", "minimum_acr": "LoA2"})
		if r.status != 200 || r.obj(t)["name"] != "Máy chủ LGSP" || r.obj(t)["scopes"].([]any)[0] != "lgsp" {
			t.Fatalf("edit: %d %s", r.status, r.body)
		}
		bad := a.do(t, "PATCH", "/clients/may-chu", agencyTok, map[string]any{"name": "", "minimum_acr": "LoA7", "public": true})
		fields := map[string]bool{}
		for _, e := range bad.problem(t, 400, "invalid")["errors"].([]any) {
			fields[e.(map[string]any)["field"].(string)] = true
		}
		if !fields["name"] || !fields["min_acr"] || !fields["public"] {
			t.Fatalf("problems: %v", fields)
		}
		a.do(t, "PATCH", "/clients/may-chu", agencyTok, map[string]any{"agency": "Sở Tài chính"}).problem(t, 403, "forbidden")
		if got := a.do(t, "GET", "/clients/may-chu", superTok, nil).obj(t); got["name"] != "Máy chủ LGSP" || got["agency"] != "Sở Tư pháp" {
			t.Fatalf("a refused edit changed the client: %v", got)
		}
		// Ten concurrent rotations: ten secrets, only the last one works.
		var wg sync.WaitGroup
		start := make(chan struct{})
		secrets := make([]string, 10)
		for i := range 10 {
			wg.Go(func() {
				<-start
				r := a.do(t, "POST", "/clients/may-chu/secret", superTok, nil)
				if r.status == 200 {
					secrets[i], _ = r.obj(t)["client_secret"].(string)
				}
			})
		}
		close(start)
		wg.Wait()
		seen, valid := map[string]bool{}, 0
		for _, s := range secrets {
			if s == "" || seen[s] {
				t.Fatalf("rotations returned %v", secrets)
			}
			seen[s] = true
			st, _ := a.srv.PostForm(t, "/oauth2/token", &harness.Client{ID: "may-chu", Secret: s},
				url.Values{"grant_type": {"client_credentials"}, "scope": {"lgsp"}})
			if st == 200 {
				valid++
			}
		}
		if valid != 1 {
			t.Fatalf("%d of 10 rotated secrets work, want 1", valid)
		}
		a.do(t, "DELETE", "/clients/may-chu", helpTok, nil).problem(t, 403, "forbidden")
		if r := a.do(t, "DELETE", "/clients/may-chu", agencyTok, nil); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		a.do(t, "GET", "/clients/may-chu", superTok, nil).problem(t, 404, "not_found")
	})

	t.Run("businesses", func(t *testing.T) {
		cit := a.srv.CreateCitizen(t, tuan)
		a.do(t, "POST", "/accounts/"+cit+"/verify-personal-id", helpTok, map[string]string{"personal_id": tuan.PersonalID,
			"evidence": "in-person", "document": "cccd", "by": "Trần Một Cửa"})
		r := a.do(t, "POST", "/accounts/"+cit+"/businesses", helpTok, map[string]string{"tax_code": "0100109106",
			"business_name": "Công ty Sen Vàng", "role": "legal_representative"})
		if r.status != 201 {
			t.Fatalf("link: %d %s", r.status, r.body)
		}
		b := a.do(t, "GET", "/businesses/0100109106", helpTok, nil).obj(t)
		if reps := b["representatives"].([]any); len(reps) != 1 || reps[0].(map[string]any)["name"] != tuan.Name {
			t.Fatalf("business: %v", b)
		}
		a.do(t, "GET", "/businesses/123", helpTok, nil).problem(t, 400, "invalid")
		a.do(t, "GET", "/businesses/0100109106", agencyTok, nil).problem(t, 403, "forbidden")
		if r := a.do(t, "DELETE", "/accounts/"+cit+"/businesses/0100109106", helpTok, nil); r.status != 204 {
			t.Fatalf("unlink: %d %s", r.status, r.body)
		}
	})

	t.Run("keys, directories, deliveries, audit, dashboard", func(t *testing.T) {
		keys := a.do(t, "GET", "/keys", superTok, nil).list(t)
		if len(keys) == 0 || keys[0].(map[string]any)["kid"] == "" {
			t.Fatalf("keys: %v", keys)
		}
		a.do(t, "GET", "/keys", agencyTok, nil).problem(t, 403, "forbidden")
		a.do(t, "POST", "/keys/rotate", superTok, map[string]string{"algorithm": "HS256"}).problem(t, 400, "invalid")
		if r := a.do(t, "POST", "/keys/rotate", superTok, map[string]string{"algorithm": "ES256"}); r.status != 200 || r.obj(t)["alg"] != "ES256" {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		if r := a.do(t, "GET", "/directories", superTok, nil); r.status != 200 || len(r.list(t)) != 0 {
			t.Fatalf("directories: %d %s", r.status, r.body)
		}
		a.do(t, "POST", "/directories/khong-co/sync", superTok, map[string]any{"full": true}).problem(t, 404, "not_found")
		if r := a.do(t, "GET", "/logout-deliveries?status=pending", superTok, nil); r.status != 200 {
			t.Fatalf("deliveries: %d %s", r.status, r.body)
		}
		a.do(t, "GET", "/logout-deliveries?status=lost", superTok, nil).problem(t, 400, "invalid")
		evs := a.do(t, "GET", "/audit?type=account.lock&limit=5", superTok, nil).list(t)
		if len(evs) == 0 || evs[0].(map[string]any)["type"] != "account.lock" {
			t.Fatalf("audit: %v", evs)
		}
		a.do(t, "GET", "/audit?from=yesterday", superTok, nil).problem(t, 400, "invalid")
		a.do(t, "GET", "/audit", agencyTok, nil).problem(t, 400, "invalid")
		a.do(t, "GET", "/audit?subject="+staffSub, agencyTok, nil).problem(t, 403, "forbidden")
		if r := a.do(t, "GET", "/audit?subject="+staff2Sub, agencyTok, nil); r.status != 200 || len(r.list(t)) == 0 {
			t.Fatalf("agency audit: %d %s", r.status, r.body)
		}
		// Paging by key neither skips nor repeats: two pages of 2 are the first 4.
		four := a.do(t, "GET", "/audit?limit=4", superTok, nil).list(t)
		first := a.do(t, "GET", "/audit?limit=2&before="+fmt.Sprint(int64(four[0].(map[string]any)["id"].(float64))+1), superTok, nil).list(t)
		next := a.do(t, "GET", "/audit?limit=2&before="+fmt.Sprint(int64(first[1].(map[string]any)["id"].(float64))), superTok, nil).list(t)
		for i, e := range append(first, next...) {
			if e.(map[string]any)["id"] != four[i].(map[string]any)["id"] {
				t.Fatalf("audit paging by key: page event %d is %v, want %v", i, e, four[i])
			}
		}
		// Export: every matching event, as JSON lines or formula-safe CSV,
		// under the same scope rules as the search.
		locks := a.do(t, "GET", "/audit?type=account.&limit=500", superTok, nil).list(t)
		ex := a.do(t, "GET", "/audit/export?type=account.", superTok, nil)
		if ex.status != 200 || !strings.HasPrefix(ex.header.Get("Content-Type"), "application/jsonl") ||
			!strings.Contains(ex.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v %s", ex.status, ex.header, ex.body)
		}
		lines := strings.Split(strings.TrimSpace(string(ex.body)), "\n")
		if len(lines) != len(locks) {
			t.Fatalf("export wrote %d events, the search finds %d", len(lines), len(locks))
		}
		for i, l := range lines {
			var e map[string]any
			if err := json.Unmarshal([]byte(l), &e); err != nil || e["id"] != locks[i].(map[string]any)["id"] {
				t.Fatalf("export line %d = %s (%v), want event %v", i, l, err, locks[i])
			}
		}
		csv := a.do(t, "GET", "/audit/export?format=csv&type=account.", superTok, nil)
		if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
			strings.Count(strings.TrimSpace(string(csv.body)), "\n") != len(locks) { // a header line, then one per event
			t.Fatalf("csv export: %d %v\n%s", csv.status, csv.header, csv.body)
		}
		a.do(t, "GET", "/audit/export?format=xml", superTok, nil).problem(t, 400, "invalid")
		a.do(t, "GET", "/audit/export", agencyTok, nil).problem(t, 400, "invalid")
		a.do(t, "GET", "/audit/export?subject="+staffSub, agencyTok, nil).problem(t, 403, "forbidden")
		d := a.do(t, "GET", "/dashboard", superTok, nil).obj(t)
		if logins, _ := d["logins"].([]any); len(logins) == 0 || d["logout_queue"] == nil || d["keys"] == nil {
			t.Fatalf("dashboard: %v", d)
		}
	})

	t.Run("the console's session, with its CSRF token for changes", func(t *testing.T) {
		cookies := fmt.Sprintf("dinhdanh_session=%s; dinhdanh_csrf=%s", superBrowser.Cookie("dinhdanh_session"),
			superBrowser.Cookie("dinhdanh_csrf"))
		if r := a.do(t, "GET", "/accounts", "", nil, "Cookie", cookies); r.status != 200 {
			t.Fatalf("console GET: %d %s", r.status, r.body)
		}
		a.do(t, "POST", "/accounts/"+staffSub+"/unlock", "", nil, "Cookie", cookies).problem(t, 403, "csrf")
		a.do(t, "POST", "/accounts/"+staffSub+"/unlock", "", nil, "Cookie", cookies, "X-CSRF-Token", "forged").problem(t, 403, "csrf")
		page := superBrowser.Get(t, "/account").MustPage(t, http.StatusOK, "/account")
		cookies = fmt.Sprintf("dinhdanh_session=%s; dinhdanh_csrf=%s", superBrowser.Cookie("dinhdanh_session"),
			superBrowser.Cookie("dinhdanh_csrf"))
		if r := a.do(t, "POST", "/accounts/"+staffSub+"/unlock", "", nil, "Cookie", cookies, "X-CSRF-Token", csrfOf(t, page)); r.status != 204 {
			t.Fatalf("console POST with its CSRF token: %d %s", r.status, r.body)
		}
	})
}

// TestAdminAPIReauthentication: a destructive call with a token whose
// authentication is older than mfa.reauthentication_max_age is refused with
// a problem telling the client to authenticate again; a read still works.
func TestAdminAPIReauthentication(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(t, harness.WithEnv("DINHDANH_MFA_REAUTHENTICATION_MAX_AGE", "1m"))
	tok, _ := a.token(t, apiSuper, "LoA2")
	time.Sleep(61 * time.Second)
	staff := a.subs[apiStaff.Username]
	r := a.do(t, "POST", "/accounts/"+staff+"/lock", tok, map[string]string{"reason": "x"})
	p := r.problem(t, http.StatusUnauthorized, "reauthenticate")
	if p["max_age"] != float64(60) || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_user_authentication"`) {
		t.Fatalf("reauthenticate problem: %v %q", p, r.header.Get("WWW-Authenticate"))
	}
	if acct := a.do(t, "GET", "/accounts/"+staff, tok, nil).obj(t)["account"].(map[string]any); acct["disabled"] != false {
		t.Fatal("a refused lock locked")
	}
	fresh, _ := a.token(t, apiSuper, "LoA2")
	if r := a.do(t, "POST", "/accounts/"+staff+"/lock", fresh, map[string]string{"reason": "x"}); r.status != 204 {
		t.Fatalf("lock with a fresh authentication: %d %s", r.status, r.body)
	}
}

// TestAdminAPIReadme runs the README's curl example as written, with a
// token of the first administrator.
func TestAdminAPIReadme(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is not installed: test/services/install.sh installs it")
		}
		t.Skip("curl is not installed")
	}
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- admin-api-example[^>]*-->\n```sh\n(.*?)```\n<!-- /admin-api-example -->").FindSubmatch(readme)
	if m == nil {
		t.Fatal("the README has no admin API example")
	}
	a := newAdminAPI(t)
	binhSub, _ := a.srv.CreateOfficial(t, binh)
	tok, _ := a.token(t, apiSuper, "LoA2")
	cmd := exec.Command("sh", "-e", "-c", string(m[1]))
	cmd.Env = append(os.Environ(), "TOKEN="+tok, "DINHDANH="+strings.TrimSuffix(a.srv.URL(""), "/"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's example failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"name":"Trần Thanh Bình"`) {
		t.Fatalf("the search printed %s", out)
	}
	if acct := a.do(t, "GET", "/accounts/"+binhSub, tok, nil).obj(t)["account"].(map[string]any); acct["disabled"] != true ||
		acct["disabled_reason"] != "nghỉ việc" {
		t.Fatalf("the example's lock did not lock: %v", acct)
	}
}
