package login

import (
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
)

// Facts is everything the dispatcher needs to know about a login flow at
// one moment: the authorization request, the client's policy, the browser's
// session, the account and what the flow has done so far. The handler reads
// them (gather.go); Next decides from them alone.
type Facts struct {
	// Console is a login to the account console: there is no authorization
	// request, and the flow ends at its return path.
	Console bool

	// The authorization request.
	Prompt          Prompts
	MaxAge          time.Duration // meaningful when MaxAgeSet
	MaxAgeSet       bool
	ClaimsMalformed bool     // the claims parameter is not a JSON object
	ACRValues       []string // acr_values, in order of preference (voluntary)
	ClaimsACR       []string // acr values of the claims parameter
	ClaimsEssential bool     // ClaimsACR is essential
	Scopes          []string // the requested scopes

	// The client's policy.
	FirstParty bool
	MinimumACR string

	// What this server offers.
	SecondFactors bool // second factors and assurance levels are on
	Certificates  bool // certificate login is on (the only way to LoA3)

	Now time.Time

	// The login. LoggedIn is set once a login happened in this flow (its
	// level is FlowACR); otherwise Session is the browser's SSO session, or
	// nil.
	LoggedIn bool
	FlowACR  string
	Session  *SessionFacts
	Reauth   bool

	// The account of the login (known once LoggedIn or Session is set).
	AccountGone bool   // it went away or was locked since the session began
	KindMinimum string // the level the person requires: their kind's, raised when they have a second factor (authn.Policy.PersonMinimum)
	Citizen     bool   // the login acts in the citizen's capacity

	// PendingBinding is a certificate, met earlier in the flow, that mapped
	// to nobody and may now be bound to the account that logged in.
	PendingBinding bool

	// Consent: the flow's own answer, else the remembered one.
	ConsentDone   bool
	ConsentScopes []string
	PIDConsented  bool
	Remembered    []string

	// Business: how many businesses the person represents, and whether the
	// flow chose already.
	Representations int
	BusinessDone    bool
}

// Prompts are the values of the prompt parameter that change the flow.
type Prompts struct{ None, Login, Consent bool }

// SessionFacts is what the dispatcher needs of the browser's SSO session.
type SessionFacts struct {
	ACR      string
	AuthTime time.Time
}

// Outcome is the next step of a flow.
type Outcome int

// The outcomes of Next.
const (
	// IssueCode: every step is done; the code goes to the client.
	IssueCode Outcome = iota + 1
	// ShowLogin: the person logs in (Required LoA3: with a certificate only).
	ShowLogin
	// SecondFactor: the login is below Required; a second factor is asked
	// for, or enrolled when the person has none.
	SecondFactor
	// OfferBinding: the pending certificate is offered for binding.
	OfferBinding
	// Consent: the person is asked to consent to the scopes.
	Consent
	// ChooseBusiness: the person chooses whom they act for.
	ChooseBusiness
	// Relogin: the account went away; the session ends and the person logs
	// in again (or, with prompt=none, Err goes to the client).
	Relogin
	// ReturnToConsole: a console login is done; the browser goes back.
	ReturnToConsole
	// Refuse: Err goes to the client.
	Refuse
)

var outcomeNames = map[Outcome]string{IssueCode: "issue_code", ShowLogin: "show_login", SecondFactor: "second_factor",
	OfferBinding: "offer_binding", Consent: "consent", ChooseBusiness: "choose_business", Relogin: "relogin",
	ReturnToConsole: "return_to_console", Refuse: "refuse"}

func (o Outcome) String() string { return outcomeNames[o] }

// Decision is the dispatcher's answer.
type Decision struct {
	Outcome Outcome
	// Required is the level the login must reach (ShowLogin, SecondFactor).
	Required string
	// UseSession: the browser's SSO session is the login of this flow.
	UseSession bool
	// Err is the error for the client (Refuse; Relogin with prompt=none).
	Err *fosite.RFC6749Error
	// Granted and PIDConsented are the consent the code is issued with.
	Granted      []string
	PIDConsented bool
}

// errUnmet is sent to the client when the level it demands cannot be reached.
var errUnmet = &fosite.RFC6749Error{ErrorField: "unmet_authentication_requirements",
	DescriptionField: "The authorization server is unable to meet the requirements of the authentication.",
	CodeField:        http.StatusBadRequest}

func refuse(err *fosite.RFC6749Error) Decision { return Decision{Outcome: Refuse, Err: err} }

// Next decides the next step of a flow. It is a pure function of the facts:
// it reads nothing and changes nothing.
//
// The order is fixed: a request whose demands cannot be met is refused
// before anyone logs in; then the login (the flow's own, or the browser's
// session when prompt, max_age and the level allow); then the level of
// assurance (a second factor, or a certificate login for LoA3); then a
// certificate binding offer; then consent; then the choice of a business;
// then the code. prompt=none turns every page into an error for the client.
func Next(f Facts) Decision {
	if f.Console {
		return nextConsole(f)
	}
	if f.SecondFactors {
		if f.ClaimsMalformed {
			return refuse(fosite.ErrInvalidRequest.WithHint("The claims parameter is not a valid JSON object."))
		}
		if f.unmet() {
			return refuse(errUnmet)
		}
	}
	acr, useSession := f.FlowACR, false
	if !f.LoggedIn {
		if f.Session == nil || f.Prompt.Login || (f.MaxAgeSet && f.Now.Sub(f.Session.AuthTime) > f.MaxAge) {
			if f.Prompt.None {
				return refuse(fosite.ErrLoginRequired.WithHint("The user is not logged in."))
			}
			d := Decision{Outcome: ShowLogin}
			if f.preLoginLevel() == authn.LoA3 {
				d.Required = authn.LoA3
			}
			return d
		}
		acr, useSession = f.Session.ACR, true
	}
	if f.AccountGone {
		d := Decision{Outcome: Relogin, UseSession: useSession}
		if f.Prompt.None {
			d.Err = fosite.ErrLoginRequired
		}
		return d
	}
	d := f.afterLogin(acr)
	d.UseSession = useSession
	return d
}

// afterLogin decides for a flow whose login is done at level acr.
func (f Facts) afterLogin(acr string) Decision {
	if f.SecondFactors {
		need := f.requiredLevel(acr)
		if authn.Rank(acr) < authn.Rank(need) {
			switch {
			case !f.reachable(need, acr):
				return refuse(errUnmet)
			case f.Prompt.None:
				return refuse(fosite.ErrLoginRequired.WithHint("A second factor is required."))
			case need == authn.LoA3:
				// Only a certificate login reaches LoA3.
				return Decision{Outcome: ShowLogin, Required: need}
			}
			return Decision{Outcome: SecondFactor, Required: need}
		}
	}
	if f.PendingBinding {
		return Decision{Outcome: OfferBinding}
	}
	granted, pid := f.Scopes, false
	if f.ConsentDone {
		granted, pid = f.ConsentScopes, f.PIDConsented
	} else {
		if f.needsConsent() {
			if f.Prompt.None {
				return refuse(fosite.ErrConsentRequired.WithHint("The user has not consented."))
			}
			return Decision{Outcome: Consent}
		}
		pid = has(f.Remembered, identity.ScopePersonalID)
	}
	if has(granted, identity.ScopeBusiness) && f.Citizen && f.Representations > 0 && !f.BusinessDone && !f.Prompt.None {
		return Decision{Outcome: ChooseBusiness}
	}
	return Decision{Outcome: IssueCode, Granted: granted, PIDConsented: pid}
}

// nextConsole decides for a login to the account console: the minimum of
// the person's kind, a binding offer, then back to the console.
func nextConsole(f Facts) Decision {
	if f.SecondFactors && f.LoggedIn && !f.Reauth && !f.AccountGone && f.KindMinimum != "" &&
		authn.Rank(f.FlowACR) < authn.Rank(f.KindMinimum) {
		return Decision{Outcome: SecondFactor, Required: f.KindMinimum}
	}
	if f.PendingBinding {
		return Decision{Outcome: OfferBinding}
	}
	return Decision{Outcome: ReturnToConsole}
}

// needsConsent reports whether the person must be asked: prompt=consent; a
// third-party client asking for a scope not consented before; a first-party
// client asking for the personal ID the first time.
func (f Facts) needsConsent() bool {
	if f.Prompt.Consent {
		return true
	}
	if !f.FirstParty && !subset(consentable(f.Scopes), f.Remembered) {
		return true
	}
	return f.FirstParty && has(f.Scopes, identity.ScopePersonalID) && !has(f.Remembered, identity.ScopePersonalID)
}

// reachable reports whether a login at level current can reach level: LoA1
// and LoA2 always (a second factor can be added or enrolled), LoA3 from a
// session already at LoA3 or, when certificate login is on, by logging in
// with a digital-signature certificate.
func (f Facts) reachable(level, current string) bool {
	if authn.Reachable(level, current) {
		return true
	}
	return level == authn.LoA3 && f.Certificates
}

// lowestReachable returns the lowest known level of values that can be
// reached from current, or "".
func (f Facts) lowestReachable(values []string, current string) string {
	best := ""
	for _, v := range values {
		if authn.Rank(v) == 0 || !f.reachable(v, current) {
			continue
		}
		if best == "" || authn.Rank(v) < authn.Rank(best) {
			best = v
		}
	}
	return best
}

// currentLevel is the level of the login the flow has, or would take from
// the browser's session.
func (f Facts) currentLevel() string {
	if !f.LoggedIn && f.Session != nil {
		return f.Session.ACR
	}
	return f.FlowACR
}

// unmet reports whether the request demands what no login can give: a
// client minimum or an essential acr beyond reach (acr_values is
// voluntary: an unreachable value is left out).
func (f Facts) unmet() bool {
	hard := authn.Rank(f.MinimumACR) > authn.Rank(authn.LoA2)
	for _, v := range f.ClaimsACR {
		hard = hard || (f.ClaimsEssential && authn.Rank(v) > authn.Rank(authn.LoA2))
	}
	if !hard {
		return false // LoA1 and LoA2 can always be reached
	}
	current := f.currentLevel()
	if authn.Rank(f.MinimumACR) > 0 && !f.reachable(f.MinimumACR, current) {
		return true
	}
	return f.ClaimsEssential && len(f.ClaimsACR) > 0 && f.lowestReachable(f.ClaimsACR, current) == ""
}

// requiredLevel is the level a login at acr must reach for the request: the
// highest of the person's kind, the client's minimum, the first reachable
// value of acr_values and the lowest reachable essential acr.
func (f Facts) requiredLevel(acr string) string {
	level := f.KindMinimum
	if level == "" {
		level = authn.LoA1
	}
	if authn.Rank(f.MinimumACR) > 0 {
		level = authn.Highest(level, f.MinimumACR)
	}
	for _, v := range f.ACRValues {
		if authn.Rank(v) > 0 && f.reachable(v, acr) {
			level = authn.Highest(level, v)
			break
		}
	}
	if f.ClaimsEssential {
		level = authn.Highest(level, f.lowestReachable(f.ClaimsACR, acr))
	}
	return level
}

// preLoginLevel is the level a request demands before anyone has logged in
// (the client's minimum, an essential acr): at LoA3 the login page offers
// the certificate login only.
func (f Facts) preLoginLevel() string {
	level := ""
	if authn.Rank(f.MinimumACR) > 0 {
		level = f.MinimumACR
	}
	if f.ClaimsEssential {
		level = authn.Highest(level, f.lowestReachable(f.ClaimsACR, ""))
	}
	return level
}
