package web

import (
	"errors"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// FieldLimit lets one form field of ParseFormWith be longer than MaxField,
// or appear more than once.
type FieldLimit struct {
	// MaxLen is the longest value accepted, in bytes.
	MaxLen int
	// MaxCount is how many values the field may carry; zero means one.
	MaxCount int
}

// ErrTooManyValues is returned by ParseFormWith for a field sent more often
// than its limit allows.
var ErrTooManyValues = errors.New("form field repeated too often")

// ParseFormWith is ParseForm for a form with a few large fields, such as a
// signature and the certificates sent with it: the fields named in limits
// follow their own limits (in the request body only; in the query they are
// held to MaxField like every other field), every other field MaxField. The
// whole body stays within MaxBody.
func ParseFormWith(r *http.Request, limits map[string]FieldLimit) error {
	if r.Body != nil {
		// The middleware bounds every body already; this keeps the bound
		// when the handler is mounted elsewhere.
		r.Body = http.MaxBytesReader(nil, r.Body, MaxBody)
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return ErrTooLarge
		}
		return ErrBadForm
	}
	check := func(vals url.Values, own bool) error {
		for key, vs := range vals {
			if !utf8.ValidString(key) {
				return ErrInvalidUTF8
			}
			limit, special := limits[key]
			if !own || !special {
				limit = FieldLimit{MaxLen: MaxField, MaxCount: len(vs)}
			}
			if limit.MaxCount == 0 {
				limit.MaxCount = 1
			}
			if len(vs) > limit.MaxCount {
				return ErrTooManyValues
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					return ErrInvalidUTF8
				}
				if len(v) > limit.MaxLen {
					return ErrFieldTooLong
				}
			}
		}
		return nil
	}
	if err := check(r.PostForm, true); err != nil {
		return err
	}
	return check(r.URL.Query(), false)
}
