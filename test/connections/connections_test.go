// Package connections tests what a node spends on connections: the cap of
// server.max_connections and the read-header and idle timeouts, with real
// sockets against the real binary.
package connections

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.RunTests(m)) }

// halfHeader is the start of a request whose header never ends.
const halfHeader = "GET /health/live HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow\r\n"

// stall opens n connections that each send half a request header and then
// say nothing more. It returns the connections and a channel that receives,
// for each, how long after start the server closed it.
func stall(t *testing.T, addr string, n int, start time.Time) ([]net.Conn, <-chan time.Duration) {
	t.Helper()
	closed := make(chan time.Duration, n)
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		// Written into the socket's buffer whether or not the server has
		// accepted the connection yet.
		if _, err := io.WriteString(c, halfHeader); err != nil {
			t.Fatalf("connection %d: writing half a header: %v", i, err)
		}
		go func() {
			_, _ = io.Copy(io.Discard, c) // until the server closes it
			closed <- time.Since(start)
		}()
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns, closed
}

// waitClosed waits until n connections are closed by the server, at most
// until within after start, and returns the latest close.
func waitClosed(t *testing.T, closed <-chan time.Duration, n int, start time.Time, within time.Duration) time.Duration {
	t.Helper()
	var last time.Duration
	deadline := time.After(within - time.Since(start))
	for i := 0; i < n; i++ {
		select {
		case d := <-closed:
			last = max(last, d)
		case <-deadline:
			t.Fatalf("%d of %d stalled connections still open %s after they were opened", n-i, n, within)
		}
	}
	return last
}

// timedGet sends GET /health/live on a new connection and returns its status
// and how long the answer took.
func timedGet(t *testing.T, srv *harness.Server) (int, time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	resp, err := client.Get(srv.URL("/health/live"))
	if err != nil {
		t.Fatalf("GET /health/live after %s: %v", time.Since(start), err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// TestSlowHeadersCannotHoldTheCap: with every slot of the cap held by a
// client that sent half a header, a new connection waits (the cap holds); the
// header timeout closes the stalled ones, the waiting request is then served,
// and the stalled connections that waited behind the cap are closed in turn.
func TestSlowHeadersCannotHoldTheCap(t *testing.T) {
	const capacity, headerTimeout = 16, time.Second
	srv := harness.Start(t,
		harness.WithEnv("DINHDANH_SERVER_MAX_CONNECTIONS", strconv.Itoa(capacity)),
		harness.WithEnv("DINHDANH_SERVER_READ_HEADER_TIMEOUT", headerTimeout.String()),
		harness.WithEnv("DINHDANH_SERVER_READ_TIMEOUT", "2s"))

	start := time.Now()
	_, closed := stall(t, srv.Addr, capacity+10, start)
	time.Sleep(200 * time.Millisecond)

	status, took := timedGet(t, srv)
	if status != http.StatusOK {
		t.Fatalf("GET /health/live behind the stalled connections: status %d, want 200", status)
	}
	// Asked 0.2 s after the stalled connections, answered once the header
	// timeout freed their slots (at 1 s).
	if took < 500*time.Millisecond {
		t.Errorf("a request beyond the cap of %d was answered in %s, while every slot was held by a stalled connection", capacity, took)
	}
	if took > headerTimeout+2*time.Second {
		t.Errorf("a request behind stalled connections took %s, want it answered within the header timeout (%s) and 2 s", took, headerTimeout)
	}
	// The first 16 close at 1 s, the 10 that waited behind the cap at 2 s.
	last := waitClosed(t, closed, capacity+10, start, 2*headerTimeout+2*time.Second)
	t.Logf("a request behind %d stalled connections: %s; the last stalled connection closed at %s", capacity+10, took, last)
}

// TestIdleKeepAliveConnectionsAreClosed: a keep-alive connection that sends
// no second request is closed after server.idle_timeout.
func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	const idle = time.Second
	srv := harness.Start(t, harness.WithEnv("DINHDANH_SERVER_IDLE_TIMEOUT", idle.String()))
	c, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first request: status %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	answered := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(idle + 3*time.Second))
	n, err := br.Read(make([]byte, 1))
	after := time.Since(answered)
	if n != 0 || err != io.EOF {
		t.Fatalf("idle keep-alive connection after %s: read %d bytes, %v; want the server to close it (EOF) after %s", after, n, err, idle)
	}
	if after < idle/2 || after > idle+2*time.Second {
		t.Errorf("idle keep-alive connection closed after %s, want about %s", after, idle)
	}
}

// TestStalledConnectionsCostBoundedMemory: 3,000 connections stalled in
// their header against a node with the default cap (2,048) hold at most the
// cap of the node's file descriptors, cost it a bounded amount of memory, and
// are all closed by the header timeout; a request behind them is served.
func TestStalledConnectionsCostBoundedMemory(t *testing.T) {
	const stalled, capacity, headerTimeout = 3000, 2048, 2 * time.Second
	srv := harness.Start(t, harness.WithEnv("DINHDANH_SERVER_READ_HEADER_TIMEOUT", headerTimeout.String()))
	pid := srv.PID()
	if status, _ := timedGet(t, srv); status != http.StatusOK {
		t.Fatalf("GET /health/live: %d", status)
	}
	rss0, fds0 := vmRSS(t, pid), openFiles(t, pid)

	start := time.Now()
	_, closed := stall(t, srv.Addr, stalled, start)
	var peakRSS, peakFDs int
	var mu sync.Mutex
	sample := func() {
		mu.Lock()
		defer mu.Unlock()
		peakRSS, peakFDs = max(peakRSS, vmRSS(t, pid)), max(peakFDs, openFiles(t, pid))
	}
	for time.Since(start) < headerTimeout-300*time.Millisecond {
		sample()
		time.Sleep(100 * time.Millisecond)
	}
	status, took := timedGet(t, srv)
	if status != http.StatusOK || took > headerTimeout+2*time.Second {
		t.Errorf("a request behind %d stalled connections: status %d after %s, want 200 within %s", stalled, status, took, headerTimeout+2*time.Second)
	}
	sample()
	last := waitClosed(t, closed, stalled, start, 2*headerTimeout+3*time.Second)

	growth := float64(peakRSS-rss0) / 1024 // MiB
	t.Logf("%d stalled connections (cap %d): RSS %d → %d KiB (+%.1f MiB), open files %d → %d; answered behind them in %s; last closed at %s",
		stalled, capacity, rss0, peakRSS, growth, fds0, peakFDs, took, last)
	if peakFDs > fds0+capacity+8 {
		t.Errorf("the node held %d files with %d stalled connections (%d before), more than the cap of %d connections", peakFDs, stalled, fds0, capacity)
	}
	// README "Sizing a deployment": a full cap costs about 25 MiB, well
	// under the 170 MB that a 512-MiB node has beyond 32 concurrent logins.
	if growth > 64 {
		t.Errorf("%d stalled connections grew the node's RSS by %.1f MiB, want at most 64", stalled, growth)
	}
}

// vmRSS returns the resident set of process pid in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// openFiles returns the number of open file descriptors of process pid.
func openFiles(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
