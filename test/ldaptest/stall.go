package ldaptest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Stalled is a TCP listener standing in for an LDAP server that hangs: it
// accepts every connection and never answers (a stalled server, a firewall
// that drops replies). Forward turns it into a working server at the same
// address: new connections are relayed to another server.
type Stalled struct {
	// URL is "ldap://127.0.0.1:port".
	URL string
	ln  net.Listener

	mu       sync.Mutex
	forward  string // "": stall
	open     map[net.Conn]struct{}
	accepted int
}

// Stall starts a stalled server, closed (with every connection it holds)
// when the test ends.
func Stall(t testing.TB) *Stalled {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Stalled{URL: "ldap://" + ln.Addr().String(), ln: ln, open: map[net.Conn]struct{}{}}
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

func (s *Stalled) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.accepted++
		s.open[c] = struct{}{}
		to := s.forward
		s.mu.Unlock()
		go s.handle(c, to)
	}
}

// handle holds c, reading and discarding what the client sends, until the
// client closes it; or relays it to the server at to.
func (s *Stalled) handle(c net.Conn, to string) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
	}()
	if to == "" {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	up, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer up.Close()
	go func() {
		_, _ = io.Copy(up, c)
		up.Close()
	}()
	_, _ = io.Copy(c, up)
}

// Forward makes the server work: connections accepted from now on are
// relayed to the LDAP server at url ("ldap://host:port"). Connections
// already held stay stalled.
func (s *Stalled) Forward(url string) {
	s.mu.Lock()
	s.forward = url[len("ldap://"):]
	s.mu.Unlock()
}

// Accepted returns how many connections the server accepted.
func (s *Stalled) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Open returns how many accepted connections the clients have not closed.
func (s *Stalled) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Close stops listening and closes every connection.
func (s *Stalled) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
}
