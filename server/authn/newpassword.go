package authn

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxPasswordBytes is the longest password accepted, in bytes.
const MaxPasswordBytes = 256

// PasswordRules decide whether a password may be set: at registration, at
// a change in the account console, at a reset and when an administrator
// sets one. Every place that sets a password checks it here, and nowhere
// else.
type PasswordRules struct {
	// MinLength is the fewest characters (Unicode code points) a password
	// may have.
	MinLength int
}

// Reasons a new password is refused (PasswordRules.Check); each is also a
// message key of the ui catalogs.
const (
	PasswordTooShort = "error.password.too_short" // fewer than MinLength characters
	PasswordTooLong  = "error.password.too_long"  // more than MaxPasswordBytes bytes
	PasswordCommon   = "error.password.common"    // in the list of common and breached passwords
)

// Check returns "" when password may be set, else why not: PasswordTooShort,
// PasswordTooLong or PasswordCommon. A password is common when the bundled
// list (passwords/common.txt.gz, see its README) holds it, compared without
// case.
func (p PasswordRules) Check(password string) string {
	switch {
	case utf8.RuneCountInString(password) < p.MinLength:
		return PasswordTooShort
	case len(password) > MaxPasswordBytes:
		return PasswordTooLong
	case CommonPassword(password):
		return PasswordCommon
	}
	return ""
}

//go:embed passwords/common.txt.gz
var commonGz []byte

var common = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		panic("authn: the bundled list of common passwords is corrupt: " + err.Error())
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		panic("authn: the bundled list of common passwords is corrupt: " + err.Error())
	}
	list := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if !sort.StringsAreSorted(list) {
		panic("authn: the bundled list of common passwords is not sorted")
	}
	return list
})

// CommonPassword reports whether password, lower-cased, is in the bundled
// list of common and breached passwords.
func CommonPassword(password string) bool {
	list := common()
	pw := strings.ToLower(password)
	i := sort.SearchStrings(list, pw)
	return i < len(list) && list[i] == pw
}
