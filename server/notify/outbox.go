package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
)

// Message is one email or SMS as its sender sees it, in plain text.
type Message struct {
	Channel string // store.ChannelEmail or store.ChannelSMS
	To      string // an email address, or a phone number in E.164 ("+84…")
	Subject string // the subject of an email; ignored for an SMS
	Text    string // the body, plain text
	// Kind says what the message is for operators ("register_taken").
	Kind string
}

// Sender sends messages of one channel. An error is a failed attempt, to
// be retried, unless Permanent reports it permanent.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func permanent(err error) error { return permanentError{err} }

// Permanent reports whether err says that retrying cannot help (an SMTP
// 5xx answer to the recipient, a malformed address or template).
func Permanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Reasons a message is kept as failed without an attempt.
const (
	ReasonNoMail = "no SMTP server is configured (mail.host)"
	ReasonNoSMS  = "no SMS gateway is configured (sms.url)"
)

// Options tune an Outbox; zero values take the defaults of config.Outbox.
type Options struct {
	MaxAttempts  int           // default 8
	MinBackoff   time.Duration // default 10s
	MaxBackoff   time.Duration // default 30m
	Concurrency  int           // default 4
	SendTimeout  time.Duration // default 1m
	PollInterval time.Duration // default 1s
	// Lease is how long a claimed batch is held before another node may
	// claim it; renewed every third of it while the batch is sent. Default:
	// SendTimeout plus 30s.
	Lease time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 10 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Minute, o.MinBackoff)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = o.SendTimeout + 30*time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Outbox enqueues messages durably and sends them (see the package
// documentation). Build it with NewOutbox.
type Outbox struct {
	store   store.Outbox
	sealer  *keys.Sealer
	senders map[string]Sender
	opts    Options
	log     *slog.Logger
	stats   map[string]*channelStats
}

type channelStats struct{ queued, sent, retried, failed atomic.Int64 }

// NewOutbox returns an outbox over st that seals bodies with sealer and
// sends each channel through senders[channel]; a channel without a sender
// (nil or absent) keeps its messages as failed. log nil discards.
func NewOutbox(st store.Outbox, sealer *keys.Sealer, senders map[string]Sender, opts Options, log *slog.Logger) *Outbox {
	opts.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := map[string]Sender{}
	for ch, snd := range senders {
		if snd != nil {
			s[ch] = snd
		}
	}
	return &Outbox{store: st, sealer: sealer, senders: s, opts: opts, log: log,
		stats: map[string]*channelStats{store.ChannelEmail: {}, store.ChannelSMS: {}}}
}

// sealContext binds a sealed body to its channel and recipient, so that a
// body cannot be moved to another message's row and sent elsewhere.
func sealContext(channel, to string) []byte {
	return []byte("dinhdanh outbox\x00" + channel + "\x00" + to)
}

// Enqueue stores m, its body sealed, and returns its id once it is
// committed. A channel with no sender stores it as failed (ReasonNoMail,
// ReasonNoSMS) and logs a warning: it is kept for operators, not dropped.
func (o *Outbox) Enqueue(ctx context.Context, m Message) (int64, error) {
	st, ok := o.stats[m.Channel]
	if !ok {
		return 0, fmt.Errorf("notify: unknown channel %q", m.Channel)
	}
	if m.To == "" {
		return 0, errors.New("notify: a message needs a recipient")
	}
	if o.sealer == nil {
		return 0, errors.New("notify: no seal key to seal the message")
	}
	body, err := o.sealer.Seal([]byte(m.Text), sealContext(m.Channel, m.To))
	if err != nil {
		return 0, err
	}
	row := &store.Message{Channel: m.Channel, Recipient: m.To, Subject: m.Subject, Body: body, Kind: m.Kind}
	if _, ok := o.senders[m.Channel]; !ok {
		row.Status, row.LastError = store.MessageFailed, noSenderReason(m.Channel)
	}
	if err := o.store.EnqueueMessage(ctx, row); err != nil {
		return 0, err
	}
	st.queued.Add(1)
	if row.Status == store.MessageFailed {
		st.failed.Add(1)
		o.log.Warn("a message was kept as failed: its channel is not configured", "id", row.ID, "channel", m.Channel,
			"kind", m.Kind, "reason", row.LastError)
	}
	return row.ID, nil
}

func noSenderReason(channel string) string {
	if channel == store.ChannelSMS {
		return ReasonNoSMS
	}
	return ReasonNoMail
}

// backoff returns the delay after n failed attempts: MinBackoff doubled
// n-1 times, at most MaxBackoff.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.opts.MinBackoff
	for i := 1; i < n && d < o.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.opts.MaxBackoff)
}

// Work works the queue once: it claims due messages (a batch of a few
// times Concurrency), sends them at most Concurrency at a time, each within
// SendTimeout, and records each outcome under the claim, which is renewed
// while the batch is sent. It returns how many it claimed.
func (o *Outbox) Work(ctx context.Context) (int, error) {
	lease := o.opts.Lease
	ms, err := o.store.ClaimMessages(ctx, o.opts.Now(), lease, 4*o.opts.Concurrency)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	renewing, stopRenewing := context.WithCancel(ctx)
	var renewer sync.WaitGroup
	renewer.Go(func() { o.renew(renewing, ms[0].Claim, lease) })
	slots := make(chan struct{}, o.opts.Concurrency)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, m := range ms {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := o.attempt(ctx, m); err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stopRenewing()
	renewer.Wait()
	return len(ms), firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// renew keeps the batch's claim until ctx ends.
func (o *Outbox) renew(ctx context.Context, claim string, lease time.Duration) {
	t := time.NewTicker(max(lease/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := o.store.RenewMessageClaim(ctx, claim, o.opts.Now().Add(lease)); err != nil && ctx.Err() == nil {
				o.log.Warn("renewing the claim of outgoing messages", "err", err)
			}
		}
	}
}

// attempt sends one claimed message and records the outcome.
func (o *Outbox) attempt(ctx context.Context, m *store.Message) error {
	st := o.stats[m.Channel]
	if st == nil {
		st = &channelStats{}
	}
	err := o.send(ctx, m)
	m.Attempts++
	now := o.opts.Now()
	switch {
	case err == nil:
		m.Status, m.LastError, m.SentAt = store.MessageSent, "", now
		st.sent.Add(1)
		o.log.Info("message sent", "id", m.ID, "channel", m.Channel, "kind", m.Kind, "attempts", m.Attempts)
	case Permanent(err) || m.Attempts >= o.opts.MaxAttempts:
		m.Status, m.LastError = store.MessageFailed, truncate(err.Error())
		st.failed.Add(1)
		o.log.Warn("message given up", "id", m.ID, "channel", m.Channel, "kind", m.Kind, "attempts", m.Attempts, "err", err)
	default:
		m.LastError, m.NextAttemptAt = truncate(err.Error()), now.Add(o.backoff(m.Attempts))
		st.retried.Add(1)
		o.log.Info("message will be retried", "id", m.ID, "channel", m.Channel, "attempts", m.Attempts,
			"next", m.NextAttemptAt, "err", err)
	}
	ferr := o.store.FinishMessage(context.WithoutCancel(ctx), m)
	if errors.Is(ferr, store.ErrChanged) {
		o.log.Warn("message outcome not recorded: the claim was lost", "id", m.ID)
		return nil
	}
	return ferr
}

// send opens the body and hands the message to its channel's sender,
// within SendTimeout.
func (o *Outbox) send(ctx context.Context, m *store.Message) error {
	snd, ok := o.senders[m.Channel]
	if !ok {
		return permanent(errors.New(noSenderReason(m.Channel)))
	}
	if o.sealer == nil {
		return errors.New("no seal key to open the message")
	}
	text, err := o.sealer.Open(m.Body, sealContext(m.Channel, m.Recipient))
	if err != nil {
		return permanent(fmt.Errorf("the body cannot be opened: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, o.opts.SendTimeout)
	defer cancel()
	return snd.Send(ctx, &Message{Channel: m.Channel, To: m.Recipient, Subject: m.Subject, Text: string(text), Kind: m.Kind})
}

func truncate(s string) string {
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// Run works the queue every PollInterval until ctx ends, as long as each
// pass finds work.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				n, err := o.Work(ctx)
				if err != nil {
					if ctx.Err() == nil {
						o.log.Warn("outbox", "err", err)
					}
					break
				}
				if n == 0 {
					break
				}
			}
		}
	}
}

// Stats are this node's counters of one channel since start.
type Stats struct{ Queued, Sent, Retried, Failed int64 }

// Stats returns this node's counters by channel.
func (o *Outbox) Stats() map[string]Stats {
	out := map[string]Stats{}
	for ch, s := range o.stats {
		out[ch] = Stats{Queued: s.queued.Load(), Sent: s.sent.Load(), Retried: s.retried.Load(), Failed: s.failed.Load()}
	}
	return out
}

// WriteMetrics writes the outbox's metrics in the Prometheus text format:
// counts is the queue's depth by status (store.Outbox.CountMessages).
func (o *Outbox) WriteMetrics(w io.Writer, counts map[string]int64) {
	fmt.Fprintln(w, "# HELP dinhdanh_outbox_messages Emails and SMS in the durable outbox, by status.")
	fmt.Fprintln(w, "# TYPE dinhdanh_outbox_messages gauge")
	for _, s := range []string{store.MessagePending, store.MessageSent, store.MessageFailed} {
		fmt.Fprintf(w, "dinhdanh_outbox_messages{status=%q} %d\n", s, counts[s])
	}
	stats := o.Stats()
	for _, c := range []struct{ name, help string }{
		{"queued", "Messages this node enqueued"},
		{"sent", "Messages this node sent"},
		{"retries", "Failed attempts this node will retry"},
		{"failed", "Messages this node gave up (or kept as failed: channel not configured)"},
	} {
		fmt.Fprintf(w, "# HELP dinhdanh_outbox_%s_total %s, by channel.\n", c.name, c.help)
		fmt.Fprintf(w, "# TYPE dinhdanh_outbox_%s_total counter\n", c.name)
		for _, ch := range []string{store.ChannelEmail, store.ChannelSMS} {
			s := stats[ch]
			v := map[string]int64{"queued": s.Queued, "sent": s.Sent, "retries": s.Retried, "failed": s.Failed}[c.name]
			fmt.Fprintf(w, "dinhdanh_outbox_%s_total{channel=%q} %d\n", c.name, ch, v)
		}
	}
}
