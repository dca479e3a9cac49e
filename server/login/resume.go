package login

import (
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/web"
)

// resumeFlow serves /login/resume?flow=ID: it continues a flow after a step
// that ended in a page of its own (recovery codes, a WebAuthn ceremony) or
// a redirect from a script. A flow with recovery codes due goes to
// /login/mfa/codes first.
func (h *Handler) resumeFlow(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	ff, ok := h.env.SessionFlowPage(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	if ff.Flow.ShowCodes {
		web.Redirect(w, r, "/login/mfa/codes?flow="+url.QueryEscape(ff.Flow.ID))
		return
	}
	h.Resume(w, r, ff.Flow)
}
