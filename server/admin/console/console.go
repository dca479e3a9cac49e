package console

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Config is what the console needs.
type Config struct {
	Kit      *web.Kit
	Sessions *session.Manager
	// Admin is the administrative service with no principal, used only to
	// build the principal of a request (PrincipalFor).
	Admin *admin.Service
	// As returns the service acting for an administrator (Services.AdminAs).
	As func(p *admin.Principal) *admin.Service
	// Issuer is the issuer URL, for the applications' integration snippet.
	Issuer string
	Log    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Handler serves the console. Build it with New.
type Handler struct {
	kit      *web.Kit
	sessions *session.Manager
	admin    *admin.Service
	as       func(p *admin.Principal) *admin.Service
	issuer   string
	log      *slog.Logger
	now      func() time.Time
}

// New returns the console over c. It panics when a required part is
// missing: a half-built console would fail on its first request.
func New(c Config) *Handler {
	if c.Kit == nil || c.Sessions == nil || c.Admin == nil || c.As == nil || c.Log == nil {
		panic("console: New needs Kit, Sessions, Admin, As and Log")
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	return &Handler{kit: c.Kit, sessions: c.Sessions, admin: c.Admin, as: c.As,
		issuer: strings.TrimSuffix(c.Issuer, "/"), log: c.Log, now: now}
}

// Register mounts the console's pages.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", h.dashboard)
	mux.HandleFunc("GET /admin/{$}", h.dashboard)
	h.registerPeople(mux)
	h.registerApps(mux)
	mux.HandleFunc("GET /admin/directories", h.directories)
	mux.HandleFunc("POST /admin/directories/{name}/test", h.testDirectory)
	mux.HandleFunc("POST /admin/directories/{name}/sync", h.syncDirectory)
	mux.HandleFunc("GET /admin/businesses", h.businesses)
	mux.HandleFunc("POST /admin/businesses/link", h.linkBusiness)
	mux.HandleFunc("POST /admin/businesses/unlink", h.unlinkBusiness)
	mux.HandleFunc("GET /admin/audit", h.audit)
}

// request is one authenticated request of the console.
type request struct {
	w   http.ResponseWriter
	r   *http.Request
	sso *session.SSO
	p   *admin.Principal
	svc *admin.Service
}

// begin authenticates the request (see the package doc): back is the page
// the browser returns to after a login or a step-up.
func (h *Handler) begin(w http.ResponseWriter, r *http.Request, back string) (*request, bool) {
	ctx := r.Context()
	sso, err := h.sessions.Get(ctx, r)
	if errors.Is(err, session.ErrNoSession) {
		web.Redirect(w, r, "/login?return="+url.QueryEscape(back))
		return nil, false
	}
	if err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	p, err := h.admin.PrincipalFor(ctx, sso.AccountID, sso.ACR, sso.AuthTime, "console", web.ClientAddress(r))
	if d, ok := admin.IsDenied(err); ok {
		h.denied(w, r, d, back)
		return nil, false
	}
	if errors.Is(err, store.ErrNotFound) {
		web.Redirect(w, r, "/login?return="+url.QueryEscape(back))
		return nil, false
	}
	if err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	if authn.Rank(sso.ACR) < authn.Rank(authn.LoA2) {
		h.stepUp(w, r, back)
		return nil, false
	}
	return &request{w: w, r: r, sso: sso, p: p, svc: h.as(p)}, true
}

// post is begin for a form: the form and its CSRF token are checked first.
func (h *Handler) post(w http.ResponseWriter, r *http.Request, back string) (*request, bool) {
	if !h.kit.ParsePost(w, r) {
		return nil, false
	}
	return h.begin(w, r, back)
}

func (h *Handler) stepUp(w http.ResponseWriter, r *http.Request, back string) {
	web.Redirect(w, r, "/login/step-up?acr="+authn.LoA2+"&return="+url.QueryEscape(back))
}

// denied answers a refusal of the service.
func (h *Handler) denied(w http.ResponseWriter, r *http.Request, d *admin.DeniedError, back string) {
	switch d.Reason {
	case "reauthenticate":
		web.Redirect(w, r, "/login/reauth?return="+url.QueryEscape(back))
	case "level":
		h.stepUp(w, r, back)
	case "scope":
		h.kit.ErrorWith(w, r, http.StatusForbidden, "admin_forbidden", "admin_scope")
	default:
		h.kit.ErrorWith(w, r, http.StatusForbidden, "admin_forbidden", "admin_role")
	}
}

// fail answers an error of the service that is not a problem of the input.
func (h *Handler) fail(rq *request, err error, back string) {
	if d, ok := admin.IsDenied(err); ok {
		h.denied(rq.w, rq.r, d, back)
		return
	}
	if admin.IsNotFound(err) {
		h.kit.Error(rq.w, rq.r, http.StatusNotFound, "not_found")
		return
	}
	h.unavailable(rq.w, rq.r, err)
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("admin console", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	h.kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}

// problems returns the field problems of err, nil when err is not one.
func problems(err error) []ui.ConsoleFieldError {
	var p admin.Problems
	if !errors.As(err, &p) {
		return nil
	}
	out := make([]ui.ConsoleFieldError, 0, len(p))
	for _, x := range p {
		out = append(out, ui.ConsoleFieldError{Field: x.Field, Anchor: anchors[x.Field], Detail: x.Message})
	}
	return out
}

// anchors are the ids of the fields a problem's field names.
var anchors = map[string]string{
	"id": "id", "name": "name", "agency": "agency", "redirect_uri": "redirect_uris", "grant_type": "grant_authorization_code",
	"scope": "scopes", "id_token_alg": "id_token_alg", "access_token_format": "access_token_format",
	"auth_method": "auth_method", "logout_uri": "backchannel_logout_uri", "min_acr": "min_acr",
	"claim_profile": "claim_profile", "password": "password", "personal_id": "personal_id", "document": "document",
	"role": "role", "tax_code": "link_tax_code", "account": "account",
}

// sections are the console's sections, in order, with the permission that
// opens each.
var sections = []struct {
	name string
	perm admin.Permission
}{
	{"dashboard", ""},
	{"people", admin.PermAccountRead},
	{"apps", admin.PermClientRead},
	{"directories", admin.PermDirectoryRead},
	{"businesses", admin.PermBusinessRead},
	{"audit", admin.PermAuditRead},
}

// may reports whether one of the principal's roles allows perm somewhere
// (the service still checks the scope of each action).
func may(p *admin.Principal, perm admin.Permission) bool {
	for _, g := range p.Grants {
		if admin.Role(g.Role).Allows(perm) {
			return true
		}
	}
	return false
}

func (h *Handler) nav(rq *request, section string) ui.ConsoleNav {
	n := ui.ConsoleNav{Section: section, Admin: rq.p.Name}
	for _, s := range sections {
		if s.perm == "" || may(rq.p, s.perm) {
			n.Sections = append(n.Sections, s.name)
		}
	}
	for _, g := range rq.p.Grants {
		n.Roles = append(n.Roles, ui.ConsoleRole{Role: g.Role, Agency: g.Agency, SubUnits: g.SubUnits})
	}
	return n
}

// base is the page base with the notice of ?done=, when it is one of the
// console's.
func (h *Handler) base(rq *request) ui.Base {
	b := h.kit.Base(rq.w, rq.r)
	if d := rq.r.URL.Query().Get("done"); d != "" && doneNotices[d] {
		b.NoticeKey = "console.done." + d
	}
	return b
}

var doneNotices = map[string]bool{
	"unlocked": true, "locked": true, "password_set": true, "sessions_ended": true, "factors_reset": true,
	"proofing_recorded": true, "role_granted": true, "role_revoked": true, "business_linked": true,
	"business_unlinked": true, "app_saved": true, "app_deleted": true,
}

func (h *Handler) render(rq *request, status int, name string, page interface{ Language() string }) {
	h.kit.Render(rq.w, rq.r, status, name, page)
}

// done redirects after a change to path with the notice.
func done(rq *request, path, notice string) {
	web.Redirect(rq.w, rq.r, path+"?done="+notice)
}
