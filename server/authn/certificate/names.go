package certificate

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// NormalName returns a person's name as names are compared: Unicode NFC
// (a diacritic typed as a combining mark and its precomposed letter are the
// same), lower case, and runs of white space folded to one space, trimmed.
// Diacritics are kept: "Bình" and "Binh" are different names.
func NormalName(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(name))), " ")
}

// SameName reports whether two names are the same person's name once
// normalised (NormalName); an empty name matches nothing.
func SameName(a, b string) bool {
	na := NormalName(a)
	return na != "" && na == NormalName(b)
}
