package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Counters is what Notices needs of the ephemeral store: an atomic hit
// counter with a window.
type Counters interface {
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
}

// Notices writes and enqueues the notices dinhdanh sends of its own accord.
// Build it with NewNotices.
type Notices struct {
	outbox   *Outbox
	counters Counters
	product  string
	account  string
	interval time.Duration
}

// NewNotices returns the notices of a node: product is the product's name
// (ui.product_name), issuer its public URL (the notices point to
// issuer/account), interval the least time between two notices of one kind
// to one recipient (outbox.notice_interval).
func NewNotices(o *Outbox, counters Counters, product, issuer string, interval time.Duration) *Notices {
	return &Notices{outbox: o, counters: counters, product: product, account: strings.TrimRight(issuer, "/") + "/account",
		interval: interval}
}

// Notice outcomes.
const (
	NoticeQueued  = "queued"  // enqueued in the outbox
	NoticeLimited = "limited" // another notice of the kind went to the recipient within the interval
)

// KindRegisterTaken is the kind of the notice that someone tried to
// register with a contact that belongs to an account.
const KindRegisterTaken = "register_taken"

// RegisterTaken tells holder, at its contact recipient of channel
// (store.ChannelEmail or store.ChannelSMS), that someone tried to register
// an account with that contact: in holder's language, naming the product
// and where to log in or recover the account, and nothing the registrant
// typed. At most one such notice goes to one recipient per interval; the
// try is counted before the message is enqueued, so parallel callers
// enqueue one. It returns NoticeQueued or NoticeLimited.
func (n *Notices) RegisterTaken(ctx context.Context, holder *identity.Account, channel, recipient string) (string, error) {
	lang := "vi"
	if holder != nil && holder.Locale == "en" {
		lang = "en"
	}
	sum := sha256.Sum256([]byte(channel + "\x00" + strings.ToLower(recipient)))
	hits, err := n.counters.Hit(ctx, "notice:"+KindRegisterTaken+":"+hex.EncodeToString(sum[:16]), n.interval)
	if err != nil {
		return "", err
	}
	if hits > 1 {
		return NoticeLimited, nil
	}
	m := Message{Channel: channel, To: recipient, Kind: KindRegisterTaken}
	if channel == store.ChannelEmail {
		m.Subject = ui.T(lang, "notify.register_taken.subject", n.product)
		m.Text = ui.T(lang, "notify.register_taken.email", n.product, n.account)
	} else {
		m.Text = ui.T(lang, "notify.register_taken.sms", asciiName(n.product), n.account)
	}
	if _, err := n.outbox.Enqueue(ctx, m); err != nil {
		return "", err
	}
	return NoticeQueued, nil
}

// asciiName returns the product's name without Vietnamese diacritics: SMS
// notices are written in ASCII (as brandname SMS usually are), which keeps
// a message within one or two 160-character parts.
func asciiName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 {
			b.WriteRune(r)
			continue
		}
		if a, ok := vietnameseBase[r]; ok {
			b.WriteRune(a)
		}
	}
	return b.String()
}

// vietnameseBase maps each Vietnamese letter with a diacritic to its base letter.
var vietnameseBase = func() map[rune]rune {
	m := map[rune]rune{'đ': 'd', 'Đ': 'D'}
	for base, letters := range map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ", 'e': "èéẻẽẹêềếểễệ", 'i': "ìíỉĩị", 'o': "òóỏõọôồốổỗộơờớởỡợ",
		'u': "ùúủũụưừứửữự", 'y': "ỳýỷỹỵ",
		'A': "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'E': "ÈÉẺẼẸÊỀẾỂỄỆ", 'I': "ÌÍỈĨỊ", 'O': "ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ",
		'U': "ÙÚỦŨỤƯỪỨỬỮỰ", 'Y': "ỲÝỶỸỴ",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()
