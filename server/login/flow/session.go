package flow

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// StartSession starts the SSO session of a login — password, passkey or
// certificate — and records the login in the flow. The client the flow is
// for is recorded in the session at once: it is about to receive tokens.
//
// When the browser already has a session of the same person in the same
// capacity (a re-authentication: prompt=login, max_age, a step-up through
// the login page), that session is kept: same sid, same clients, a new
// auth_time, and the acr and amr of this login; no application is told of
// an end. A session of another person (or capacity) is ended first, and its
// applications are told (reason "replaced").
//
// The flow is not saved here: a step that resumes the flow in the same
// request leaves that to the dispatcher, which saves the flow whenever it
// sends the browser to a further step and deletes it when the code is
// issued (most logins); a step that sends the browser elsewhere first
// saves it.
func (e *Env) StartSession(w http.ResponseWriter, r *http.Request, fl *Flow, acct *identity.Account,
	capacity identity.Capacity, acr string, amr []string, method string) error {
	ctx := r.Context()
	now := e.Now().UTC()
	sso := &session.SSO{AccountID: acct.ID, Capacity: string(capacity), AuthTime: now, ACR: acr, AMR: amr,
		UserAgent: truncate(r.UserAgent(), 200), Address: web.ClientAddress(r)}
	forClient := fl.ClientID != "" && !fl.Console()
	if forClient {
		sso.Clients = []string{fl.ClientID}
	}
	kept := false
	if old, err := e.Sessions.Get(ctx, r); err == nil {
		if old.AccountID == acct.ID && old.Capacity == string(capacity) {
			kept, err = e.reauthenticate(ctx, old, fl, acr, amr, now, forClient)
			if err != nil {
				return err
			}
			if kept {
				sso = old
			}
		} else if err := e.Logout.End(ctx, old, session.ReasonReplaced, old.AccountID); err != nil {
			return err
		}
	}
	if !kept {
		if err := e.Sessions.Create(ctx, w, r, sso); err != nil {
			return err
		}
	}
	// A login renews the CSRF secret: no token shown before it is accepted.
	e.Kit.RotateCSRF(w, r)
	details := map[string]string{"method": method, "capacity": string(capacity), "sid": sso.ID, "acr": acr}
	if kept {
		details["session"] = "kept"
	}
	e.Record(r, audit.LoginSuccess, acct.ID, fl.ClientID, details)
	fl.LoginDone, fl.AccountID, fl.Capacity, fl.SID = true, acct.ID, sso.Capacity, sso.ID
	fl.AuthTime, fl.ACR, fl.AMR = sso.AuthTime, sso.ACR, sso.AMR
	fl.Session, fl.Account = sso, acct
	return nil
}

// reauthenticate records a new authentication of the session's own person
// in the session: auth_time, acr and amr; the flow's client is added. It
// reports false, changing nothing, when the session ended meanwhile (a
// logout in another tab): the caller then starts a new one.
func (e *Env) reauthenticate(ctx context.Context, s *session.SSO, fl *Flow, acr string, amr []string, at time.Time,
	forClient bool) (bool, error) {
	err := e.Sessions.Upgrade(ctx, s, acr, amr, at)
	if err == nil && forClient {
		err = e.Sessions.AddClient(ctx, s, fl.ClientID)
	}
	if errors.Is(err, session.ErrNoSession) {
		return false, nil
	}
	return err == nil, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SessionFlow is a flow whose login is done, with its account and the
// browser's session it belongs to: what the second-factor, enrolment and
// re-authentication steps work on.
type SessionFlow struct {
	Flow    *Flow
	Account *identity.Account
	SSO     *session.SSO
}

var errNotYours = errors.New("the flow does not belong to this browser's session")

// LoadSessionFlow returns the flow named id when its login is done in this
// browser's session and its account is still there and enabled.
func (e *Env) LoadSessionFlow(r *http.Request, id string) (*SessionFlow, error) {
	ctx := r.Context()
	fl, err := e.Flows.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if fl.AccountID == "" || fl.SID == "" {
		return nil, ErrGone
	}
	sso, err := e.Sessions.Get(ctx, r)
	if errors.Is(err, session.ErrNoSession) || (err == nil && (sso.ID != fl.SID || sso.AccountID != fl.AccountID)) {
		return nil, errNotYours
	}
	if err != nil {
		return nil, err
	}
	acct, err := e.Store.GetAccount(ctx, fl.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Disabled) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, err
	}
	return &SessionFlow{Flow: fl, Account: acct, SSO: sso}, nil
}

// SessionFlowPage is LoadSessionFlow for a page: it answers the request
// itself (an error page) when there is no such flow.
func (e *Env) SessionFlowPage(w http.ResponseWriter, r *http.Request, id string) (*SessionFlow, bool) {
	sf, err := e.LoadSessionFlow(r, id)
	if err != nil {
		e.FlowError(w, r, err)
		return nil, false
	}
	return sf, true
}

// SessionFlowJSON is LoadSessionFlow for a JSON endpoint.
func (e *Env) SessionFlowJSON(w http.ResponseWriter, r *http.Request, id string) (*SessionFlow, bool) {
	sf, err := e.LoadSessionFlow(r, id)
	if err != nil {
		e.JSONFlowError(w, r, err)
		return nil, false
	}
	return sf, true
}
