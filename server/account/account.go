package account

import (
	"errors"
	"log/slog"
	"net/http"

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
	Log      *slog.Logger
	// ForgetConsent is called after a consent is revoked (to revoke the client's tokens).
	ForgetConsent func(r *http.Request, accountID, clientID string) error
}

// Register mounts the console.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /account", h.show)
	mux.HandleFunc("POST /account/consents/revoke", h.revokeConsent)
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
			_, _ = h.Sessions.End(ctx, w, r)
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
	base := h.Kit.Base(w, r)
	base.NoticeKey = notice
	h.Kit.Render(w, r, http.StatusOK, "account", &ui.AccountPage{Base: base, FullName: acct.FullName, Capacities: caps, Consents: rows})
}

func (h *Handler) revokeConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	if !web.CheckCSRF(r) {
		h.Kit.Error(w, r, http.StatusForbidden, "csrf")
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
	_ = h.Store.AppendAudit(ctx, &store.AuditEvent{Type: "consent.revoke", Actor: sso.AccountID, Subject: sso.AccountID,
		ClientID: clientID, Address: web.ClientAddress(r)})
	h.render(w, r, sso, "account.consent_revoked")
}
