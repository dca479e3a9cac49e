package login

import (
	"slices"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// TestNext covers every outcome of the dispatcher, and the order in which
// the steps come.
func TestNext(t *testing.T) {
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	fresh := &SessionFacts{ACR: "LoA1", AuthTime: now.Add(-time.Minute)}
	// base: a first-party client, second factors on, a citizen logged in at
	// LoA1 in this flow who needs nothing more.
	base := func() Facts {
		return Facts{SecondFactors: true, FirstParty: true, Now: now, Scopes: []string{"openid", "profile"},
			LoggedIn: true, FlowACR: "LoA1", KindMinimum: "LoA1", Citizen: true}
	}
	pid := identity.ScopePersonalID
	biz := identity.ScopeBusiness
	cases := []struct {
		name     string
		change   func(*Facts)
		outcome  Outcome
		required string
		err      string
		session  bool
		granted  []string
	}{
		{name: "logged in, nothing more: the code", change: func(*Facts) {}, outcome: IssueCode,
			granted: []string{"openid", "profile"}},
		{name: "no login, no session", change: func(f *Facts) { f.LoggedIn = false }, outcome: ShowLogin},
		{name: "no login, no session, prompt=none", change: func(f *Facts) { f.LoggedIn, f.Prompt.None = false, true },
			outcome: Refuse, err: "login_required"},
		{name: "the browser's session", change: func(f *Facts) { f.LoggedIn, f.Session = false, fresh },
			outcome: IssueCode, session: true, granted: []string{"openid", "profile"}},
		{name: "the session with prompt=login", change: func(f *Facts) { f.LoggedIn, f.Session, f.Prompt.Login = false, fresh, true },
			outcome: ShowLogin},
		{name: "the session older than max_age", change: func(f *Facts) {
			f.LoggedIn, f.Session, f.MaxAge, f.MaxAgeSet = false, fresh, 30*time.Second, true
		}, outcome: ShowLogin},
		{name: "the session within max_age", change: func(f *Facts) {
			f.LoggedIn, f.Session, f.MaxAge, f.MaxAgeSet = false, fresh, time.Hour, true
		}, outcome: IssueCode, session: true, granted: []string{"openid", "profile"}},
		{name: "max_age=0 with a session", change: func(f *Facts) {
			f.LoggedIn, f.Session, f.MaxAge, f.MaxAgeSet = false, fresh, 0, true
		}, outcome: ShowLogin},
		{name: "a client that needs LoA3, before login: certificate only", change: func(f *Facts) {
			f.LoggedIn, f.MinimumACR, f.Certificates = false, "LoA3", true
		}, outcome: ShowLogin, required: "LoA3"},
		{name: "a client that needs LoA3 without certificate login", change: func(f *Facts) {
			f.LoggedIn, f.MinimumACR = false, "LoA3"
		}, outcome: Refuse, err: "unmet_authentication_requirements"},
		{name: "an essential acr beyond reach", change: func(f *Facts) {
			f.ClaimsACR, f.ClaimsEssential = []string{"LoA3"}, true
		}, outcome: Refuse, err: "unmet_authentication_requirements"},
		{name: "a voluntary acr beyond reach is left out", change: func(f *Facts) { f.ACRValues = []string{"LoA3"} },
			outcome: IssueCode, granted: []string{"openid", "profile"}},
		{name: "a malformed claims parameter", change: func(f *Facts) { f.ClaimsMalformed = true },
			outcome: Refuse, err: "invalid_request"},
		{name: "the account went away", change: func(f *Facts) { f.AccountGone = true }, outcome: Relogin},
		{name: "the session's account went away, prompt=none", change: func(f *Facts) {
			f.LoggedIn, f.Session, f.AccountGone, f.Prompt.None = false, fresh, true, true
		}, outcome: Relogin, err: "login_required", session: true},
		{name: "acr_values LoA2: a second factor", change: func(f *Facts) { f.ACRValues = []string{"LoA2"} },
			outcome: SecondFactor, required: "LoA2"},
		{name: "an official's kind needs LoA2", change: func(f *Facts) { f.KindMinimum, f.Citizen = "LoA2", false },
			outcome: SecondFactor, required: "LoA2"},
		{name: "a second factor is needed, prompt=none", change: func(f *Facts) {
			f.MinimumACR, f.Prompt.None = "LoA2", true
		}, outcome: Refuse, err: "login_required"},
		{name: "the session below the client's LoA3: certificate login", change: func(f *Facts) {
			f.LoggedIn, f.Session, f.MinimumACR, f.Certificates = false, fresh, "LoA3", true
		}, outcome: ShowLogin, required: "LoA3", session: true},
		{name: "the level is met", change: func(f *Facts) { f.FlowACR, f.MinimumACR = "LoA2", "LoA2" },
			outcome: IssueCode, granted: []string{"openid", "profile"}},
		{name: "second factors off: no step-up", change: func(f *Facts) { f.SecondFactors, f.ACRValues = false, []string{"LoA2"} },
			outcome: IssueCode, granted: []string{"openid", "profile"}},
		{name: "a pending certificate", change: func(f *Facts) { f.PendingBinding = true }, outcome: OfferBinding},
		{name: "a third-party client asks for new scopes", change: func(f *Facts) { f.FirstParty = false },
			outcome: Consent},
		{name: "a third-party client within the remembered consent", change: func(f *Facts) {
			f.FirstParty, f.Remembered = false, []string{"profile"}
		}, outcome: IssueCode, granted: []string{"openid", "profile"}},
		{name: "consent needed, prompt=none", change: func(f *Facts) { f.FirstParty, f.Prompt.None = false, true },
			outcome: Refuse, err: "consent_required"},
		{name: "prompt=consent for a first-party client", change: func(f *Facts) { f.Prompt.Consent = true },
			outcome: Consent},
		{name: "a first-party client asks for the personal ID the first time", change: func(f *Facts) {
			f.Scopes = []string{"openid", pid}
		}, outcome: Consent},
		{name: "the flow's consent is used", change: func(f *Facts) {
			f.FirstParty, f.ConsentDone, f.ConsentScopes, f.PIDConsented = false, true, []string{"openid"}, false
		}, outcome: IssueCode, granted: []string{"openid"}},
		{name: "a representative chooses a business", change: func(f *Facts) {
			f.Scopes, f.Representations = []string{"openid", biz}, 2
		}, outcome: ChooseBusiness},
		{name: "no business to choose from", change: func(f *Facts) { f.Scopes = []string{"openid", biz} },
			outcome: IssueCode, granted: []string{"openid", biz}},
		{name: "an official does not choose a business", change: func(f *Facts) {
			f.Scopes, f.Representations, f.Citizen = []string{"openid", biz}, 2, false
		}, outcome: IssueCode, granted: []string{"openid", biz}},
		{name: "the business was chosen", change: func(f *Facts) {
			f.Scopes, f.Representations, f.BusinessDone = []string{"openid", biz}, 2, true
		}, outcome: IssueCode, granted: []string{"openid", biz}},
		{name: "prompt=none skips the business choice", change: func(f *Facts) {
			f.Scopes, f.Representations, f.Prompt.None = []string{"openid", biz}, 2, true
		}, outcome: IssueCode, granted: []string{"openid", biz}},
		{name: "console: back to the console", change: func(f *Facts) { f.Console = true }, outcome: ReturnToConsole},
		{name: "console: below the kind's minimum", change: func(f *Facts) { f.Console, f.KindMinimum = true, "LoA2" },
			outcome: SecondFactor, required: "LoA2"},
		{name: "console: a re-authentication is not stepped up", change: func(f *Facts) {
			f.Console, f.KindMinimum, f.Reauth = true, "LoA2", true
		}, outcome: ReturnToConsole},
		{name: "console: a pending certificate", change: func(f *Facts) { f.Console, f.PendingBinding = true, true },
			outcome: OfferBinding},
	}
	seen := map[Outcome]bool{}
	for _, c := range cases {
		f := base()
		c.change(&f)
		d := Next(f)
		seen[d.Outcome] = true
		errCode := ""
		if d.Err != nil {
			errCode = d.Err.ErrorField
		}
		if d.Outcome != c.outcome || d.Required != c.required || errCode != c.err || d.UseSession != c.session ||
			!slices.Equal(d.Granted, c.granted) {
			t.Errorf("%s: got %v required %q err %q session %v granted %v; want %v %q %q %v %v", c.name, d.Outcome,
				d.Required, errCode, d.UseSession, d.Granted, c.outcome, c.required, c.err, c.session, c.granted)
		}
	}
	for o := range outcomeNames {
		if !seen[o] {
			t.Errorf("no case ends in %v", o)
		}
	}
}
