package identity

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxFullNameLength is the largest number of runes (Unicode code points, after
// NFC normalisation) that [NormalizeFullName] accepts.
const MaxFullNameLength = 100

// maxFullNameInput bounds the bytes NormalizeFullName looks at, so that a
// hostile input cannot make it normalise megabytes.
const maxFullNameInput = 4096

// maxMarksPerLetter bounds the combining marks NormalizeFullName accepts on
// one letter: enough for any script's stacked vowel and tone marks, too few
// for text that smears marks over the lines around it.
const maxMarksPerLetter = 4

// NormalizeFullName returns a person's full name in canonical form: Unicode
// NFC, surrounding white space removed, every inner run of white space
// replaced by one ASCII space. The right single quotation mark (’, U+2019),
// which phone keyboards type for an apostrophe, becomes "'". Case is kept as
// typed.
//
// The result may contain letters of any script (Vietnamese diacritics
// included), combining marks following a letter (at most four on one letter;
// Vietnamese in NFC needs none), spaces, apostrophes, hyphens and dots, and
// must contain at least one letter. It fails with Field "full_name" and
// Reason
//
//   - "required" when nothing but white space is left;
//   - "too_long" when more than [MaxFullNameLength] runes are left;
//   - "invalid" for any other character (digits, symbols, control and
//     invisible characters, invalid UTF-8), for a combining mark that does
//     not follow a letter or is the fifth on one letter, or when there is no
//     letter.
//
// A name that is NFD on input (as typed with some Vietnamese keyboards) gives
// the same string as its NFC form. The result is accepted again unchanged.
func NormalizeFullName(s string) (string, error) {
	if len(s) > maxFullNameInput {
		return "", invalid(fieldFullName, "too_long")
	}
	s = norm.NFC.String(s)

	var b strings.Builder
	b.Grow(len(s))
	runes := 0
	space := false       // white space seen since the last written rune
	afterLetter := false // the last written rune is a letter or a mark
	marks := 0           // combining marks written since the last letter
	hasLetter, bad := false, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = runes > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			runes++
			space, afterLetter = false, false
		}
		switch {
		case unicode.IsLetter(r):
			hasLetter, afterLetter, marks = true, true, 0
		case unicode.IsMark(r):
			marks++
			bad = bad || !afterLetter || marks > maxMarksPerLetter
		case r == '\'' || r == '\u2019':
			r, afterLetter = '\'', false
		case r == '-' || r == '.':
			afterLetter = false
		default:
			bad = true
		}
		b.WriteRune(r)
		runes++
	}
	switch {
	case runes == 0:
		return "", invalid(fieldFullName, "required")
	case runes > MaxFullNameLength:
		return "", invalid(fieldFullName, "too_long")
	case bad || !hasLetter:
		return "", invalid(fieldFullName, "invalid")
	}
	return b.String(), nil
}

// SplitName splits a full name in Vietnamese order into the family name (the
// first word), the given name (the last word) and the middle name (the words
// between, joined by single spaces): "Nguyễn Thị Ánh" → "Nguyễn", "Thị",
// "Ánh". A single word is a given name only; two words have no middle name; an
// empty or blank name gives three empty strings. Words are separated by white
// space; full is not otherwise normalised.
func SplitName(full string) (family, middle, given string) {
	words := strings.Fields(full)
	switch len(words) {
	case 0:
		return "", "", ""
	case 1:
		return "", "", words[0]
	}
	last := len(words) - 1
	return words[0], strings.Join(words[1:last], " "), words[last]
}
