package login

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestCertificateCapacity(t *testing.T) {
	citizen := &identity.Account{PersonalID: "001089012345"}
	official := &identity.Account{Official: &identity.Official{Username: "an.nv"}}
	both := &identity.Account{PersonalID: "001089012345", Official: &identity.Official{Username: "an.nv"}}
	business := &identity.Business{TaxCode: "0301519977"}
	for _, tt := range []struct {
		name  string
		acct  *identity.Account
		gov   bool // the certificate's anchor certifies officials (map_email)
		match certificate.Match
		want  identity.Capacity
	}{
		{"a citizen", citizen, false, certificate.Match{By: certificate.MatchPersonalID}, identity.CapacityCitizen},
		{"a citizen, government CA", citizen, true, certificate.Match{By: certificate.MatchPersonalID}, identity.CapacityCitizen},
		{"an official without personal ID", official, false, certificate.Match{By: certificate.MatchBinding}, identity.CapacityOfficial},
		{"both, public CA", both, false, certificate.Match{By: certificate.MatchPersonalID}, identity.CapacityCitizen},
		{"both, government CA", both, true, certificate.Match{By: certificate.MatchPersonalID}, identity.CapacityOfficial},
		{"both, by the official's address", both, false, certificate.Match{By: certificate.MatchEmail}, identity.CapacityOfficial},
		{"both, naming a business", both, true, certificate.Match{By: certificate.MatchPersonalID, Business: business}, identity.CapacityCitizen},
	} {
		v := &certificate.Verified{MapEmail: tt.gov}
		if got := certificateCapacity(tt.acct, v, tt.match); got != tt.want {
			t.Errorf("%s: capacity %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRefusalStatus(t *testing.T) {
	for reason, want := range map[certificate.Reason]int{
		certificate.ReasonMalformed:             http.StatusBadRequest,
		certificate.ReasonAlgorithm:             http.StatusBadRequest,
		certificate.ReasonRevocationUnavailable: http.StatusServiceUnavailable,
		certificate.ReasonExpired:               http.StatusUnauthorized,
		certificate.ReasonChallengeUnknown:      http.StatusUnauthorized,
	} {
		if got := refusalStatus(&certificate.Refusal{Reason: reason}); got != want {
			t.Errorf("%s: status %d, want %d", reason, got, want)
		}
	}
}

func TestBindRefusal(t *testing.T) {
	for err, want := range map[error]string{
		nil:                           "",
		errors.New("outage"):          "",
		certificate.ErrBoundElsewhere: "certificate.bound_elsewhere",
		fmt.Errorf("x: %w", certificate.ErrAnotherPerson): "certificate.another_person",
	} {
		if got := bindRefusal(err); got != want {
			t.Errorf("bindRefusal(%v) = %q, want %q", err, got, want)
		}
	}
}
