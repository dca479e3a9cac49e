package identity_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestInvalidError(t *testing.T) {
	tests := []struct {
		err  identity.InvalidError
		text string
	}{
		{identity.InvalidError{Field: "personal_id", Reason: "province"}, "personal_id: unknown province code"},
		{identity.InvalidError{Field: "personal_id", Reason: "format"}, "personal_id: must be exactly 12 digits"},
		{identity.InvalidError{Field: "tax_code", Reason: "checksum"}, "tax_code: check digit does not match"},
		{identity.InvalidError{Field: "full_name", Reason: "required"}, "full_name: is required"},
		{identity.InvalidError{Field: "birthdate", Reason: "future"}, "birthdate: must not be in the future"},
		{identity.InvalidError{Field: "nickname", Reason: "invalid"}, "nickname: is not valid"},
		{identity.InvalidError{Field: "nickname", Reason: "rude"}, "nickname: invalid (rude)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.text {
			t.Errorf("Error() = %q, want %q", got, tt.text)
		}
		if got, want := tt.err.MessageKey(), "error."+tt.err.Field+"."+tt.err.Reason; got != want {
			t.Errorf("MessageKey() = %q, want %q", got, want)
		}
	}
}

func TestInvalidErrorIs(t *testing.T) {
	_, err := identity.ParseTaxCode("0100233489")
	wrapped := fmt.Errorf("registering business: %w", err)
	if !errors.Is(wrapped, &identity.InvalidError{Field: "tax_code", Reason: "checksum"}) {
		t.Errorf("errors.Is(%v, tax_code/checksum) = false, want true", wrapped)
	}
	if errors.Is(wrapped, &identity.InvalidError{Field: "tax_code", Reason: "format"}) {
		t.Errorf("errors.Is(%v, tax_code/format) = true, want false", wrapped)
	}
	if errors.Is(wrapped, &identity.InvalidError{Field: "personal_id", Reason: "checksum"}) {
		t.Errorf("errors.Is(%v, personal_id/checksum) = true, want false", wrapped)
	}
}
