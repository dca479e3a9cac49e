package oauth

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/store"
)

// ErrUnavailable marks a failure of a store (an outage, a timeout, a
// read-only disk), as opposed to an answer of the store (not found, already
// used). Storage wraps every such failure so that errors.Is(err,
// ErrUnavailable) holds for it, whatever fosite wraps it in.
//
// fosite turns a storage error into an answer that a client takes as final:
// invalid_client when the client cannot be read, an inactive token when its
// record cannot be read. The endpoints of this package therefore ask
// Outage before they answer with an error, and answer 503
// temporarily_unavailable instead; fosite also drops some storage errors
// (introspection of a refresh token tries the access token next and keeps
// that answer), so Storage notes every failure in the request's context too
// (WatchOutage).
var ErrUnavailable = errors.New("oauth: a store is unavailable")

// unavailableError is a store failure, marked with ErrUnavailable.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string   { return "oauth: a store is unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// outageKey keys the outage note of a request (WatchOutage).
type outageKey struct{}

// WatchOutage returns a context in which Storage notes every store failure,
// for Outage to find even when fosite dropped the error.
func WatchOutage(ctx context.Context) context.Context {
	if _, ok := ctx.Value(outageKey{}).(*atomic.Bool); ok {
		return ctx
	}
	return context.WithValue(ctx, outageKey{}, new(atomic.Bool))
}

// Outage reports whether err, or any store call made with ctx (a context of
// WatchOutage), met a store failure: the answer must then be 503
// temporarily_unavailable, never a refusal that looks final.
func Outage(ctx context.Context, err error) bool {
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	if seen, ok := ctx.Value(outageKey{}).(*atomic.Bool); ok && seen.Load() {
		return true
	}
	// A store call that ran out of its own deadline (the PostgreSQL
	// statement timeout) while the request itself is still alive is an
	// outage too, wherever it was made.
	var ne net.Error
	if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		return true
	}
	var re *fosite.RFC6749Error
	return errors.As(err, &re) && re.ErrorField == fosite.ErrTemporarilyUnavailable.ErrorField
}

// failed returns err as Storage returns it: nil, an answer of the store or
// of fosite unchanged, anything else (a failure) marked with ErrUnavailable
// and noted in ctx.
func failed(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyUsed) || errors.Is(err, store.ErrChanged) {
		return err
	}
	var re *fosite.RFC6749Error
	if errors.As(err, &re) {
		return err
	}
	if seen, ok := ctx.Value(outageKey{}).(*atomic.Bool); ok {
		seen.Store(true)
	}
	return &unavailableError{err: err}
}
