package identity

// InvalidError reports a value that does not satisfy an identifier or profile rule.
// Field and Reason are stable keys: the UI looks up the message "error.<Field>.<Reason>".
//
// Field names the input ("personal_id", "tax_code", "full_name", "email",
// "phone", "birthdate", "gender", "capacity", "representative_role",
// "claim_profile", "evidence"); Reason names the rule that failed ("required",
// "format", "invalid", …). Each parser documents the pairs it returns. An InvalidError never contains the rejected
// value, so it is safe to log.
type InvalidError struct {
	Field  string
	Reason string
}

// Error returns English text for logs and API clients, such as
// "personal_id: unknown province code". Pages show the catalog message of
// [InvalidError.MessageKey] instead.
func (e *InvalidError) Error() string {
	if text, ok := errorTexts[e.Field+"."+e.Reason]; ok {
		return e.Field + ": " + text
	}
	if text, ok := errorTexts["*."+e.Reason]; ok {
		return e.Field + ": " + text
	}
	return e.Field + ": invalid (" + e.Reason + ")"
}

// MessageKey returns the message-catalog key "error.<Field>.<Reason>".
func (e *InvalidError) MessageKey() string {
	return "error." + e.Field + "." + e.Reason
}

// Is reports whether target is an *InvalidError with the same Field and
// Reason, so that errors.Is(err, &InvalidError{Field: "tax_code", Reason:
// "checksum"}) matches exactly that failure.
func (e *InvalidError) Is(target error) bool {
	t, ok := target.(*InvalidError)
	return ok && t != nil && t.Field == e.Field && t.Reason == e.Reason
}

func invalid(field, reason string) error {
	return &InvalidError{Field: field, Reason: reason}
}

// Field keys used by the parsers of this package.
const (
	fieldPersonalID = "personal_id"
	fieldTaxCode    = "tax_code"
	fieldFullName   = "full_name"
	fieldEmail      = "email"
	fieldPhone      = "phone"
	fieldBirthdate  = "birthdate"
	fieldGender     = "gender"
	fieldCapacity   = "capacity"
	fieldRole       = "representative_role"
	// fieldClaimProfile is the field of ParseClaimProfile.
	fieldClaimProfile = "claim_profile"
	// fieldEvidence is the field of the proofing methods (ParseProofingMethod).
	fieldEvidence = "evidence"
)

// errorTexts holds the English text of each known Field.Reason pair; "*"
// stands for any field.
var errorTexts = map[string]string{
	"*.required": "is required",
	"*.invalid":  "is not valid",

	"personal_id.format":     "must be exactly 12 digits",
	"personal_id.province":   "unknown province code",
	"personal_id.birth_year": "year of birth does not match the number",
	"personal_id.gender":     "gender does not match the number",

	"tax_code.format":   "must be 10 digits, 10 digits, a hyphen and 3 digits, or a 12-digit personal ID",
	"tax_code.province": "12 digits that are not a personal ID (unknown province code)",
	"tax_code.checksum": "check digit does not match",
	"tax_code.zero":     "digits 3 to 9 must not all be zero",
	"tax_code.branch":   "branch suffix must be 001 to 999",

	"full_name.too_long": "must be at most 100 characters",
	"full_name.invalid":  "may contain only letters, spaces, apostrophes, hyphens and dots",

	"email.invalid": "is not a valid e-mail address",
	"phone.invalid": "is not a valid Vietnamese phone number",

	"birthdate.invalid": "must be a date written YYYY-MM-DD or DD/MM/YYYY, not before 1900-01-01",
	"birthdate.future":  "must not be in the future",

	"gender.invalid":              "must be male or female",
	"capacity.invalid":            "must be citizen or official",
	"representative_role.invalid": "must be legal_representative or authorised_staff",
	"claim_profile.invalid":       "must be standard or dvcqg",
	"evidence.invalid":            "must be upstream_eid, certificate, in_person or authoritative_source",
}
