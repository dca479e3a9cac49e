package app

import (
	"fmt"
	"os"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/login/upstream"
)

// upstreamLogin returns the login through the configured upstream OpenID
// Connect providers (nil when none is configured), reading their client
// secrets and the private keys of those authenticating with private_key_jwt. A personal ID a provider proves goes through the administration's
// proofing, in the name of "upstream:NAME".
func upstreamLogin(s *Services) (*upstream.Config, error) {
	if len(s.Config.Upstreams) == 0 {
		return nil, nil
	}
	c := &upstream.Config{Issuer: s.Config.Issuer, Prove: s.Admin("upstream").ProveAtLogin}
	for _, raw := range s.Config.Upstreams {
		u := raw.WithDefaults()
		secret := u.ClientSecret
		if u.ClientSecretFile != "" {
			b, err := os.ReadFile(u.ClientSecretFile)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: client_secret_file: %w", u.Name, err)
			}
			secret = strings.TrimSpace(string(b))
		}
		var key *upstream.PrivateKey
		if u.ClientAuth == "private_key_jwt" {
			b, err := os.ReadFile(u.PrivateKeyFile)
			if err != nil {
				return nil, fmt.Errorf("upstream %s: private_key_file: %w", u.Name, err)
			}
			if key, err = upstream.ParsePrivateKey(b, u.PrivateKeyID); err != nil {
				return nil, fmt.Errorf("upstream %s: private_key_file %s: %w", u.Name, u.PrivateKeyFile, err)
			}
		}
		c.Providers = append(c.Providers, upstream.Provider{Name: u.Name, DisplayName: u.DisplayName, Issuer: u.Issuer,
			ClientID: u.ClientID, ClientSecret: secret, ClientAuth: u.ClientAuth, PrivateKey: key, Scopes: u.Scopes, ACRValues: u.ACRValues,
			Claims: upstream.Claims{PersonalID: u.Claims.PersonalID, Name: u.Claims.Name, Birthdate: u.Claims.Birthdate,
				Gender: u.Claims.Gender, BirthdateLayout: u.Claims.Layout(), GenderCodes: u.Claims.GenderCodes,
				TaxCode: u.Claims.TaxCode, OrganizationName: u.Claims.OrganizationName,
				OrganizationTechID: u.Claims.OrganizationTechID, Role: u.Claims.Role, RoleCodes: u.Claims.RoleCodes},
			Assurance: u.Assurance, ACRMap: u.ACRMap, ProvesPersonalID: u.ProvesPersonalID, Timeout: u.Timeout.D()})
	}
	return c, nil
}
