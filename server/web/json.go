package web

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/ui"
)

// CeremonyRequest is the JSON body that the WebAuthn script of the pages
// (ui/assets/webauthn.js) posts to begin and to finish a ceremony.
type CeremonyRequest struct {
	// CSRF is the page's CSRF token.
	CSRF string `json:"csrf_token"`
	// Flow is the login flow the ceremony belongs to ("" in the account console).
	Flow string `json:"flow"`
	// Ceremony names the ceremony being finished.
	Ceremony string `json:"ceremony"`
	// Name is the name given to a security key being registered.
	Name string `json:"name"`
	// Passkey asks to register a passkey rather than a security key.
	Passkey bool `json:"passkey"`
	// Conditional asks for the browser's autofill rather than a dialog.
	Conditional bool `json:"conditional"`
	// Credential is the authenticator's answer, as the script encoded it.
	Credential json.RawMessage `json:"credential"`
}

// ReadCeremony decodes the JSON body of a ceremony request and checks its
// CSRF token; when either fails it answers the request (with JSONError)
// and returns false.
func (k *Kit) ReadCeremony(w http.ResponseWriter, r *http.Request) (*CeremonyRequest, bool) {
	var req CeremonyRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !utf8.ValidString(req.Name) ||
		len(req.Flow) > 64 || len(req.Ceremony) > 64 || len(req.Name) > 1024 {
		k.JSONError(w, r, http.StatusBadRequest, "webauthn.refused.bad_request")
		return nil, false
	}
	if !k.CheckCSRFToken(r, req.CSRF) {
		k.JSONError(w, r, http.StatusForbidden, "error.csrf")
		return nil, false
	}
	return &req, true
}

// JSONError answers a page's script with {"error": key, "message": …}, the
// message being key's in the page's language.
func (k *Kit) JSONError(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	WriteJSON(w, status, map[string]string{"error": key, "message": ui.T(k.Lang(w, r), key, args...)})
}

// WriteJSON writes v as JSON with the status; the answer is never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
