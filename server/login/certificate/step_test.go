package certificate

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
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
		match certauth.Match
		want  identity.Capacity
	}{
		{"a citizen", citizen, false, certauth.Match{By: certauth.MatchPersonalID}, identity.CapacityCitizen},
		{"a citizen, government CA", citizen, true, certauth.Match{By: certauth.MatchPersonalID}, identity.CapacityCitizen},
		{"an official without personal ID", official, false, certauth.Match{By: certauth.MatchBinding}, identity.CapacityOfficial},
		{"both, public CA", both, false, certauth.Match{By: certauth.MatchPersonalID}, identity.CapacityCitizen},
		{"both, government CA", both, true, certauth.Match{By: certauth.MatchPersonalID}, identity.CapacityOfficial},
		{"both, by the official's address", both, false, certauth.Match{By: certauth.MatchEmail}, identity.CapacityOfficial},
		{"both, naming a business", both, true, certauth.Match{By: certauth.MatchPersonalID, Business: business}, identity.CapacityCitizen},
	} {
		v := &certauth.Verified{MapEmail: tt.gov}
		if got := capacityOf(tt.acct, v, tt.match); got != tt.want {
			t.Errorf("%s: capacity %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRefusalStatus(t *testing.T) {
	for reason, want := range map[certauth.Reason]int{
		certauth.ReasonMalformed:             http.StatusBadRequest,
		certauth.ReasonAlgorithm:             http.StatusBadRequest,
		certauth.ReasonRevocationUnavailable: http.StatusServiceUnavailable,
		certauth.ReasonExpired:               http.StatusUnauthorized,
		certauth.ReasonChallengeUnknown:      http.StatusUnauthorized,
	} {
		if got := refusalStatus(&certauth.Refusal{Reason: reason}); got != want {
			t.Errorf("%s: status %d, want %d", reason, got, want)
		}
	}
}

func TestBindRefusal(t *testing.T) {
	for err, want := range map[error]string{
		nil:                        "",
		errors.New("outage"):       "",
		certauth.ErrBoundElsewhere: "certificate.bound_elsewhere",
		fmt.Errorf("x: %w", certauth.ErrAnotherPerson): "certificate.another_person",
	} {
		if got := bindRefusal(err); got != want {
			t.Errorf("bindRefusal(%v) = %q, want %q", err, got, want)
		}
	}
}
