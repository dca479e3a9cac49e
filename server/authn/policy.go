package authn

import (
	"slices"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// Policy is the lowest assurance level a login must reach by who logs in:
// a citizen, an official, an administrator (in any capacity), and a person
// who has a second factor (Enrolled). An empty level is LoA1.
type Policy struct {
	Citizen, Official, Admin string
	// Enrolled is the lowest level of a login of a person who has a second
	// factor they can be asked for: LoA2 asks everyone who set one up for
	// it at every login, as the enrolment pages promise.
	Enrolled string
}

// Minimum returns the level a login of the account in the capacity must reach.
func (p Policy) Minimum(acct *identity.Account, capacity identity.Capacity) string {
	level := p.Citizen
	if capacity == identity.CapacityOfficial {
		level = Highest(level, p.Official)
	}
	if acct != nil && acct.Admin {
		level = Highest(level, p.Admin)
	}
	if level == "" {
		return LoA1
	}
	return level
}

// PersonMinimum returns the level a login of the account in the capacity
// must reach when the person has a second factor (hasFactor) or not: the
// minimum of their kind (Minimum), raised to Enrolled for a person who has
// a factor.
func (p Policy) PersonMinimum(acct *identity.Account, capacity identity.Capacity, hasFactor bool) string {
	level := p.Minimum(acct, capacity)
	if hasFactor && Rank(p.Enrolled) > 0 {
		level = Highest(level, p.Enrolled)
	}
	return level
}

// AsksEnrolled reports whether a person's factors can raise their minimum
// above level (the minimum of their kind): only then need they be read.
func (p Policy) AsksEnrolled(level string) bool {
	return Rank(p.Enrolled) > Rank(level)
}

// Highest returns the higher of the levels (a when they rank the same).
func Highest(a, b string) string {
	if Rank(b) > Rank(a) {
		return b
	}
	return a
}

// Reachable reports whether a login can reach the level, given the level it
// has: LoA1 and LoA2 always (a password, then a second factor, enrolled on
// the way when needed); LoA3 only when it is there already, since it comes
// from a certificate login alone.
func Reachable(level, current string) bool {
	return Rank(level) <= Rank(LoA2) || Rank(current) >= Rank(level)
}

// SecondFactor returns the methods of a login after a second factor: the
// methods it had, then those of the factor, and "mfa" when the login now
// holds two different kinds of factor.
func SecondFactor(had, factor []string) []string {
	out := slices.Clone(had)
	for _, m := range factor {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	kinds := 0
	for _, m := range out {
		switch m {
		case AMRPassword, AMROTP, AMRHardware, AMRSoftware, AMRSmart:
			kinds++
		}
	}
	if kinds >= 2 && !slices.Contains(out, AMRMFA) {
		out = append(out, AMRMFA)
	}
	return out
}
