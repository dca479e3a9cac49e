package account

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Privacy is what the console needs for a person's rights over their data
// (Law 91/2025/QH15), at /account/privacy/...:
//
//   - history: every grant, change and withdrawal of their consents
//     (store.PersonalData.ConsentHistory), newest first;
//   - download: one JSON file (PersonalDataExport) of what is kept about
//     them, secrets excepted, as an attachment;
//   - delete: the account is closed (store.PersonalData.CloseAccount), its
//     sessions end with back-channel logout to their applications, and the
//     browser is signed out.
//
// The download and the deletion are bulk or final, so they need a fresh
// authentication: a login within ReauthMaxAge, with the second factor when
// the account has one; otherwise the browser goes to /login/reauth first
// and comes back. Both are POSTed forms with the CSRF token. An official's
// or an administrator's account cannot be deleted here (their agency
// manages it); that refusal is audited and changes nothing.
type Privacy struct {
	// Inventory tells which second factors an account has.
	Inventory *authn.Inventory
	// ReauthMaxAge is how old a login may be for a download or a deletion.
	ReauthMaxAge time.Duration
	// AuditRetention is how long the audit events about a deleted account
	// are kept at least (config privacy.closed_account_audit_retention).
	AuditRetention time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (p *Privacy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

const (
	privacyPath  = "/account/privacy"
	historyPath  = privacyPath + "/history"
	downloadPath = privacyPath + "/download"
	deletePath   = privacyPath + "/delete"
)

func (h *Handler) registerPrivacy(mux *http.ServeMux) {
	mux.HandleFunc("GET "+historyPath, h.showConsentHistory)
	mux.HandleFunc("GET "+downloadPath, h.showDownload)
	mux.HandleFunc("POST "+downloadPath, h.download)
	mux.HandleFunc("GET "+deletePath, h.showDelete)
	mux.HandleFunc("POST "+deletePath, h.deleteAccount)
}

// freshForPrivacy reports whether the session authenticated within
// ReauthMaxAge, with both factors when the account has a second factor;
// when it did not, the browser is sent to confirm who it is and come back
// to back.
func (h *Handler) freshForPrivacy(w http.ResponseWriter, r *http.Request, sso *session.SSO, back string) bool {
	f, err := h.Privacy.Inventory.Of(r.Context(), sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return false
	}
	now := h.Privacy.now()
	if !sso.AuthTime.IsZero() && now.Sub(sso.AuthTime) <= h.Privacy.ReauthMaxAge && f.ProvesSecondFactor(sso.ACR) {
		return true
	}
	http.Redirect(w, r, "/login/reauth?return="+url.QueryEscape(back), http.StatusSeeOther)
	return false
}

func (h *Handler) showConsentHistory(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	events, err := h.Store.ConsentHistory(r.Context(), sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	names := h.clientNames(r.Context())
	rows := make([]ui.ConsentHistoryRow, 0, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		rows = append(rows, ui.ConsentHistoryRow{ClientID: e.ClientID, ClientName: names(e.ClientID), Action: e.Action,
			Scopes: e.Scopes, Time: e.Time})
	}
	h.Kit.Render(w, r, http.StatusOK, "privacy_history", &ui.ConsentHistoryPage{Base: h.Kit.Base(w, r), Events: rows})
}

// clientNames returns a function naming a client by its id (the id itself
// when the client is gone or has no name), reading each client once.
func (h *Handler) clientNames(ctx context.Context) func(id string) string {
	names := map[string]string{}
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if c, err := h.Store.GetClient(ctx, id); err == nil && c.Name != "" {
			n = c.Name
		}
		names[id] = n
		return n
	}
}

func (h *Handler) showDownload(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok || !h.freshForPrivacy(w, r, sso, downloadPath) {
		return
	}
	h.Kit.Render(w, r, http.StatusOK, "privacy_download", &ui.DataDownloadPage{Base: h.Kit.Base(w, r)})
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok || !h.freshForPrivacy(w, r, sso, downloadPath) {
		return
	}
	export, err := h.exportData(r.Context(), sso.AccountID)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	body, err := json.MarshalIndent(export, "", "  ")
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.recorder.FromRequest(r, audit.PrivacyExport, sso.AccountID, "", map[string]string{"bytes": strconv.Itoa(len(body))})
	name := "dinhdanh-personal-data-" + export.ExportedAt.Format("20060102-150405") + ".json"
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (h *Handler) showDelete(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	if acct, ok := h.deletable(w, r, sso); !ok || acct == nil || !h.freshForPrivacy(w, r, sso, deletePath) {
		return
	}
	h.renderDelete(w, r, http.StatusOK, "")
}

func (h *Handler) renderDelete(w http.ResponseWriter, r *http.Request, status int, confirmError string) {
	h.Kit.Render(w, r, status, "privacy_delete", &ui.AccountDeletePage{Base: h.Kit.Base(w, r),
		AuditRetentionDays: int(h.Privacy.AuditRetention / (24 * time.Hour)), ConfirmError: confirmError})
}

// deletable returns the account of the session when its holder may delete
// it; an official's or an administrator's account gets the refusal page
// (audited), a missing one the login page.
func (h *Handler) deletable(w http.ResponseWriter, r *http.Request, sso *session.SSO) (*identity.Account, bool) {
	acct, err := h.Store.GetAccount(r.Context(), sso.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		h.Sessions.ClearCookie(w)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil, false
	}
	if err != nil {
		h.unavailable(w, r, err)
		return nil, false
	}
	if acct.Official != nil || acct.Admin {
		h.refuseDelete(w, r, sso.AccountID)
		return nil, false
	}
	return acct, true
}

func (h *Handler) refuseDelete(w http.ResponseWriter, r *http.Request, accountID string) {
	if r.Method == http.MethodPost {
		h.recorder.FromRequest(r, audit.AccountCloseRefused, accountID, "", map[string]string{"reason": "official_or_admin"})
	}
	h.Kit.ErrorWith(w, r, http.StatusForbidden, "privacy_delete_refused", "privacy_delete_official")
}

func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	acct, ok := h.deletable(w, r, sso)
	if !ok || !h.freshForPrivacy(w, r, sso, deletePath) {
		return
	}
	if r.PostForm.Get("confirm") != "1" {
		h.renderDelete(w, r, http.StatusBadRequest, "error.privacy.delete_confirm")
		return
	}
	now := h.Privacy.now().UTC()
	until := now.Add(h.Privacy.AuditRetention)
	err := h.Store.CloseAccount(ctx, store.ClosedAccount{AccountID: acct.ID, ClosedAt: now, AuditUntil: until})
	already := errors.Is(err, store.ErrAlreadyUsed)
	switch {
	case errors.Is(err, store.ErrProtectedAccount):
		h.refuseDelete(w, r, acct.ID)
		return
	case err != nil && !already:
		h.unavailable(w, r, err)
		return
	}
	// The account is closed (by this request or a concurrent one): every
	// session ends, and the applications are told by back-channel logout.
	ended, err := h.Logout.EndAll(ctx, acct.ID, session.ReasonDisabled, acct.ID)
	if err != nil {
		h.Log.Error("ending the sessions of a closed account", "err", err)
		h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
		return
	}
	h.Sessions.ClearCookie(w)
	if already {
		h.Kit.ErrorWith(w, r, http.StatusConflict, "privacy_deleted_already", "privacy_deleted_already")
		return
	}
	h.recorder.FromRequest(r, audit.AccountClose, acct.ID, "", map[string]string{"sessions": strconv.Itoa(len(ended)),
		"audit_until": until.Format(time.RFC3339)})
	base := h.Kit.Base(w, r)
	h.Kit.Render(w, r, http.StatusOK, "message", &ui.MessagePage{Base: base, TitleKey: "privacy.deleted_title",
		MessageKey: "privacy.deleted"})
}
