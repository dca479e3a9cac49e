package audit

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/store"
)

// ChainReader is what Verify reads: store.Audit implements it.
type ChainReader interface {
	AuditChain(ctx context.Context) (store.AuditChain, error)
	AuditAfter(ctx context.Context, after int64, limit int) ([]*store.AuditEvent, error)
}

// BreakKind says how the chain is broken.
type BreakKind string

// The ways a chain breaks.
const (
	// BreakMissing: events are missing between the one before and this one
	// (rows deleted).
	BreakMissing BreakKind = "missing"
	// BreakLink: the event's PrevHash is not the Hash of the event before
	// (or of the anchor): the event before was changed and its hash
	// recomputed, or an event was replaced.
	BreakLink BreakKind = "link"
	// BreakContent: the event's fields no longer give its Hash: the event
	// was changed.
	BreakContent BreakKind = "content"
	// BreakHead: the chain ends elsewhere than its recorded head: events
	// were removed at the end, or the last one was replaced.
	BreakHead BreakKind = "head"
)

// Break is the first place where the chain does not hold.
type Break struct {
	// ID is the event at which the break is found: the first event after
	// the missing ones, the event whose link or content is wrong, or the
	// head's ID for a break at the end.
	ID   int64
	Kind BreakKind
	// Detail says what differs, for the operator.
	Detail string
}

// Verification is the result of Verify.
type Verification struct {
	// Chain is the chain's start, anchor and head as the store records them.
	Chain store.AuditChain
	// Checked is the number of events verified before the first break (all
	// of them when there is none).
	Checked int64
	// Break is the first break, nil when the chain holds from the anchor to
	// the head.
	Break *Break
}

// verifyPage is how many events Verify reads at a time.
const verifyPage = store.AuditMaxLimit

// Verify walks the audit log's chain from its anchor to its head, oldest
// first, and stops at the first break: an event missing, a link to the event
// before that does not match, an event whose fields do not give its hash, or
// a chain that ends elsewhere than its head. Events older than the chain
// (Chain.Unchained of them) are not verified. The error is for a store that
// cannot be read; a broken chain is a Verification with a Break.
func Verify(ctx context.Context, r ChainReader) (*Verification, error) {
	c, err := r.AuditChain(ctx)
	if err != nil {
		return nil, err
	}
	v := &Verification{Chain: c}
	id, prev := c.AnchorID, c.AnchorHash
	before := func() string {
		if id == c.AnchorID {
			return fmt.Sprintf("the chain's anchor (event %d, hash %q)", id, prev)
		}
		return fmt.Sprintf("event %d (hash %s)", id, prev)
	}
	for {
		page, err := r.AuditAfter(ctx, id, verifyPage)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			switch {
			case e.ID != id+1:
				v.Break = &Break{ID: e.ID, Kind: BreakMissing, Detail: missing(id+1, e.ID-1) + " before it: the next event kept after " + before()}
			case e.PrevHash != prev:
				v.Break = &Break{ID: e.ID, Kind: BreakLink, Detail: fmt.Sprintf(
					"its previous hash %q is not the hash of %s: that event was changed or replaced", e.PrevHash, before())}
			case store.AuditHash(e.PrevHash, e) != e.Hash:
				v.Break = &Break{ID: e.ID, Kind: BreakContent, Detail: fmt.Sprintf(
					"its fields (time, type, actor, subject, client, address or details) give hash %s, not its recorded %s: the event was changed",
					store.AuditHash(e.PrevHash, e), e.Hash)}
			}
			if v.Break != nil {
				return v, nil
			}
			id, prev = e.ID, e.Hash
			v.Checked++
		}
		if len(page) < verifyPage {
			break
		}
	}
	switch {
	case id < c.HeadID:
		v.Break = &Break{ID: c.HeadID, Kind: BreakHead, Detail: missing(id+1, c.HeadID) + " at the end: the last event kept is " + before()}
	case id > c.HeadID || prev != c.HeadHash:
		v.Break = &Break{ID: c.HeadID, Kind: BreakHead, Detail: fmt.Sprintf(
			"the chain ends at event %d (hash %q), but its head records event %d (hash %q)", id, prev, c.HeadID, c.HeadHash)}
	}
	return v, nil
}

func missing(from, to int64) string {
	if from == to {
		return fmt.Sprintf("event %d is missing", from)
	}
	return fmt.Sprintf("events %d to %d are missing", from, to)
}
