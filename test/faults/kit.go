// Package faults makes the failures of a deployment happen to real
// components and measures what clients see meanwhile: a node killed with
// SIGKILL, Redis stopped or killed, PostgreSQL stopped (fast or immediate)
// or frozen with SIGSTOP, SQLite's file system full, and a TCP listener that
// accepts and never answers, standing in for an LDAP directory, a CRL
// distribution point, an OCSP responder or a back-channel logout endpoint.
//
// The kit (this file) has no test dependency, so that the load command's
// --faults mode injects the same faults:
//
//   - [Stalled] is the listener that never answers;
//   - [Signal], [Freeze], [Thaw] and [WaitGone] act on a server's process
//     ([Freeze] and [Thaw] on its whole tree: PostgreSQL's postmaster and every backend);
//   - [MountTmpfs] mounts a small tmpfs (root only) and [Fill] fills it up;
//   - [Class] sorts a client-visible answer into ok, 503, 5xx, 4xx or
//     transport, and [Tally] counts answers by class;
//   - [Until] measures a recovery: the time until a check first passes;
//   - [Ledger] records every write the server acknowledged, for the check
//     after recovery that each is still there.
//
// The tests (faults_test.go) run each fault once against nodes started as
// real binaries over their own PostgreSQL and Redis (test/services), within
// the CI time limit; with -soak they repeat each fault for -soak.duration.
package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Stalled is a TCP listener on a loopback port that accepts every
// connection and never reads or writes: a hung LDAP directory, CRL
// distribution point, OCSP responder or back-channel logout endpoint.
type Stalled struct {
	// Addr is its host:port; URL is http://Addr.
	Addr, URL string
	// Accepted counts the connections accepted so far.
	Accepted atomic.Int64

	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// NewStalled starts a stalled listener; Close stops it.
func NewStalled() (*Stalled, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Stalled{Addr: ln.Addr().String(), ln: ln}
	s.URL = "http://" + s.Addr
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.Accepted.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c) // held open, never read or written
			s.mu.Unlock()
		}
	}()
	return s, nil
}

// Close stops listening and closes every connection held.
func (s *Stalled) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
	return err
}

// Signal sends sig to the process pid.
func Signal(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return fmt.Errorf("signal %v: no process (pid %d)", sig, pid)
	}
	return syscall.Kill(pid, sig)
}

// Freeze stops the process pid and every process under it with SIGSTOP:
// a server that keeps its connections open and answers nothing, as a
// paused virtual machine or a hung disk makes it. The parent first, so that
// it starts no new process meanwhile; then its descendants (PostgreSQL's
// backends each lead a session of their own, so a signal to the
// postmaster's process group would not reach them).
func Freeze(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("freeze: no process (pid %d)", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	for _, p := range Descendants(pid) {
		_ = syscall.Kill(p, syscall.SIGSTOP) // one may have exited meanwhile
	}
	return nil
}

// Thaw continues the process pid and every process under it (Freeze).
func Thaw(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("thaw: no process (pid %d)", pid)
	}
	for _, p := range Descendants(pid) {
		_ = syscall.Kill(p, syscall.SIGCONT)
	}
	return syscall.Kill(pid, syscall.SIGCONT)
}

// Descendants returns the ids of every process under pid (read from /proc).
func Descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(stat)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], id)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// WaitGone waits until the process pid no longer exists (its parent reaped
// it), at most within.
func WaitGone(pid int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still exists after %s", pid, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ErrMountRefused reports that this process may not mount a file system
// (not root, or a container without CAP_SYS_ADMIN).
var ErrMountRefused = errors.New("mounting a tmpfs is not permitted here")

// MountTmpfs mounts a tmpfs of sizeMiB MiB at dir (created when missing);
// the returned function unmounts it. ErrMountRefused wraps a refusal.
func MountTmpfs(dir string, sizeMiB int) (unmount func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm,mode=0755", sizeMiB), "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if os.Geteuid() != 0 || strings.Contains(msg, "permission denied") || strings.Contains(msg, "must be superuser") ||
			strings.Contains(msg, "not permitted") {
			return nil, fmt.Errorf("%w: mount -t tmpfs: %v: %s", ErrMountRefused, err, msg)
		}
		return nil, fmt.Errorf("mount -t tmpfs at %s: %v: %s", dir, err, msg)
	}
	return func() error {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			return fmt.Errorf("umount %s: %v: %s", dir, err, out)
		}
		return nil
	}, nil
}

// Fill writes the file path in 64 KiB chunks until the file system is full
// (ENOSPC) and returns the bytes written; removing the file frees them.
func Fill(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			// The last partial blocks: fill them byte by byte.
			for {
				w, err := f.Write(buf[:512])
				n += int64(w)
				if err != nil {
					break
				}
			}
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("filling %s: %w", filepath.Base(path), err)
		}
	}
}

// Classes of a client-visible answer, as Class names them.
const (
	ClassOK          = "ok"         // the request did what it asked
	ClassUnavailable = "503"        // 503, the truthful answer during an outage
	Class5xx         = "5xx"        // another server error: a defect during an outage
	Class4xx         = "4xx"        // a refusal a client takes as final
	ClassTransport   = "transport"  // no HTTP answer: refused, reset or timed out
	ClassOther       = "unexpected" // a 1xx or 3xx where none was expected
)

// Class sorts the outcome of one request: err is a transport failure (no
// answer), otherwise status is the answer's.
func Class(status int, err error) string {
	switch {
	case err != nil:
		return ClassTransport
	case status >= 200 && status < 300:
		return ClassOK
	case status == 503:
		return ClassUnavailable
	case status >= 500:
		return Class5xx
	case status >= 400:
		return Class4xx
	default:
		return ClassOther
	}
}

// Tally counts answers by class; safe for concurrent use.
type Tally struct {
	mu     sync.Mutex
	counts map[string]int
	// examples keeps the first answer of each class other than ok and 503.
	examples map[string]string
}

// Add counts one answer of the class; example describes it (kept for the
// first answer of an unexpected class).
func (t *Tally) Add(class, example string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts, t.examples = map[string]int{}, map[string]string{}
	}
	t.counts[class]++
	if _, ok := t.examples[class]; !ok && class != ClassOK {
		t.examples[class] = example
	}
}

// Count returns the answers of the class so far.
func (t *Tally) Count(class string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[class]
}

// Example returns the first answer counted in the class ("" when none).
func (t *Tally) Example(class string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.examples[class]
}

// String lists the counts by class, in a stable order.
func (t *Tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for c, n := range t.counts {
		parts = append(parts, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// Until calls check every interval from now until it returns nil and
// returns how long that took: the recovery time. It gives up after within,
// returning the last error.
func Until(ctx context.Context, within, interval time.Duration, check func(ctx context.Context) error) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(within)
	for {
		err := check(ctx)
		if err == nil {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return time.Since(start), fmt.Errorf("not within %s: %w", within, err)
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(interval):
		}
	}
}

// Ledger records the writes a server acknowledged, by key (a refresh
// chain, an account, a consent), each with the value that proves it (the
// latest refresh token of a chain); after recovery every entry must still
// be there. Safe for concurrent use.
type Ledger struct {
	mu      sync.Mutex
	entries map[string]string
	acks    int
}

// Ack records that the server acknowledged the write of value under key,
// replacing what the key held.
func (l *Ledger) Ack(key, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		l.entries = map[string]string{}
	}
	l.entries[key] = value
	l.acks++
}

// Latest returns the value last acknowledged under key.
func (l *Ledger) Latest(key string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.entries[key]
	return v, ok
}

// Acks returns how many writes were acknowledged in all.
func (l *Ledger) Acks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acks
}

// Verify calls present for every key's latest value and returns the
// failures, one line each ("" when every acknowledged write is there).
func (l *Ledger) Verify(present func(key, value string) error) []string {
	l.mu.Lock()
	keys := make([]string, 0, len(l.entries))
	for k := range l.entries {
		keys = append(keys, k)
	}
	entries := make(map[string]string, len(l.entries))
	for k, v := range l.entries {
		entries[k] = v
	}
	l.mu.Unlock()
	sort.Strings(keys)
	var lost []string
	for _, k := range keys {
		if err := present(k, entries[k]); err != nil {
			lost = append(lost, fmt.Sprintf("%s: %v", k, err))
		}
	}
	return lost
}
