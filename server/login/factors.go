package login

import (
	"context"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
)

// MFA is what the login flow needs for second factors and levels of
// assurance (flow.MFA).
type MFA = flow.MFA

// factors returns the second factors the account has.
func (h *Handler) factors(ctx context.Context, accountID string) (authn.Factors, error) {
	return h.MFA.Inventory.Of(ctx, accountID)
}

// factorKey is the brute-force counter key of an account's second factor.
func factorKey(accountID string) string { return authn.SecondFactorKey(accountID) }
