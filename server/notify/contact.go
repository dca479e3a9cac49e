package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// KindContactTaken is the kind of the notice that someone tried to add to
// their account a contact that belongs to another account.
const KindContactTaken = "contact_taken"

// ContactTaken tells holder, at its contact recipient of channel
// (store.ChannelEmail or store.ChannelSMS), that someone tried to add that
// contact to another account: in holder's language, naming the product and
// where to manage the account, and nothing about the other account. It is
// limited as RegisterTaken is (one notice of the kind per recipient and
// interval, counted before the message is enqueued) and returns
// NoticeQueued or NoticeLimited.
func (n *Notices) ContactTaken(ctx context.Context, holder *identity.Account, channel, recipient string) (string, error) {
	lang := "vi"
	if holder != nil && holder.Locale == "en" {
		lang = "en"
	}
	sum := sha256.Sum256([]byte(channel + "\x00" + strings.ToLower(recipient)))
	hits, err := n.counters.Hit(ctx, "notice:"+KindContactTaken+":"+hex.EncodeToString(sum[:16]), n.interval)
	if err != nil {
		return "", err
	}
	if hits > 1 {
		return NoticeLimited, nil
	}
	m := Message{Channel: channel, To: recipient, Kind: KindContactTaken}
	if channel == store.ChannelEmail {
		m.Subject = ui.T(lang, "notify.contact_taken.subject", n.product)
		m.Text = ui.T(lang, "notify.contact_taken.email", n.product, n.account)
	} else {
		m.Text = ui.T(lang, "notify.contact_taken.sms", asciiName(n.product), n.account)
	}
	if _, err := n.outbox.Enqueue(ctx, m); err != nil {
		return "", err
	}
	return NoticeQueued, nil
}

// Product returns the product's name the notices are signed with.
func (n *Notices) Product() string { return n.product }

// ASCII returns s without Vietnamese diacritics, as SMS texts are written.
func ASCII(s string) string { return asciiName(s) }
