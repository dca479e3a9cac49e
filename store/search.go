package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// ErrBadCursor is returned for an AccountFilter.After that no AccountCursor made.
var ErrBadCursor = errors.New("store: malformed account cursor")

// AccountCursor returns the cursor of a, for AccountFilter.After: its
// creation time in Unix milliseconds and its id ("1718000000000.abc…"). The
// accounts listed after it are those created later, or in the same
// millisecond with a greater id.
func AccountCursor(a *identity.Account) string {
	return strconv.FormatInt(a.CreatedAt.UnixMilli(), 10) + "." + a.ID
}

// ParseAccountCursor splits a cursor made by AccountCursor into its creation
// time (Unix milliseconds) and account id, or fails with ErrBadCursor.
func ParseAccountCursor(c string) (createdMs int64, id string, err error) {
	msPart, id, ok := strings.Cut(c, ".")
	if !ok || id == "" || msPart == "" || len(msPart) > 19 || len(c) > 256 {
		return 0, "", ErrBadCursor
	}
	for _, r := range msPart {
		if r < '0' || r > '9' {
			return 0, "", ErrBadCursor
		}
	}
	createdMs, err = strconv.ParseInt(msPart, 10, 64)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	return createdMs, id, nil
}
