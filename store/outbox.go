package store

import (
	"context"
	"time"
)

// Message channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Message states.
const (
	MessagePending = "pending"
	MessageSent    = "sent"
	MessageFailed  = "failed"
)

// Message is one email or SMS in the durable outbox. The store keeps Body
// as the bytes it is given: the layer above seals it (it may hold a
// one-time code), the store never reads it.
type Message struct {
	ID        int64
	Channel   string // ChannelEmail or ChannelSMS
	Recipient string // an email address or a phone number (E.164)
	Subject   string // the subject of an email; "" for an SMS
	Body      []byte // sealed by the caller
	// Kind says what the message is for operators ("register_taken", …).
	Kind          string
	Status        string // MessagePending, MessageSent or MessageFailed
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        time.Time // zero until sent
	// Claim names the claim that returned the message (ClaimMessages): only
	// its holder records the outcome (FinishMessage) or renews it.
	Claim string
}

// Outbox is the durable queue of outgoing emails and SMS: a message
// enqueued survives restarts, and several nodes work the queue without
// sending one message twice at once (the claim/lease of LogoutQueue).
type Outbox interface {
	// EnqueueMessage inserts m: its ID, CreatedAt and UpdatedAt are set;
	// Status is kept when it is MessageFailed (a message that can never be
	// sent, kept for operators) and is MessagePending otherwise; a zero
	// NextAttemptAt means due at once. Attempts starts at m.Attempts.
	EnqueueMessage(ctx context.Context, m *Message) error
	// ClaimMessages returns up to limit pending messages due at now, oldest
	// due first, and moves their next attempt to now+lease, atomically, so
	// that no other caller claims them while they are being sent. They carry
	// a new claim token (the same for the batch). Of concurrent claimers,
	// each due message goes to exactly one.
	ClaimMessages(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Message, error)
	// RenewMessageClaim moves the next attempt of the pending messages the
	// claim still holds to until, and returns how many it still holds.
	RenewMessageClaim(ctx context.Context, claim string, until time.Time) (int64, error)
	// FinishMessage records the outcome of an attempt: status, attempts,
	// next attempt, last error and sent time as given. Only the claim that
	// returned m (m.Claim) may: when the message is pending under another
	// claim, or no longer pending, it changes nothing and returns ErrChanged;
	// ErrNotFound when it does not exist.
	FinishMessage(ctx context.Context, m *Message) error
	// RetryMessage makes the failed message id pending again, due at now,
	// with its attempts counted from zero (an operator's retry). A pending
	// message is left as it is (nil); a sent one gives ErrChanged; a missing
	// one ErrNotFound.
	RetryMessage(ctx context.Context, id int64, now time.Time) error
	// GetMessage returns the message, or ErrNotFound.
	GetMessage(ctx context.Context, id int64) (*Message, error)
	// ListMessages returns the newest messages in the status ("" = any),
	// newest first; limit <= 0 means 100.
	ListMessages(ctx context.Context, status string, limit int) ([]*Message, error)
	// CountMessages returns the number of messages in each status (every
	// status present, 0 when none).
	CountMessages(ctx context.Context) (map[string]int64, error)
	// PurgeMessages removes sent messages sent before sentBefore and failed
	// ones last updated before failedBefore, and returns how many. Pending
	// ones are never removed.
	PurgeMessages(ctx context.Context, sentBefore, failedBefore time.Time) (int64, error)
}
