package app

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestConnLimitIsSharedAndReleased: two listeners under one cap of 1 accept
// one connection between them; closing it frees the slot for the other, and
// closing a listener ends an Accept waiting for a slot.
func TestConnLimitIsSharedAndReleased(t *testing.T) {
	lim := NewConnLimit(1)
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return lim.Listener(ln)
	}
	a, b := listen(), listen()
	defer a.Close()
	for _, ln := range []net.Listener{a, b} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := a.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := b.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	select {
	case <-accepted:
		t.Fatal("the second listener accepted a connection while the shared cap of 1 was held")
	case <-time.After(200 * time.Millisecond):
	}
	if lim.Open() != 1 {
		t.Errorf("Open() = %d, want 1", lim.Open())
	}
	first.Close()
	first.Close() // a second Close gives nothing back twice
	var second net.Conn
	select {
	case second = <-accepted:
	case <-time.After(2 * time.Second):
		t.Fatal("the slot was not freed when the connection closed")
	}
	if lim.Open() != 1 {
		t.Errorf("Open() = %d after one close and one accept, want 1", lim.Open())
	}
	// The cap is held again: an Accept on a waits, until a is closed.
	done := make(chan error, 1)
	go func() { _, err := a.Accept(); done <- err }()
	time.Sleep(100 * time.Millisecond)
	a.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept waiting for a slot returned %v after Close, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("closing the listener did not end an Accept waiting for a slot")
	}
	second.Close()
	b.Close()
	if lim.Open() != 0 {
		t.Errorf("Open() = %d after every connection closed, want 0", lim.Open())
	}
}
