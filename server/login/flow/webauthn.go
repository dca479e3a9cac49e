package flow

import (
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/web"
)

// WebAuthnRefused answers a WebAuthn ceremony that did not succeed, and
// audits it as ev (a signature counter that went back is audited on its
// own too: a possible cloned authenticator).
func (e *Env) WebAuthnRefused(w http.ResponseWriter, r *http.Request, ev audit.Event, clientID string, res authn.WebAuthnResult) {
	details := map[string]string{"method": "webauthn", "reason": res.Refusal}
	if res.Credential != nil {
		details["credential"] = res.Credential.Name
	}
	e.Record(r, ev, res.AccountID, clientID, details)
	if res.Refusal == authn.RefusalSignCount {
		e.Record(r, audit.WebAuthnSignCountRegression, res.AccountID, clientID, details)
		e.Log.Warn("webauthn signature counter went back: possible cloned authenticator", "subject", res.AccountID,
			"credential", details["credential"])
	}
	if res.Detail != "" {
		e.Log.Info("webauthn ceremony refused", "reason", res.Refusal, "detail", res.Detail, "request_id", web.RequestID(r))
	}
	e.Kit.JSONError(w, r, http.StatusBadRequest, "webauthn.refused."+res.Refusal)
}
