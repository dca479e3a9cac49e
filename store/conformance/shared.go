package conformance

import (
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// The helpers below are shared with suites that run over the same backends
// in other packages (server/oauth's storage suite), so that both keep one
// idea of the backends' time precision and one fixture client.

// ShortLife is the lifetime of items that a suite lets expire by waiting.
const ShortLife = shortLife

// SleepPast waits until the instant t has passed, with some margin.
func SleepPast(t time.Time) { sleepPast(t) }

// StillBefore reports whether there is comfortably time left before t.
func StillBefore(t time.Time) bool { return stillBefore(t) }

// SameTime reports whether a stored time equals want to the precision
// backends keep.
func SameTime(got, want time.Time) bool { return sameTime(got, want) }

// Now returns the current time at the precision backends keep.
func Now() time.Time { return now() }

// WantErr fails the test unless err matches target with errors.Is.
func WantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	wantErr(t, err, target, what)
}

// Must fails the test when err is not nil.
func Must(t *testing.T, err error, what string) {
	t.Helper()
	must(t, err, what)
}

// OrNil returns nil for an empty slice, so that a backend may return either.
func OrNil[T any](s []T) []T { return orNil(s) }

// UniqueName returns a name unique within the test binary.
func UniqueName(prefix string) string { return uniqueName(prefix) }

// FullClient returns a confidential client with every field set.
func FullClient(id string) *store.Client { return fullClient(id) }
