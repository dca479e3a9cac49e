package harness

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Restart stops the server the way an operator's restart or a deployment
// does (SIGTERM, waiting for a clean exit; a server ended by Kill is simply
// started again) and starts a new process with the same environment, data
// directory and address, waiting until it is ready. The issuer stays the
// same, so clients, tokens and cookies issued before stay meaningful. The
// new process is stopped when the test ends, like the first one; its
// output follows the earlier output in Log.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.inproc != nil {
		s.inproc.restart(t)
		return
	}
	select {
	case <-s.proc.done:
	default:
		_ = s.proc.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.proc.done:
			if s.proc.werr != nil {
				t.Errorf("dinhdanh serve exited with %v after SIGTERM", s.proc.werr)
			}
		case <-time.After(StopTimeout):
			s.kill()
			t.Errorf("dinhdanh serve did not exit within %s of SIGTERM; killed", StopTimeout)
		}
	}
	s.proc.killed = false
	var err error
	// The port was this server's a moment ago; another process may hold it
	// briefly (a test's listener being assigned it), so try a few times.
	for attempt := 0; attempt < 20; attempt++ {
		fmt.Fprintf(s.log, "\n--- dinhdanh serve restarted by the test (attempt %d) ---\n", attempt+1)
		s.proc.logFrom = len(s.log.String())
		s.proc.done, s.proc.werr = make(chan struct{}), nil
		if err = s.start(); err == nil {
			return
		}
		if !strings.Contains(s.log.String()[s.proc.logFrom:], "address already in use") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("restarting dinhdanh serve on %s: %v", s.Addr, err)
}
