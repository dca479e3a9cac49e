package login

import (
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/login/certificate"
)

// Certificates is what the login flow needs for certificate login (the
// step server/login/certificate).
type Certificates = certificate.Config

// DefaultPendingLifetime is how long a certificate that mapped to nobody is
// remembered when Certificates.PendingLifetime is zero.
const DefaultPendingLifetime = certificate.DefaultPendingLifetime

// MutualTLSHandler returns the handler of the mutual-TLS listener (see
// certificate.Step.MutualTLSHandler). The login must have certificates.
func (h *Handler) MutualTLSHandler() http.Handler {
	return h.cert.MutualTLSHandler()
}
