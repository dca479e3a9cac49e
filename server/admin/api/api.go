package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/directory"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// The scopes of the admin API. A client registered with them
// (dinhdanh client create --scope admin.read --scope admin.write …) may ask
// for them; the person's roles still decide what each call may do.
const (
	ScopeRead  = "admin.read"
	ScopeWrite = "admin.write"
)

// Prefix is where the API is served.
const Prefix = "/admin/api"

// maxBody is the largest request body accepted.
const maxBody = 64 << 10

// Tokens validates the bearer access tokens the API accepts
// (*oauth.Provider).
type Tokens interface {
	ValidateAccessToken(ctx context.Context, token string) (*oauth.AccessToken, error)
}

// Config is what the API needs from the node.
type Config struct {
	// Admin returns the administrative service acting for p
	// (app.Services.AdminAs).
	Admin func(p *admin.Principal) *admin.Service
	// Principals builds principals (a service with no principal:
	// app.Services.Admin).
	Principals *admin.Service
	Tokens     Tokens
	// Sessions finds the console's SSO session; Kit checks its CSRF token.
	Sessions *session.Manager
	Kit      *web.Kit
	// ReauthMaxAge is told to a client whose authentication is too old
	// (max_age of its next authorization request).
	ReauthMaxAge time.Duration
	Log          *slog.Logger
	Now          func() time.Time
}

// Handler serves the admin API. Build it with New.
type Handler struct {
	cfg    Config
	routes []*route
	doc    []byte
}

// New returns the API's handler. It panics when a dependency is missing.
func New(cfg Config) *Handler {
	if cfg.Admin == nil || cfg.Principals == nil || cfg.Tokens == nil || cfg.Sessions == nil || cfg.Kit == nil || cfg.Log == nil {
		panic("api: New needs Admin, Principals, Tokens, Sessions, Kit and Log")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, routes: routes()}
	doc, err := json.MarshalIndent(document(h.routes), "", "  ")
	if err != nil {
		panic(err)
	}
	h.doc = doc
	return h
}

// Mux is where Register adds the routes (*http.ServeMux).
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Register adds every route of the API, its document, and a problem
// (404) for any other path under the prefix.
func (h *Handler) Register(mux Mux) {
	inner := http.NewServeMux()
	for _, m := range []Mux{mux, inner} {
		m.Handle("GET "+Prefix+"/openapi.json", http.HandlerFunc(h.serveDocument))
		for _, rt := range h.routes {
			m.Handle(rt.method+" "+Prefix+rt.path, h.serve(rt))
		}
	}
	mux.Handle(Prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := inner.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, &problem{Type: "method_not_allowed", Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
				Detail: "Use " + strings.Join(allow, " or ") + "."})
			return
		}
		writeProblem(w, &problem{Type: "not_found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "No such resource of the admin API: see " + Prefix + "/openapi.json."})
	}))
}

func (h *Handler) serveDocument(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(h.doc)
}

// call is one authenticated request.
type call struct {
	w   http.ResponseWriter
	r   *http.Request
	svc *admin.Service
	now time.Time
}

func (h *Handler) serve(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, prob := h.authenticate(w, r, rt.method != http.MethodGet)
		if prob != nil {
			writeProblem(w, prob)
			return
		}
		c := &call{w: w, r: r, svc: h.cfg.Admin(p), now: h.cfg.Now()}
		out, err := rt.handle(c)
		if err != nil {
			writeProblem(w, h.problemOf(r, err))
			return
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if st, ok := out.(streamed); ok {
			h.stream(w, r, st)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(out)
	})
}

// authenticate finds the principal of the request: a bearer token, or the
// console's session cookie (with its CSRF token for a change).
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, change bool) (*admin.Principal, *problem) {
	ctx, address := r.Context(), web.ClientAddress(r)
	if r.URL.Query().Has("access_token") {
		return nil, bearerProblem(http.StatusBadRequest, "invalid_request", "The access token must not be sent in the URL.", "")
	}
	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, token, _ := strings.Cut(authz, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return nil, bearerProblem(http.StatusUnauthorized, "invalid_request", "Use the Bearer scheme with an access token.", "")
		}
		at, err := h.cfg.Tokens.ValidateAccessToken(ctx, strings.TrimSpace(token))
		if errors.Is(err, oauth.ErrUnavailable) {
			// A store failed: the token may well be active.
			return nil, unavailable()
		}
		if err != nil {
			return nil, bearerProblem(http.StatusUnauthorized, "invalid_token", "The access token is not active.", "")
		}
		if at.Subject == "" {
			return nil, bearerProblem(http.StatusForbidden, "insufficient_scope",
				"The admin API acts for a person: a client's own token (client_credentials) is refused.", "")
		}
		need := ScopeRead
		if change {
			need = ScopeWrite
		}
		if !slices.Contains(at.Scopes, need) {
			return nil, bearerProblem(http.StatusForbidden, "insufficient_scope", "The access token lacks the scope "+need+".", need)
		}
		if authn.Rank(at.ACR) < authn.Rank(authn.LoA2) {
			p := &problem{Type: "level", Title: "Authentication level too low", Status: http.StatusForbidden,
				Detail: "Administration needs a login at LoA2 or above: ask for a token with acr_values=LoA2."}
			p.header = `Bearer error="insufficient_user_authentication", error_description="A login at LoA2 or above is required.", acr_values="LoA2 LoA3"`
			return nil, p
		}
		return h.principal(ctx, at.Subject, at.ACR, at.AuthTime, "api", address)
	}
	sso, err := h.cfg.Sessions.Get(ctx, r)
	if errors.Is(err, session.ErrNoSession) {
		return nil, bearerProblem(http.StatusUnauthorized, "", "Authenticate with a bearer access token, or the console's session.", "")
	}
	if err != nil {
		h.cfg.Log.ErrorContext(ctx, "admin api: session", "err", err)
		return nil, unavailable()
	}
	if change && !h.cfg.Kit.CheckCSRFToken(r, r.Header.Get("X-CSRF-Token")) {
		return nil, &problem{Type: "csrf", Title: "Missing or wrong CSRF token", Status: http.StatusForbidden,
			Detail: "A change made with the console's session needs its CSRF token in the X-CSRF-Token header."}
	}
	return h.principal(ctx, sso.AccountID, sso.ACR, sso.AuthTime, "console", address)
}

func (h *Handler) principal(ctx context.Context, sub, acr string, authTime time.Time, via, address string) (*admin.Principal, *problem) {
	p, err := h.cfg.Principals.PrincipalFor(ctx, sub, acr, authTime, via, address)
	if admin.IsNotFound(err) {
		return nil, bearerProblem(http.StatusUnauthorized, "invalid_token", "The account is no longer active.", "")
	}
	if d, ok := admin.IsDenied(err); ok {
		return nil, deniedProblem(d, h.cfg.ReauthMaxAge)
	}
	if err != nil {
		h.cfg.Log.ErrorContext(ctx, "admin api: principal", "err", err)
		return nil, unavailable()
	}
	return p, nil
}

// problem is an RFC 7807 problem detail.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Errors []fieldProblem `json:"errors,omitempty"`
	// Reason is why an administrative action was refused.
	Reason string `json:"reason,omitempty"`
	// MaxAge is the max_age to ask for in the next authorization request.
	MaxAge int `json:"max_age,omitempty"`

	header string // WWW-Authenticate
}

type fieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemTypePrefix makes a problem's name its type URI.
const problemTypePrefix = "urn:dinhdanh:problem:"

func writeProblem(w http.ResponseWriter, p *problem) {
	if p.header != "" {
		w.Header().Set("WWW-Authenticate", p.header)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	out := *p
	out.Type = problemTypePrefix + p.Type
	_ = json.NewEncoder(w).Encode(out)
}

// bearerProblem is an RFC 6750 refusal as a problem: code is the OAuth
// error ("" for a request with no credentials), scope the one needed.
func bearerProblem(status int, code, desc, scope string) *problem {
	name := map[int]string{http.StatusBadRequest: "invalid", http.StatusUnauthorized: "unauthorized",
		http.StatusForbidden: "insufficient_scope"}[status]
	p := &problem{Type: name, Title: http.StatusText(status), Status: status, Detail: desc}
	hdr := `Bearer realm="dinhdanh-admin"`
	if code != "" {
		hdr += fmt.Sprintf(`, error=%q, error_description=%q`, code, desc)
	}
	if scope != "" {
		hdr += fmt.Sprintf(`, scope=%q`, scope)
	}
	p.header = hdr
	return p
}

func unavailable() *problem {
	return &problem{Type: "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
		Detail: "A backend did not answer; nothing is known to have changed. Try again."}
}

func deniedProblem(d *admin.DeniedError, maxAge time.Duration) *problem {
	switch d.Reason {
	case "level":
		return &problem{Type: "level", Title: "Authentication level too low", Status: http.StatusForbidden, Reason: d.Reason,
			Detail: "Administration needs a login at LoA2 or above.",
			header: `Bearer error="insufficient_user_authentication", error_description="A login at LoA2 or above is required.", acr_values="LoA2 LoA3"`}
	case "reauthenticate":
		secs := int(maxAge / time.Second)
		return &problem{Type: "reauthenticate", Title: "Authentication too old", Status: http.StatusUnauthorized, Reason: d.Reason,
			MaxAge: secs, Detail: fmt.Sprintf("%s needs a recent authentication: get a new token with max_age=%d (or prompt=login) and try again.",
				d.Permission, secs),
			header: fmt.Sprintf(`Bearer error="insufficient_user_authentication", error_description="A recent authentication is required.", max_age=%d`, secs)}
	default:
		return &problem{Type: "forbidden", Title: "Forbidden", Status: http.StatusForbidden, Reason: d.Reason,
			Detail: fmt.Sprintf("Your roles do not allow %s here (%s).", d.Permission, d.Reason)}
	}
}

// problemOf turns an error of the service into a problem.
func (h *Handler) problemOf(r *http.Request, err error) *problem {
	var ps admin.Problems
	var bad *badRequest
	var gone *directory.TooManyGoneError
	switch {
	case errors.As(err, &bad):
		return bad.p
	case errors.As(err, &ps):
		p := &problem{Type: "invalid", Title: "Invalid input", Status: http.StatusBadRequest,
			Detail: "Nothing was changed: correct the fields listed.", Errors: []fieldProblem{}}
		for _, x := range ps {
			p.Errors = append(p.Errors, fieldProblem{Field: x.Field, Message: x.Message})
		}
		return p
	case admin.IsNotFound(err):
		return &problem{Type: "not_found", Title: "Not found", Status: http.StatusNotFound}
	case errors.Is(err, store.ErrChanged):
		return &problem{Type: "conflict", Title: "Changed meanwhile", Status: http.StatusConflict,
			Detail: "It was changed by someone else at the same moment: read it again and retry."}
	case errors.As(err, &gone):
		return &problem{Type: "sync_refused", Title: "Synchronisation refused", Status: http.StatusConflict, Detail: gone.Error()}
	case errors.Is(err, directory.ErrSyncRunning):
		return &problem{Type: "sync_running", Title: "Synchronisation running", Status: http.StatusConflict, Detail: err.Error()}
	}
	if d, ok := admin.IsDenied(err); ok {
		return deniedProblem(d, h.cfg.ReauthMaxAge)
	}
	h.cfg.Log.ErrorContext(r.Context(), "admin api", "path", r.URL.Path, "err", err)
	return unavailable()
}

// badRequest is a problem found before the service was asked.
type badRequest struct{ p *problem }

func (b *badRequest) Error() string { return b.p.Detail }

func invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &badRequest{&problem{Type: "invalid", Title: "Invalid input", Status: http.StatusBadRequest,
		Detail: "Nothing was changed: correct the fields listed.", Errors: []fieldProblem{{Field: field, Message: msg}}}}
}

// decode reads the JSON body of a change into v: application/json, at most
// maxBody bytes, one object, no unknown field.
func (c *call) decode(v any) error {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &badRequest{&problem{Type: "unsupported_media_type", Title: "Unsupported media type",
			Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/json."}}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return invalid("body", "at most %d bytes", maxBody)
		case errors.As(err, &typeErr):
			return invalid(typeErr.Field, "must be a JSON %s", typeErr.Type.Kind())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a field of this request")
		case errors.Is(err, io.EOF):
			return invalid("body", "a JSON object is required")
		default:
			return invalid("body", "is not valid JSON: %v", err)
		}
	}
	if dec.More() {
		return invalid("body", "one JSON object only")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("body", "one JSON object only")
	}
	return nil
}

// streamed is a response written as it is produced (an export), not JSON.
// check runs first, so that a refusal is still a problem; once the first
// byte is out, a failure can only cut the body short (and is logged).
type streamed struct {
	contentType, filename string
	check                 func() error
	// write writes the body; problemOf turns an error into the problem it
	// may still write as part of the body.
	write func(w io.Writer, problemOf func(error) *problem) error
}

func (h *Handler) stream(w http.ResponseWriter, r *http.Request, st streamed) {
	if err := st.check(); err != nil {
		writeProblem(w, h.problemOf(r, err))
		return
	}
	w.Header().Set("Content-Type", st.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+st.filename+`"`)
	w.WriteHeader(http.StatusOK)
	if err := st.write(w, func(err error) *problem { return h.problemOf(r, err) }); err != nil {
		h.cfg.Log.Warn("admin api: export cut short", "err", err)
	}
}
