// Package conformance is the one test suite every store backend passes.
//
// A backend's tests call RunStore and RunEphemeral with a function that opens
// a fresh, empty, migrated backend for the given test (and registers its
// cleanup with t.Cleanup). Each suite runs named subtests that
// check behaviour through the store contracts only: what a caller can observe
// after a call, never the order or the form of the calls a backend makes.
//
// Times are compared to the millisecond, the precision every backend keeps.
// Expiry is tested with short real lifetimes (tens of milliseconds), so the
// suites do not depend on a clock the backend might not let them replace.
//
// Like package store, the suite knows nothing of OAuth libraries. The suite
// of the fosite adapter over the stores (server/oauth's Storage) lives beside
// it in server/oauth, runs on every backend tested here, and races with
// Concurrently and ExactlyOneNil, Repeats times with Racers goroutines.
package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// timePrecision is the precision to which backends keep times.
const timePrecision = time.Millisecond

// shortLife is the lifetime of items that the suites let expire by waiting.
const shortLife = 50 * time.Millisecond

// sleepPast waits until the instant t has passed, with some margin.
func sleepPast(t time.Time) {
	time.Sleep(time.Until(t) + 30*time.Millisecond)
}

// stillBefore reports whether there is comfortably time left before t, so that
// a check that an item is still alive cannot fail because the machine is slow.
func stillBefore(t time.Time) bool {
	return time.Until(t) > 15*time.Millisecond
}

// sameTime reports whether a backend's stored time got equals want to the
// precision backends keep.
func sameTime(got, want time.Time) bool {
	if got.IsZero() || want.IsZero() {
		return got.IsZero() == want.IsZero()
	}
	d := got.Sub(want)
	return d > -timePrecision && d < timePrecision
}

// now returns the current time at the precision backends keep, so that values
// built from it round-trip exactly.
func now() time.Time {
	return time.Now().UTC().Truncate(timePrecision)
}

// wantErr fails the test unless err matches target with errors.Is.
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// must fails the test when err is not nil.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantConflict fails the test unless err is a *store.ConflictError naming field.
func wantConflict(t *testing.T, err error, field, what string) {
	t.Helper()
	var c *store.ConflictError
	if !errors.As(err, &c) {
		t.Fatalf("%s: error = %v, want *store.ConflictError{Field: %q}", what, err, field)
	}
	if field != "" && c.Field != field {
		t.Fatalf("%s: conflict on %q, want %q", what, c.Field, field)
	}
	if f, ok := store.IsConflict(err); !ok || f != c.Field {
		t.Fatalf("%s: store.IsConflict = %q, %v", what, f, ok)
	}
}

// Concurrently runs f(0) … f(n-1) in n goroutines released at the same moment
// and returns their errors by index. Suites outside this package (server/oauth's)
// race with it too.
func Concurrently(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// ExactlyOneNil fails the test unless exactly one of errs is nil and every
// other one matches loser.
func ExactlyOneNil(t *testing.T, errs []error, loser error, what string) {
	t.Helper()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, loser):
			t.Errorf("%s: caller %d: error = %v, want nil or %v", what, i, err, loser)
		}
	}
	if winners != 1 {
		t.Fatalf("%s: %d of %d concurrent callers succeeded, want exactly 1 (errors %v)", what, winners, len(errs), errs)
	}
}

// Repeats is how many times a concurrency check is run, each time on fresh
// items, to make a lost race likely to show.
const Repeats = 5

// RaceRounds is how many times a race whose losing interleaving is narrow
// (a few commands on the backend) is run.
const RaceRounds = 20

// Racers is the number of goroutines competing for one single-use item.
const Racers = 8

// sortedCopy returns a sorted copy of s.
func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// orNil returns nil for an empty slice, so that a backend may return either.
func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// uniqueName returns a name unique within the test binary, for keys and ids.
func uniqueName(prefix string) string {
	mu.Lock()
	defer mu.Unlock()
	counter++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), counter)
}

var (
	mu      sync.Mutex
	counter int
)
