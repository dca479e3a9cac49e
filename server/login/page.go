package login

import (
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

func (h *Handler) RenderLogin(w http.ResponseWriter, r *http.Request, status int, fl *Flow, identifier, errKey string, errArgs ...any) {
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, errArgs
	if r.URL.Query().Get("registered") == "1" && errKey == "" {
		base.NoticeKey = "register.success"
	}
	page := &ui.LoginPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName,
		Identifier: identifier, CanRegister: h.Opts.AllowRegistration, CanReset: h.Reset != nil}
	if h.MFA != nil && h.MFA.WebAuthn != nil {
		page.Passkey.Begin, page.Passkey.Finish = flow.PasskeyBegin, flow.PasskeyFinish
	}
	h.cert.LoginSection(w, page)
	h.up.LoginSection(page)
	if fl.Required == authn.LoA3 && page.Certificate != nil {
		// The application needs a certificate login: nothing else is offered.
		page.CertificateOnly, page.CanRegister = true, false
		page.Passkey.Begin, page.Passkey.Finish = "", ""
	}
	h.Kit.Render(w, r, status, "login", page)
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	fl, err := h.env.Named(r)
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	if r.URL.Query().Get("flow") == "" {
		web.Redirect(w, r, "/login?flow="+url.QueryEscape(fl.ID))
		return
	}
	h.RenderLogin(w, r, http.StatusOK, fl, r.URL.Query().Get("identifier"), "")
}
