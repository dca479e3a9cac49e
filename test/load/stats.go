package main

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// maxShownErrors is how many error messages a scenario keeps for the report.
const maxShownErrors = 5

// result is what one scenario measured.
type result struct {
	name     string
	workers  int
	requests int             // successful iterations
	errors   int             // failed iterations
	elapsed  time.Duration   // wall time of the measured phase
	lat      []time.Duration // latencies of successful iterations, sorted
	shown    []string        // the first few error messages

	// serverCores, servicesCores, selfCores and otherCores are the CPU
	// cores the nodes together, PostgreSQL and Redis, the load generator and
	// every other process of the machine used on average while measured (0
	// when unknown).
	serverCores, servicesCores, selfCores, otherCores float64

	// target describes the goal; pass reports whether it was met (nil: no goal).
	target string
	pass   *bool
}

// rate returns successful iterations per second.
func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// percentile returns the latency below which a fraction q of the successful
// iterations finished (nearest rank), or 0 when there were none.
func (r *result) percentile(q float64) time.Duration {
	n := len(r.lat)
	if n == 0 {
		return 0
	}
	i := int(float64(n)*q+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= n {
		i = n - 1
	}
	return r.lat[i]
}

// collector gathers the outcomes of one scenario's workers.
type collector struct {
	mu     sync.Mutex
	lat    []time.Duration
	errors int
	shown  []string
}

// add merges one worker's latencies and errors.
func (c *collector) add(lat []time.Duration, errs int, msgs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lat = append(c.lat, lat...)
	c.errors += errs
	for _, m := range msgs {
		if len(c.shown) < maxShownErrors {
			c.shown = append(c.shown, m)
		}
	}
}

func (c *collector) result(name string, workers int, elapsed time.Duration) *result {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.Sort(c.lat)
	return &result{name: name, workers: workers, requests: len(c.lat), errors: c.errors, elapsed: elapsed,
		lat: c.lat, shown: c.shown}
}

// fmtDur prints a latency with three significant figures.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(100 * time.Millisecond).String()
}

// fmtMB prints a size in KiB as MB (10^6 bytes), as targets are written.
func fmtMB(kib int64) string {
	return fmt.Sprintf("%.1f MB", float64(kib)*1024/1e6)
}

func passText(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func ptr[T any](v T) *T { return &v }
