package consent

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
	"github.com/ory/fosite"
)

// Step is the consent step.
type Step struct{ env *flow.Env }

// New returns the consent step.
func New(env *flow.Env) *Step { return &Step{env: env} }

// Register mounts /consent.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /consent", s.showConsent)
	mux.HandleFunc("POST /consent", s.postConsent)
}

var errAccessDenied = fosite.ErrAccessDenied.WithHint("The user denied the request.")

func has(list []string, x string) bool { return slices.Contains(list, x) }

// requestedScopes reads the scopes of the flow's authorization request.
func requestedScopes(fl *flow.Flow) []string {
	q, _ := url.ParseQuery(fl.AuthorizeQuery)
	return fieldsOf(q.Get("scope"))
}

func fieldsOf(s string) []string {
	var out []string
	start := -1
	for i, c := range s + " " {
		if c == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// consentItems lists exactly what each consented scope releases.
func consentItems(scopes []string, capacity string) []ui.ConsentItem {
	claims := identity.ScopeClaims()
	var items []ui.ConsentItem
	for _, s := range scopes {
		if s == "openid" {
			continue
		}
		var cs []string
		for _, c := range claims[s] {
			if (c == "organization" || c == "department" || c == "title" || c == "roles" || c == "groups") && capacity != string(identity.CapacityOfficial) {
				continue
			}
			cs = append(cs, c)
		}
		items = append(items, ui.ConsentItem{Scope: s, Claims: cs})
	}
	return items
}

func (s *Step) showConsent(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	fl, ok := s.env.PendingFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	client, err := s.env.Store.GetClient(r.Context(), fl.ClientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.env.Unavailable(w, r, err)
		return
	}
	scopes := requestedScopes(fl)
	page := &ui.ConsentPage{Base: s.env.Kit.Base(w, r), FlowID: fl.ID, ClientName: fl.ClientName,
		Items: consentItems(scopes, fl.Capacity), Remember: rememberByDefault(client, scopes)}
	if client != nil {
		page.Purpose, page.PrivacyURL = client.PurposeIn(s.env.Kit.Lang(w, r))
	}
	s.env.Kit.Render(w, r, http.StatusOK, "consent", page)
}

// rememberByDefault reports whether the "remember" box starts checked: not
// when the personal ID is asked for (sensitive data: remembering its
// release takes the person's own tick, Law 91/2025/QH15), nor for a
// first-party client (whose consent page is shown only for the personal ID
// or on prompt=consent, where a remembered answer is not what was asked).
func rememberByDefault(c *store.Client, scopes []string) bool {
	return !has(scopes, identity.ScopePersonalID) && (c == nil || !c.FirstParty)
}

func (s *Step) postConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	fl, ok := s.env.PendingFlow(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	scopes := requestedScopes(fl)
	switch r.PostForm.Get("decision") {
	case "allow":
	case "deny":
		s.env.Record(r, audit.ConsentDeny, fl.AccountID, fl.ClientID, nil)
		_ = s.env.Flows.Delete(ctx, fl.ID)
		s.env.Next.Refuse(w, r, fl, errAccessDenied)
		return
	default:
		s.env.Kit.Error(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	if r.PostForm.Get("remember") != "" {
		prior, err := s.env.Store.GetConsent(ctx, fl.AccountID, fl.ClientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.env.Unavailable(w, r, err)
			return
		}
		all := scopes
		if prior != nil {
			for _, s := range prior.Scopes {
				if !has(all, s) {
					all = append(all, s)
				}
			}
		}
		if err := s.env.Store.PutConsent(ctx, &store.Consent{AccountID: fl.AccountID, ClientID: fl.ClientID, Scopes: all}); err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
	}
	s.env.Record(r, audit.ConsentGrant, fl.AccountID, fl.ClientID, map[string]string{"scopes": joinSpace(scopes)})
	fl.ConsentDone, fl.ConsentScopes = true, scopes
	fl.PersonalIDConsented = has(scopes, identity.ScopePersonalID)
	if err := s.env.Flows.Save(ctx, fl); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Next.Resume(w, r, fl)
}

func joinSpace(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
