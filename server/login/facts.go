package login

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// known is what gathering the facts of a flow read on the way, for the
// step that acts on the decision.
type known struct {
	client  *store.Client
	sso     *session.SSO // the browser's session, when the flow has no login of its own
	account *identity.Account
	reps    []*identity.Representation
}

// requestFacts fills the facts that come from the authorization request and
// the client.
func (h *Handler) requestFacts(ar fosite.AuthorizeRequester, client *store.Client) Facts {
	form := ar.GetRequestForm()
	f := Facts{Scopes: []string(ar.GetRequestedScopes()), FirstParty: client.FirstParty, MinimumACR: client.MinimumACR,
		SecondFactors: h.MFA != nil, Certificates: h.Certificates != nil, Now: h.Now().UTC(),
		ACRValues: strings.Fields(form.Get("acr_values"))}
	for _, p := range strings.Fields(form.Get("prompt")) {
		switch p {
		case "none":
			f.Prompt.None = true
		case "login":
			f.Prompt.Login = true
		case "consent":
			f.Prompt.Consent = true
		}
	}
	if ma := form.Get("max_age"); ma != "" {
		if secs, err := strconv.ParseInt(ma, 10, 64); err == nil && secs >= 0 {
			f.MaxAge, f.MaxAgeSet = time.Duration(secs)*time.Second, true
		}
	}
	cp, err := oauth.ParseClaimsParameter(form.Get("claims"))
	f.ClaimsACR, f.ClaimsEssential, f.ClaimsMalformed = cp.ACR, cp.ACREssential, err != nil
	return f
}

// gather reads the facts of an authorization flow: the request's, the
// browser's session when the flow has no login yet, the account, the
// pending certificate, the remembered consent and the businesses. What it
// reads and is needed later is returned too.
func (h *Handler) gather(r *http.Request, ar fosite.AuthorizeRequester, fl *Flow) (Facts, *known, error) {
	ctx := r.Context()
	k := &known{client: oauth.ClientOf(ar.GetClient())}
	f := h.requestFacts(ar, k.client)
	f.LoggedIn, f.FlowACR, f.ConsentDone, f.BusinessDone = fl.LoginDone, fl.ACR, fl.ConsentDone, fl.BusinessDone
	f.ConsentScopes, f.PIDConsented = fl.ConsentScopes, fl.PersonalIDConsented
	accountID, capacity := fl.AccountID, fl.Capacity
	if !fl.LoginDone {
		sso, err := h.Sessions.Get(ctx, r)
		if err != nil && !errors.Is(err, session.ErrNoSession) {
			return f, nil, err
		}
		if sso == nil {
			return f, k, nil
		}
		k.sso = sso
		f.Session = &SessionFacts{ACR: sso.ACR, AuthTime: sso.AuthTime}
		accountID, capacity = sso.AccountID, sso.Capacity
	}
	if err := h.accountFacts(ctx, &f, k, fl, accountID, capacity); err != nil || f.AccountGone {
		return f, k, err
	}
	if fl.LoginDone && !fl.Reauth && !fl.NoBinding && h.Certificates != nil {
		f.PendingBinding = h.cert.HasPending(r, fl)
	}
	if !fl.ConsentDone {
		prior, err := h.Store.GetConsent(ctx, accountID, k.client.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return f, k, err
		}
		if prior != nil {
			f.Remembered = prior.Scopes
		}
	}
	f.Citizen = capacity == string(identity.CapacityCitizen)
	if f.Citizen && has(f.Scopes, identity.ScopeBusiness) {
		reps, err := h.Store.Representations(ctx, accountID)
		if err != nil {
			return f, k, err
		}
		k.reps, f.Representations = reps, len(reps)
	}
	return f, k, nil
}

// accountFacts reads the account of the login (the one the flow's login
// read, when it is at hand).
func (h *Handler) accountFacts(ctx context.Context, f *Facts, k *known, fl *Flow, accountID, capacity string) error {
	acct := fl.Account
	if acct == nil || acct.ID != accountID {
		var err error
		acct, err = h.Store.GetAccount(ctx, accountID)
		if errors.Is(err, store.ErrNotFound) {
			f.AccountGone = true
			return nil
		}
		if err != nil {
			return err
		}
	}
	if acct.Disabled {
		f.AccountGone = true
		return nil
	}
	k.account = acct
	if h.MFA != nil {
		level, err := h.personMinimum(ctx, acct, identity.Capacity(capacity))
		if err != nil {
			return err
		}
		f.KindMinimum = level
	}
	return nil
}

// personMinimum is the level a login of the account in the capacity must
// reach: the minimum of the person's kind, raised by the policy for a
// person who has a second factor (authn.Policy.PersonMinimum). The factors
// are read only when they can raise it.
func (h *Handler) personMinimum(ctx context.Context, acct *identity.Account, capacity identity.Capacity) (string, error) {
	p := h.MFA.Policy
	level := p.Minimum(acct, capacity)
	if !p.AsksEnrolled(level) {
		return level, nil
	}
	fs, err := h.MFA.Inventory.Of(ctx, acct.ID)
	if err != nil {
		return "", err
	}
	return p.PersonMinimum(acct, capacity, fs.Any()), nil
}

// consoleFacts reads the facts of a login to the account console. An error
// is an outage.
func (h *Handler) consoleFacts(r *http.Request, fl *Flow) (Facts, error) {
	f := Facts{Console: true, SecondFactors: h.MFA != nil, Certificates: h.Certificates != nil,
		LoggedIn: fl.AccountID != "", FlowACR: fl.ACR, Reauth: fl.Reauth, Now: h.Now().UTC()}
	if f.SecondFactors && f.LoggedIn && !fl.Reauth {
		acct, err := h.Store.GetAccount(r.Context(), fl.AccountID)
		if err != nil {
			f.AccountGone = true // the console deals with a missing account
		} else if f.KindMinimum, err = h.personMinimum(r.Context(), acct, identity.Capacity(fl.Capacity)); err != nil {
			return f, err
		}
	}
	if fl.LoginDone && fl.AccountID != "" && !fl.Reauth && !fl.NoBinding && h.Certificates != nil {
		f.PendingBinding = h.cert.HasPending(r, fl)
	}
	return f, nil
}
