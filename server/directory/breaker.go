package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
)

// The states of a directory's circuit breaker.
const (
	// BreakerClosed: requests go to the directory.
	BreakerClosed = "closed"
	// BreakerOpen: requests fail at once with ErrBreakerOpen until the cool-down ends.
	BreakerOpen = "open"
	// BreakerHalfOpen: the cool-down ended; one request probes the directory,
	// the others fail at once until it answers.
	BreakerHalfOpen = "half-open"
)

// ErrBreakerOpen is the error of a request refused because the directory's
// circuit breaker is open (or half-open with its probe under way). It wraps
// ErrUnreachable: the directory counts as unreachable.
var ErrBreakerOpen = fmt.Errorf("%w: the directory's circuit breaker is open", ErrUnreachable)

// BreakerState is what a directory's circuit breaker reports.
type BreakerState struct {
	// State is BreakerClosed, BreakerOpen or BreakerHalfOpen.
	State string
	// Failures is the number of consecutive failed requests.
	Failures int
	// OpenUntil is when an open breaker lets a probe through (zero when closed).
	OpenUntil time.Time
	// Opened counts how often the breaker opened since the process started.
	Opened int64
	// Refused counts the requests refused without asking the directory.
	Refused int64
}

// breaker is the circuit breaker of one directory, over all its URLs: after
// threshold consecutive failed requests it refuses requests for coolDown,
// then lets exactly one through as a probe, whose outcome closes or opens it
// again.
type breaker struct {
	threshold int
	coolDown  time.Duration
	now       func() time.Time
	onChange  func(from, to string)

	mu        sync.Mutex
	failures  int
	openUntil time.Time // zero: closed
	probing   bool      // half-open with the probe under way
	opened    int64
	refused   int64
}

// newBreaker returns the breaker of a directory's configuration, logging
// every change of state.
func newBreaker(cfg config.DirectoryBreaker, now func() time.Time, log *slog.Logger) *breaker {
	b := &breaker{threshold: cfg.Failures, coolDown: cfg.CoolDown.D(), now: now}
	if b.threshold < 1 {
		b.threshold = 5
	}
	if b.coolDown <= 0 {
		b.coolDown = 30 * time.Second
	}
	b.onChange = func(from, to string) {
		switch to {
		case BreakerOpen:
			log.Warn("directory circuit breaker opened: logins that need the directory are refused",
				"cool_down", b.coolDown, "consecutive_failures", b.snapshot().Failures)
		case BreakerClosed:
			log.Info("directory circuit breaker closed: the directory answers again")
		}
	}
	return b
}

// stateLocked returns the state name; b.mu is held.
func (b *breaker) stateLocked() string {
	switch {
	case b.openUntil.IsZero():
		return BreakerClosed
	case b.now().Before(b.openUntil):
		return BreakerOpen
	default:
		return BreakerHalfOpen
	}
}

// allow reports whether a request may go to the directory: nil when it may
// (probe is true when it is the half-open breaker's one probe, which must be
// settled with done), ErrBreakerOpen when it may not.
func (b *breaker) allow() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.stateLocked() {
	case BreakerClosed:
		return false, nil
	case BreakerHalfOpen:
		if !b.probing {
			b.probing = true
			return true, nil
		}
	}
	b.refused++
	return false, ErrBreakerOpen
}

// done settles a request that allow let through: failed tells whether the
// directory failed it (every server unreachable or too slow). A probe whose
// request ended without an outcome (abandoned: the caller went away) only
// frees the probe slot, so that the next request probes.
func (b *breaker) done(probe, failed, abandoned bool) {
	b.mu.Lock()
	from := b.stateLocked()
	if probe {
		b.probing = false
	}
	switch {
	case abandoned:
	case !failed:
		b.failures, b.openUntil = 0, time.Time{}
	default:
		b.failures++
		if probe || (b.openUntil.IsZero() && b.failures >= b.threshold) {
			if b.openUntil.IsZero() || probe {
				b.opened++
			}
			b.openUntil = b.now().Add(b.coolDown)
		}
	}
	to := b.stateLocked()
	b.mu.Unlock()
	if from != to && b.onChange != nil {
		b.onChange(from, to)
	}
}

// snapshot returns the breaker's state.
func (b *breaker) snapshot() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := BreakerState{State: b.stateLocked(), Failures: b.failures, Opened: b.opened, Refused: b.refused}
	if st.State != BreakerClosed {
		st.OpenUntil = b.openUntil
	}
	return st
}

// breakerOutcome classifies the result of a request that went to the directory:
// failed when no server could serve it (unreachable, or the request's
// deadline ran out while waiting for the directory), abandoned when the
// caller cancelled it.
func breakerOutcome(err error) (failed, abandoned bool) {
	switch {
	case err == nil:
		return false, false
	case errors.Is(err, context.Canceled):
		return false, true
	case errors.Is(err, ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return true, false
	}
	return false, false
}

// Breaker returns the state of the directory's circuit breaker on this node.
func (d *Directory) Breaker() BreakerState { return d.breaker.snapshot() }
