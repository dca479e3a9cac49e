package account

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Handler serves /account.
type Handler struct {
	Kit      *web.Kit
	Store    store.Store
	Sessions *session.Manager
	Logout   *session.Logout
	// LogoutPages renders the logged-out page with front-channel logout.
	LogoutPages *session.Handler
	Log         *slog.Logger
	// ForgetConsent is called after a consent is revoked (to revoke the client's tokens).
	ForgetConsent func(r *http.Request, accountID, clientID string) error
	// Factors, when set, serves the second factors at /account/security (mfa.go).
	Factors *Factors
	// Certificates, when set, serves the bound certificates at /account/certificates (certificate.go).
	Certificates *Certificates
	// Contacts, when set, serves the profile at /account/profile and the
	// verification of a new email or phone number at /account/contacts
	// (profile.go, contacts.go).
	Contacts *Contacts
	// Password, when set, serves the change of password at /account/password (password.go).
	Password *PasswordChange
	// Privacy, when set, serves the person's rights over their data at
	// /account/privacy/... (privacy.go).
	Privacy *Privacy

	recorder *audit.Recorder
}

// NewHandler returns h ready to use, recording every change a person makes
// through rec. It panics when rec is nil.
func NewHandler(h Handler, rec *audit.Recorder) *Handler {
	if rec == nil {
		panic("account: NewHandler needs an audit recorder")
	}
	h.recorder = rec
	return &h
}

// Register mounts the console.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /account", h.show)
	mux.HandleFunc("POST /account/consents/revoke", h.revokeConsent)
	mux.HandleFunc("POST /account/sessions/end", h.endSession)
	mux.HandleFunc("POST /account/sessions/end-all", h.endAllSessions)
	if h.Factors != nil {
		h.registerSecurity(mux)
	}
	if h.Certificates != nil {
		h.registerCertificates(mux)
	}
	if h.Contacts != nil {
		h.registerContacts(mux)
	}
	if h.Password != nil {
		h.registerPassword(mux)
	}
	if h.Privacy != nil {
		h.registerPrivacy(mux)
	}
}

func (h *Handler) current(w http.ResponseWriter, r *http.Request) (*session.SSO, bool) {
	sso, err := h.Sessions.Get(r.Context(), r)
	if errors.Is(err, session.ErrNoSession) {
		web.Redirect(w, r, "/login")
		return nil, false
	}
	if err != nil {
		h.Log.Error("session", "err", err)
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return nil, false
	}
	if h.Factors != nil && !h.assured(w, r, sso) {
		return nil, false
	}
	return sso, true
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	h.render(w, r, sso, "")
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, sso *session.SSO, notice string) {
	ctx := r.Context()
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			_ = h.Logout.End(ctx, sso, session.ReasonDisabled, "system")
			h.Sessions.ClearCookie(w)
			web.Redirect(w, r, "/login")
			return
		}
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	consents, err := h.Store.ListConsents(ctx, acct.ID)
	if err != nil {
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	rows := make([]ui.ConsentRow, 0, len(consents))
	for _, c := range consents {
		name := c.ClientID
		if cl, err := h.Store.GetClient(ctx, c.ClientID); err == nil && cl.Name != "" {
			name = cl.Name
		}
		rows = append(rows, ui.ConsentRow{ClientID: c.ClientID, ClientName: name, Scopes: c.Scopes, GrantedAt: c.GrantedAt})
	}
	var caps []string
	for _, c := range acct.Capacities() {
		caps = append(caps, string(c))
	}
	sessions, err := h.sessionRows(r, sso)
	if err != nil {
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	base := h.Kit.Base(w, r)
	base.NoticeKey = notice
	h.Kit.Render(w, r, http.StatusOK, "account", &ui.AccountPage{Base: base, FullName: acct.FullName, Capacities: caps,
		Consents: rows, Sessions: sessions, Certificates: h.Certificates != nil, Profile: h.Contacts != nil,
		ChangePassword: h.Password != nil, Privacy: h.Privacy != nil})
}

// sessionRows lists the person's live sessions, the current one first.
func (h *Handler) sessionRows(r *http.Request, current *session.SSO) ([]ui.SessionRow, error) {
	ctx := r.Context()
	live, err := h.Sessions.OfSubject(ctx, current.AccountID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	rows := make([]ui.SessionRow, 0, len(live))
	for _, s := range live {
		row := ui.SessionRow{ID: s.ID, Current: s.ID == current.ID, Device: describeDevice(s.UserAgent), Address: s.Address,
			StartedAt: s.CreatedAt, LastSeen: s.LastSeen, Level: s.ACR}
		for _, cid := range s.Clients {
			name, ok := names[cid]
			if !ok {
				name = cid
				if c, err := h.Store.GetClient(ctx, cid); err == nil && c.Name != "" {
					name = c.Name
				}
				names[cid] = name
			}
			row.Clients = append(row.Clients, name)
		}
		if row.Current {
			rows = append([]ui.SessionRow{row}, rows...)
		} else {
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// describeDevice turns a User-Agent into a short description people recognise.
func describeDevice(ua string) string {
	if ua == "" {
		return ""
	}
	browser := ""
	switch {
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "CocCoc") || strings.Contains(ua, "coc_coc"):
		browser = "Cốc Cốc"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	}
	system := ""
	switch {
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad"):
		system = "iOS"
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Mac OS X"):
		system = "macOS"
	case strings.Contains(ua, "Linux"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " · " + system
	case browser != "" || system != "":
		return browser + system
	}
	if len(ua) > 60 {
		ua = ua[:60] + "…"
	}
	return ua
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	current, ok := h.current(w, r)
	if !ok {
		return
	}
	target, err := h.Sessions.Lookup(ctx, r.PostForm.Get("session"))
	if errors.Is(err, session.ErrNoSession) || (err == nil && target.AccountID != current.AccountID) {
		// Not a session of this person (or already over): nothing to end.
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if err := h.Logout.End(ctx, target, session.ReasonLogout, current.AccountID); err != nil {
		h.Log.Error("ending a session", "err", err)
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if target.ID == current.ID {
		h.Sessions.ClearCookie(w)
		h.LogoutPages.LoggedOut(w, r, []session.Ended{{ID: target.ID, Subject: target.AccountID, Clients: target.Clients}})
		return
	}
	h.render(w, r, current, "account.session_ended")
}

func (h *Handler) endAllSessions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	current, ok := h.current(w, r)
	if !ok {
		return
	}
	ended, err := h.Logout.EndAll(ctx, current.AccountID, session.ReasonLogoutAll, current.AccountID)
	if err != nil {
		h.Log.Error("signing out everywhere", "err", err)
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	h.Sessions.ClearCookie(w)
	h.LogoutPages.LoggedOut(w, r, ended)
}

func (h *Handler) revokeConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	clientID := r.PostForm.Get("client_id")
	err := h.Store.RevokeConsent(ctx, sso.AccountID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	if h.ForgetConsent != nil {
		if err := h.ForgetConsent(r, sso.AccountID, clientID); err != nil {
			h.Log.Error("revoking tokens after consent withdrawal", "err", err)
		}
	}
	h.recorder.FromRequest(r, audit.ConsentRevoke, sso.AccountID, clientID, nil)
	h.render(w, r, sso, "account.consent_revoked")
}
