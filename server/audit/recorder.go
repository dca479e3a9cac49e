package audit

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Appender is where records are written: store.Audit (the durable store)
// implements it.
type Appender interface {
	AppendAudit(ctx context.Context, e *store.AuditEvent) error
}

// Entry is one record to write.
type Entry struct {
	Event Event
	// Actor is who acted: the subject for a person's own action, "cli",
	// "directory" or an administrator for administration, "anonymous"
	// before anyone is known. It is written as given.
	Actor string
	// Subject is the account concerned, if any.
	Subject  string
	ClientID string
	// Address is the client address of the request, if there was one.
	Address string
	Details map[string]string
}

// Recorder writes the audit log. Build it with NewRecorder: its methods
// panic on a nil or zero Recorder rather than lose records.
type Recorder struct {
	appender Appender
	log      *slog.Logger
	streams  []Streamer
}

// Option configures a Recorder.
type Option func(*Recorder)

// WithStream makes the Recorder hand every event to s after writing it
// (whether or not the write succeeded: a stream is a second copy), with the
// ID and hashes the store gave it.
func WithStream(s Streamer) Option {
	return func(r *Recorder) {
		if s != nil {
			r.streams = append(r.streams, s)
		}
	}
}

// NewRecorder returns a Recorder that writes to a and logs a failed write to
// log. It panics when either is nil.
func NewRecorder(a Appender, log *slog.Logger, opts ...Option) *Recorder {
	if a == nil || log == nil {
		panic("audit: NewRecorder needs an Appender and a logger")
	}
	r := &Recorder{appender: a, log: log}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Record writes one record, stamped with the current time by the store. A
// failed write is logged every time, with the event and subject, and
// returned: the caller decides whether the action it records still stands.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	if r == nil || r.appender == nil {
		panic("audit: Record on a Recorder not built by NewRecorder")
	}
	ev := &store.AuditEvent{Type: string(e.Event), Actor: e.Actor, Subject: e.Subject,
		ClientID: e.ClientID, Address: e.Address, Details: e.Details}
	err := r.appender.AppendAudit(ctx, ev)
	for _, s := range r.streams {
		s.Stream(ev)
	}
	if err != nil {
		r.log.ErrorContext(ctx, "audit write failed", "event", string(e.Event), "subject", e.Subject,
			"client_id", e.ClientID, "err", err)
	}
	return err
}

// FromRequest records ev for a request: the address is the request's client
// address (web.ClientAddress) and the actor is the subject, or "anonymous"
// when there is none. A failed write is logged by Record; the request goes on.
func (r *Recorder) FromRequest(req *http.Request, ev Event, subject, clientID string, details map[string]string) {
	actor := subject
	if actor == "" {
		actor = Anonymous
	}
	_ = r.Record(req.Context(), Entry{Event: ev, Actor: actor, Subject: subject, ClientID: clientID,
		Address: web.ClientAddress(req), Details: details})
}

// Anonymous is the actor of a request made before anyone is known.
const Anonymous = "anonymous"
