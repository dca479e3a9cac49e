package identity

import (
	"crypto/sha256"
	"encoding/hex"
)

// Pseudonym returns the first 12 hex digits of the SHA-256 of s. A log line
// carries it instead of a login input, an e-mail address or a phone number,
// so that lines about the same value can be matched (an operator told the
// value computes its pseudonym) without the log showing it. It is not
// secret: whoever guesses s can check the guess, so a personal ID, whose
// space is small, is never logged even this way.
func Pseudonym(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
