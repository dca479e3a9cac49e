package audit

import (
	"context"
	"crypto/tls"

	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// Streamer receives every event the Recorder writes, after the write, to
// send it elsewhere. Stream must not block.
type Streamer interface {
	Stream(e *store.AuditEvent)
}

// SDID is the structured-data ID of an event's fields in a syslog message;
// DetailsSDID is that of its details. 32473 is the private enterprise
// number that RFC 5612 reserves for documentation and examples.
const (
	SDID        = "audit@32473"
	DetailsSDID = "details@32473"
)

// Syslog facilities (RFC 5424, section 6.2.1) an operator may name.
var SyslogFacilities = map[string]int{
	"auth": 4, "authpriv": 10, "audit": 13,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// SyslogOptions configure a Syslog stream.
type SyslogOptions struct {
	// Network is "udp", "tcp" or "tcp+tls".
	Network string
	// Address is the collector's host:port.
	Address string
	// AppName is the APP-NAME of each message; "dinhdanh" when empty.
	AppName string
	// Facility is the facility number (0 to 23) of each message.
	Facility int
	// Hostname is the HOSTNAME of each message; os.Hostname() when empty.
	Hostname string
	// TLS configures tcp+tls; nil verifies the collector with the system's
	// roots and the host of Address.
	TLS *tls.Config
	// QueueSize is how many messages wait for the collector before new ones
	// are dropped (and counted); 1024 when 0.
	QueueSize int
	// Log receives connection failures (once per outage).
	Log *slog.Logger
}

// Syslog streams audit events to a syslog collector (a SIEM) as RFC 5424
// messages: TCP and TLS with octet-counting framing (RFC 6587, RFC 5425),
// UDP one message per datagram (RFC 5426). Stream never blocks the request
// that records an event: messages wait in a bounded queue, which one
// goroutine sends, reconnecting after a failure; when the queue is full a
// message is dropped and counted (Dropped).
type Syslog struct {
	o        SyslogOptions
	procID   string
	queue    chan []byte
	dropped  atomic.Uint64
	sent     atomic.Uint64
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	closing  sync.Once
	closeErr error
	mu       sync.RWMutex // held to send on queue, and to close it
	closed   bool
}

// NewSyslog checks o and starts the stream's sender. Close it to send what
// is queued and stop.
func NewSyslog(o SyslogOptions) (*Syslog, error) {
	switch o.Network {
	case "udp", "tcp", "tcp+tls":
	default:
		return nil, fmt.Errorf("audit syslog: network %q: use udp, tcp or tcp+tls", o.Network)
	}
	if _, _, err := net.SplitHostPort(o.Address); err != nil {
		return nil, fmt.Errorf("audit syslog: address %q: %w", o.Address, err)
	}
	if o.Facility < 0 || o.Facility > 23 {
		return nil, fmt.Errorf("audit syslog: facility %d is not between 0 and 23", o.Facility)
	}
	if o.AppName == "" {
		o.AppName = "dinhdanh"
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Syslog{o: o, procID: strconv.Itoa(os.Getpid()), queue: make(chan []byte, o.QueueSize), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

// Stream queues e as a message, or drops it when the queue is full.
func (s *Syslog) Stream(e *store.AuditEvent) {
	msg := FormatRFC5424(e, s.o.Facility, s.o.Hostname, s.o.AppName, s.procID)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped.Add(1)
		return
	}
	select {
	case s.queue <- msg:
	default:
		s.dropped.Add(1)
	}
}

// Dropped is the number of messages dropped because the queue was full.
func (s *Syslog) Dropped() uint64 { return s.dropped.Load() }

// Sent is the number of messages written to the collector.
func (s *Syslog) Sent() uint64 { return s.sent.Load() }

// Close sends what is queued until ctx ends, then stops the sender; what is
// left, and what is streamed afterwards, is counted as dropped.
func (s *Syslog) Close(ctx context.Context) error {
	s.closing.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
		select {
		case <-s.done:
		case <-ctx.Done():
			s.cancel()
			<-s.done
			s.closeErr = ctx.Err()
		}
		s.cancel()
	})
	return s.closeErr
}

func (s *Syslog) run() {
	defer close(s.done)
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	backoff, down := time.Second, false
	for msg := range s.queue {
		for {
			if s.ctx.Err() != nil {
				s.dropped.Add(uint64(1 + len(s.queue)))
				for range s.queue {
				}
				return
			}
			if conn == nil {
				c, err := s.dial()
				if err != nil {
					if !down {
						s.o.Log.Warn("audit syslog: cannot reach the collector", "address", s.o.Address, "err", err)
						down = true
					}
					select {
					case <-time.After(backoff):
					case <-s.ctx.Done():
					}
					backoff = min(2*backoff, 30*time.Second)
					continue
				}
				conn, backoff = c, time.Second
				if down {
					s.o.Log.Info("audit syslog: the collector is reachable again", "address", s.o.Address)
					down = false
				}
			}
			frame := msg
			if s.o.Network != "udp" {
				frame = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
			}
			_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(frame); err != nil {
				conn.Close()
				conn = nil
				if s.o.Network == "udp" {
					s.dropped.Add(1)
					break
				}
				continue
			}
			s.sent.Add(1)
			break
		}
	}
}

func (s *Syslog) dial() (net.Conn, error) {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	switch s.o.Network {
	case "tcp+tls":
		cfg := s.o.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		d := &tls.Dialer{Config: cfg}
		return d.DialContext(ctx, "tcp", s.o.Address)
	default:
		var d net.Dialer
		return d.DialContext(ctx, s.o.Network, s.o.Address)
	}
}

// Syslog severities used (RFC 5424, section 6.2.1).
const (
	severityWarning = 4
	severityNotice  = 5
)

// refusalWords mark an event type recorded at severity warning: the event
// is a failure or a refusal.
var refusalWords = []string{"failure", "refused", "locked", "disabled", "conflict", "regression", "unknown", "forced",
	"unavailable", "deny", "taken", "expired"}

// severity is warning for a failure or a refusal, notice otherwise.
func severity(typ string) int {
	for _, w := range refusalWords {
		if strings.Contains(typ, w) {
			return severityWarning
		}
	}
	return severityNotice
}

// FormatRFC5424 returns e as an RFC 5424 message, without framing:
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [audit@32473 …][details@32473 …]
//
// PRI is facility×8 plus the severity (warning for a failure or refusal,
// notice otherwise); TIMESTAMP is the event's time in UTC to the
// millisecond; MSGID is the event type. The structured element SDID holds
// the event's id, actor, subject, client_id, address, prev_hash and hash
// (those not empty); DetailsSDID holds its details, if any, sorted by name.
// Header fields keep printable ASCII only (others become "_") within their
// maximum lengths; parameter names keep what an SD-NAME allows; values are
// UTF-8 with '"', '\' and ']' escaped by a backslash.
func FormatRFC5424(e *store.AuditEvent, facility int, hostname, appName, procID string) []byte {
	var b strings.Builder
	b.WriteString("<" + strconv.Itoa(facility*8+severity(e.Type)) + ">1 ")
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.UTC().Format("2006-01-02T15:04:05.000Z"))
	for _, f := range []struct {
		v string
		n int
	}{{hostname, 255}, {appName, 48}, {procID, 128}, {e.Type, 32}} {
		b.WriteByte(' ')
		b.WriteString(headerField(f.v, f.n))
	}
	b.WriteString(" [" + SDID)
	param := func(name, v string) {
		if v != "" {
			b.WriteString(" " + sdName(name) + `="` + sdValue(v) + `"`)
		}
	}
	if e.ID != 0 {
		param("id", strconv.FormatInt(e.ID, 10))
	}
	param("actor", e.Actor)
	param("subject", e.Subject)
	param("client_id", e.ClientID)
	param("address", e.Address)
	param("prev_hash", e.PrevHash)
	param("hash", e.Hash)
	b.WriteByte(']')
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("[" + DetailsSDID)
		for _, k := range keys {
			b.WriteString(" " + sdName(k) + `="` + sdValue(e.Details[k]) + `"`)
		}
		b.WriteByte(']')
	}
	return []byte(b.String())
}

// headerField keeps the printable ASCII of v (others become "_"), at most
// n bytes; "-" (the nil value) when v is empty.
func headerField(v string, n int) string {
	if v == "" {
		return "-"
	}
	out := []byte(v)
	for i, c := range out {
		if c < 33 || c > 126 {
			out[i] = '_'
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	return string(out)
}

// sdName keeps what an SD-NAME allows: printable ASCII except '=', ' ',
// ']' and '"' (others become "_"), at most 32 bytes.
func sdName(v string) string {
	out := []byte(headerField(v, 32))
	for i, c := range out {
		if c == '=' || c == ']' || c == '"' {
			out[i] = '_'
		}
	}
	return string(out)
}

// sdValue escapes '"', '\' and ']' with a backslash (RFC 5424, section
// 6.3.3) in valid UTF-8.
func sdValue(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(v)
}
