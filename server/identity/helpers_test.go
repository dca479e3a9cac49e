package identity_test

import (
	"errors"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// wantInvalid fails t unless err is an *identity.InvalidError with exactly
// field and reason.
func wantInvalid(t *testing.T, err error, field, reason string) {
	t.Helper()
	var ie *identity.InvalidError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v (%T), want *InvalidError{%s, %s}", err, err, field, reason)
	}
	if ie.Field != field || ie.Reason != reason {
		t.Fatalf("error = {%q, %q}, want {%q, %q}", ie.Field, ie.Reason, field, reason)
	}
}
