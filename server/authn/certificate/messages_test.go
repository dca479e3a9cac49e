package certificate

import (
	"testing"

	"github.com/dinhdanh/dinhdanh/ui"
)

// TestReasonsHaveMessages keeps the catalogs in step with the reasons: every
// refusal can be shown to the person in both languages.
func TestReasonsHaveMessages(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons {
		if seen[r] {
			t.Errorf("reason %s listed twice", r)
		}
		seen[r] = true
		key := (&Refusal{Reason: r}).MessageKey()
		for _, lang := range ui.Languages() {
			if ui.T(lang, key) == key {
				t.Errorf("%s: no message %q", lang, key)
			}
		}
	}
	for _, code := range []string{"working", "unavailable", "cancelled", "failed", "expired"} {
		key := "certificate.signing." + code
		for _, lang := range ui.Languages() {
			if ui.T(lang, key) == key {
				t.Errorf("%s: no message %q for the signing script", lang, key)
			}
		}
	}
}
