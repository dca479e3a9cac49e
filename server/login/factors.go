package login

import (
	"github.com/dinhdanh/dinhdanh/server/login/flow"
)

// MFA is what the login flow needs for second factors and levels of
// assurance (flow.MFA).
type MFA = flow.MFA
