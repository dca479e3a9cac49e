package flow

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Dispatcher is where every step hands its flow back (server/login).
type Dispatcher interface {
	// Resume decides the flow's next step and carries it out.
	Resume(w http.ResponseWriter, r *http.Request, fl *Flow)
	// Refuse ends the flow's authorization request with err at the client.
	Refuse(w http.ResponseWriter, r *http.Request, fl *Flow, err error)
	// RenderLogin shows the flow's login page — every method on offer — with
	// the identifier typed and an error.
	RenderLogin(w http.ResponseWriter, r *http.Request, status int, fl *Flow, identifier, errKey string, errArgs ...any)
}

// Env is what every step shares. The dispatcher builds it once; steps only
// read it.
type Env struct {
	Kit      *web.Kit
	Flows    *Store
	Store    store.Store
	Eph      store.Ephemeral
	Sessions *session.Manager
	Logout   *session.Logout
	// Guard is the brute-force guard every credential check goes through.
	Guard *authn.Guard
	// Passwords checks local and directory passwords.
	Passwords *Passwords
	Audit     *audit.Recorder
	Log       *slog.Logger
	Now       func() time.Time
	// Sleep waits for a guard's delay (it returns early when ctx ends).
	Sleep func(ctx context.Context, d time.Duration)
	// Next is the dispatcher.
	Next Dispatcher
}

// Sleep waits d, or until ctx ends: the default Env.Sleep.
func Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Record writes an audit event of the request.
func (e *Env) Record(r *http.Request, ev audit.Event, subject, clientID string, details map[string]string) {
	e.Audit.FromRequest(r, ev, subject, clientID, details)
}

// Unavailable answers a request that met a failing dependency: 503 and a
// page in the user's language; the cause goes to the log.
func (e *Env) Unavailable(w http.ResponseWriter, r *http.Request, err error) {
	e.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	e.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}

// JSONUnavailable is Unavailable for the JSON endpoints of a ceremony.
func (e *Env) JSONUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	e.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	e.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
}

// FlowError answers a request whose flow could not be read: a page saying
// it expired, or Unavailable.
func (e *Env) FlowError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrGone) || errors.Is(err, errNotYours) {
		e.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return
	}
	e.Unavailable(w, r, err)
}

// JSONFlowError is FlowError for the JSON endpoints of a ceremony.
func (e *Env) JSONFlowError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrGone) || errors.Is(err, errNotYours) {
		e.Kit.JSONError(w, r, http.StatusBadRequest, "error.flow_expired")
		return
	}
	e.JSONUnavailable(w, r, err)
}

// LockMinutes is the guard's lock duration in whole minutes, for pages.
func (e *Env) LockMinutes() int { return int(e.Guard.Policy.LockDuration.Minutes() + 0.5) }

// PendingFlow returns a flow of an authorization request that has passed
// the login, for the pages after it (consent, business): the browser's
// session must be the flow's. It answers the request itself otherwise.
func (e *Env) PendingFlow(w http.ResponseWriter, r *http.Request, id string) (*Flow, bool) {
	fl, err := e.Flows.Get(r.Context(), id)
	if err != nil {
		e.FlowError(w, r, err)
		return nil, false
	}
	if fl.AccountID == "" || fl.Console() {
		e.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return nil, false
	}
	if sso, err := e.Sessions.Get(r.Context(), r); err != nil || sso.ID != fl.SID {
		e.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return nil, false
	}
	return fl, true
}

// Named returns the flow named by ?flow= (or the form), or, for a direct
// visit without one, a new flow of a login to a console: it returns to
// ?return= when that is a local path (web.LocalPath), else to /account.
func (e *Env) Named(r *http.Request) (*Flow, error) {
	id := r.FormValue("flow")
	if id == "" {
		fl := &Flow{ReturnTo: web.LocalPathOr(r.URL.Query().Get("return"), "/account"), RequestedAt: e.Now().UTC()}
		return fl, e.Flows.Create(r.Context(), fl)
	}
	return e.Flows.Get(r.Context(), id)
}
