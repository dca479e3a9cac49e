package audit

import "strings"

// Changed is the value Changes records for a secret field that changed.
const Changed = "changed"

// secretWords mark a field whose value is never recorded: a field whose
// name contains one of them is a secret.
var secretWords = []string{"password", "secret", "seed", "token", "private", "recovery", "key"}

// IsSecret reports whether a field of this name holds a secret, whose value
// the audit log never records: its name contains "password", "secret",
// "seed", "token", "private", "recovery" or "key" (in any case).
func IsSecret(field string) bool {
	f := strings.ToLower(field)
	for _, w := range secretWords {
		if strings.Contains(f, w) {
			return true
		}
	}
	return false
}

// Changes returns the details that record a change from before to after:
// for each field whose value differs (a field missing on one side counts as
// ""), "field.before" and "field.after"; for a secret field (IsSecret) only
// "field": "changed", never a value. Unchanged fields are left out; nil
// when nothing changed. Merge the result into an event's details.
func Changes(before, after map[string]string) map[string]string {
	var out map[string]string
	note := func(k string) {
		b, a := before[k], after[k]
		if a == b {
			return
		}
		if out == nil {
			out = map[string]string{}
		}
		if IsSecret(k) {
			out[k] = Changed
			return
		}
		out[k+".before"], out[k+".after"] = b, a
	}
	for k := range before {
		note(k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			note(k)
		}
	}
	return out
}
