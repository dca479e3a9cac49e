package authn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// RecoveryStore is what recovery codes need from the durable store.
type RecoveryStore interface {
	ReplaceRecoveryCodes(ctx context.Context, accountID string, hashes []string) error
	UseRecoveryCode(ctx context.Context, accountID, hash string, at time.Time) (left int, err error)
	RecoveryCodesLeft(ctx context.Context, accountID string) (int, error)
}

// Recovery makes and checks single-use recovery codes: the way back in when
// the authenticator app or security key is lost. A code is ten characters of
// Crockford's base32 alphabet (50 random bits), written "xxxxx-xxxxx". Only
// a SHA-256 hash of each code, bound to the account, is stored: the codes
// are random and high-entropy, so a slow hash would add nothing.
type Recovery struct {
	Store RecoveryStore
	// Count is how many codes Generate makes (10 when zero).
	Count int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// recoveryAlphabet is Crockford's base32: no I, L, O or U.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// recoveryLength is the number of characters of a code, without the dash.
const recoveryLength = 10

// Generate makes a new set of codes for the account, replacing every earlier
// one, and returns them: they are shown once and never again.
func (rc *Recovery) Generate(ctx context.Context, accountID string) ([]string, error) {
	n := rc.Count
	if n <= 0 {
		n = 10
	}
	codes := make([]string, 0, n)
	hashes := make([]string, 0, n)
	seen := map[string]bool{}
	for len(codes) < n {
		raw := make([]byte, recoveryLength)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		var b strings.Builder
		for i, v := range raw {
			if i == recoveryLength/2 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[v&31])
		}
		code := b.String()
		h := recoveryHash(accountID, normalizeRecovery(code))
		if seen[h] {
			continue
		}
		seen[h] = true
		codes = append(codes, code)
		hashes = append(hashes, h)
	}
	if err := rc.Store.ReplaceRecoveryCodes(ctx, accountID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// Use spends one of the account's codes. It returns ok and how many codes
// are left for an unused code of the account; not ok for any other input;
// an error only for an outage.
func (rc *Recovery) Use(ctx context.Context, accountID, code string) (left int, ok bool, err error) {
	c := normalizeRecovery(code)
	if len(c) != recoveryLength {
		return 0, false, nil
	}
	now := time.Now()
	if rc.Now != nil {
		now = rc.Now()
	}
	left, err = rc.Store.UseRecoveryCode(ctx, accountID, recoveryHash(accountID, c), now.UTC())
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return left, true, nil
}

// Left returns how many unused codes the account has.
func (rc *Recovery) Left(ctx context.Context, accountID string) (int, error) {
	return rc.Store.RecoveryCodesLeft(ctx, accountID)
}

// normalizeRecovery lower-cases a typed code, drops spaces and dashes and
// reads the letters people confuse with digits as Crockford does (o → 0,
// i and l → 1). Anything outside the alphabet gives "".
func normalizeRecovery(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch r {
		case ' ', '-', '\t', '\u00a0':
			continue
		case 'o':
			r = '0'
		case 'i', 'l':
			r = '1'
		}
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
	}
	return b.String()
}

// recoveryHash is the stored form of a normalised code: SHA-256 bound to the account.
func recoveryHash(accountID, code string) string {
	sum := sha256.Sum256([]byte("dinhdanh-recovery:" + accountID + ":" + code))
	return hex.EncodeToString(sum[:])
}
