package audit_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// sample is an event with every field set, and values that need escaping.
func sample() *store.AuditEvent {
	return &store.AuditEvent{ID: 42, Time: time.Date(2025, 3, 4, 5, 6, 7, 891_000_000, time.UTC), Type: "login.failure",
		Actor: "anonymous", Subject: "acct-1", ClientID: "portal", Address: "203.0.113.7", PrevHash: "ab", Hash: "cd",
		Details: map[string]string{"reason": `bad "password"] \ x`, "method": "password", "ghi chú=]": "Đà Nẵng"}}
}

// wantSample is sample() as an RFC 5424 message from host "idp-1", app
// "dinhdanh", process 7, facility 13 (log audit), severity 4 (a failure).
const wantSample = `<108>1 2025-03-04T05:06:07.891Z idp-1 dinhdanh 7 login.failure ` +
	`[audit@32473 id="42" actor="anonymous" subject="acct-1" client_id="portal" address="203.0.113.7" prev_hash="ab" hash="cd"]` +
	`[details@32473 ghi_ch____="Đà Nẵng" method="password" reason="bad \"password\"\] \\ x"]`

func TestFormatRFC5424(t *testing.T) {
	got := string(audit.FormatRFC5424(sample(), 13, "idp-1", "dinhdanh", "7"))
	// "ghi chú=]" keeps what an SD-NAME allows: the space, "=" and "]" become
	// "_" and so do the two bytes of "ú".
	want := wantSample
	if got != want {
		t.Fatalf("FormatRFC5424 =\n%s\nwant\n%s", got, want)
	}
	// A success is a notice (severity 5); empty fields are left out; a
	// header field keeps printable ASCII.
	e := &store.AuditEvent{Time: sample().Time, Type: "client.create", Actor: "cli"}
	if got := string(audit.FormatRFC5424(e, 10, "", "app name", "1")); got !=
		`<85>1 2025-03-04T05:06:07.891Z - app_name 1 client.create [audit@32473 actor="cli"]` {
		t.Fatalf("FormatRFC5424(success) = %s", got)
	}
}

func wantMessage(t *testing.T, got string) {
	t.Helper()
	want := string(audit.FormatRFC5424(sample(), 13, "idp-1", "dinhdanh", strconv.Itoa(pid())))
	if got != want {
		t.Fatalf("received\n%q\nwant\n%q", got, want)
	}
	if !strings.HasPrefix(got, "<108>1 2025-03-04T05:06:07.891Z idp-1 dinhdanh ") || !strings.Contains(got, `[audit@32473 id="42"`) {
		t.Fatalf("received %q", got)
	}
}

func TestSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := audit.NewSyslog(audit.SyslogOptions{Network: "udp", Address: pc.LocalAddr().String(), Facility: 13, Hostname: "idp-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	s.Stream(sample())
	buf := make([]byte, 64<<10)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	wantMessage(t, string(buf[:n]))
}

func TestSyslogTCPOctetCounting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := audit.NewSyslog(audit.SyslogOptions{Network: "tcp", Address: ln.Addr().String(), Facility: 13, Hostname: "idp-1"})
	if err != nil {
		t.Fatal(err)
	}
	s.Stream(sample())
	s.Stream(sample())
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for range 2 {
		l, err := r.ReadString(' ')
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSuffix(l, " "))
		if err != nil {
			t.Fatalf("frame length %q: %v", l, err)
		}
		msg := make([]byte, n)
		if _, err := io.ReadFull(r, msg); err != nil {
			t.Fatal(err)
		}
		wantMessage(t, string(msg))
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Sent() != 2 || s.Dropped() != 0 {
		t.Fatalf("sent %d, dropped %d", s.Sent(), s.Dropped())
	}
}

// TestSyslogNeverBlocks streams to a collector that accepts no connection:
// Stream returns at once, the bounded queue fills and the rest is counted
// as dropped.
func TestSyslogNeverBlocks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s, err := audit.NewSyslog(audit.SyslogOptions{Network: "tcp", Address: addr, QueueSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 100 {
		s.Stream(sample())
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 Stream calls took %v", d)
	}
	if s.Dropped() < 95 {
		t.Fatalf("dropped %d of 100 with a queue of 4", s.Dropped())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = s.Close(ctx)
	if s.Dropped() != 100 || s.Sent() != 0 {
		t.Fatalf("after Close: dropped %d, sent %d; want all 100 dropped", s.Dropped(), s.Sent())
	}
	s.Stream(sample()) // after Close: dropped, no panic
	if s.Dropped() != 101 {
		t.Fatalf("Stream after Close: dropped %d", s.Dropped())
	}
}

// TestRecorderStreams checks that the Recorder streams each event with the
// ID and hash the store gave it.
func TestRecorderStreams(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s, err := audit.NewSyslog(audit.SyslogOptions{Network: "udp", Address: pc.LocalAddr().String(), Facility: 13})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	db := openDB(t)
	log, _ := jsonLog()
	rec := audit.NewRecorder(db, log, audit.WithStream(s))
	if err := rec.Record(t.Context(), audit.Entry{Event: audit.AccountUnlock, Actor: "cli", Subject: "acct-9"}); err != nil {
		t.Fatal(err)
	}
	stored, err := db.SearchAudit(t.Context(), store.AuditFilter{})
	if err != nil || len(stored) != 1 {
		t.Fatal(stored, err)
	}
	buf := make([]byte, 64<<10)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	if !strings.Contains(got, ` account.unlock [audit@32473 id="`+strconv.FormatInt(stored[0].ID, 10)+`" actor="cli" subject="acct-9" hash="`+stored[0].Hash+`"]`) {
		t.Fatalf("streamed %q, stored %+v", got, stored[0])
	}
}

func TestNewSyslogRefusesBadOptions(t *testing.T) {
	for _, o := range []audit.SyslogOptions{
		{Network: "http", Address: "127.0.0.1:514"},
		{Network: "udp", Address: "no-port"},
		{Network: "udp", Address: "127.0.0.1:514", Facility: 24},
	} {
		if s, err := audit.NewSyslog(o); err == nil {
			s.Close(context.Background())
			t.Errorf("NewSyslog(%+v) accepted", o)
		}
	}
}

func pid() int { return os.Getpid() }
