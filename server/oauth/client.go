package oauth

import (
	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// Client is a registered client as fosite sees it: the stored record, with
// the methods of fosite.Client and fosite.OpenIDConnectClient. Every client
// that Storage hands to fosite is a *Client; ClientOf gets the record back
// from a request.
type Client struct {
	*store.Client
}

var (
	_ fosite.Client              = (*Client)(nil)
	_ fosite.OpenIDConnectClient = (*Client)(nil)
)

// ClientOf returns the stored record of a client that fosite holds (that of
// a request's GetClient), or nil when c is not a client made by Storage.
func ClientOf(c fosite.Client) *store.Client {
	if oc, ok := c.(*Client); ok && oc != nil {
		return oc.Client
	}
	return nil
}

// claimProfile returns the claim profile of c: the names its ID tokens and
// userinfo carry besides the standard claims. It is the standard profile for
// a nil client or a stored value that is not a profile (CreateClient accepts
// only profiles).
func claimProfile(c *store.Client) identity.ClaimProfile {
	if c == nil {
		return identity.ProfileStandard
	}
	p, err := identity.ParseClaimProfile(c.ClaimProfile)
	if err != nil {
		return identity.ProfileStandard
	}
	return p
}

// GetID returns the client id.
func (c *Client) GetID() string { return c.ID }

// GetHashedSecret returns the SHA-256 of the secret.
func (c *Client) GetHashedSecret() []byte { return c.SecretHash }

// GetRedirectURIs returns the registered redirect URIs (matched exactly).
func (c *Client) GetRedirectURIs() []string { return c.RedirectURIs }

// GetGrantTypes returns the grant types the client may use.
func (c *Client) GetGrantTypes() fosite.Arguments { return c.GrantTypes }

// GetResponseTypes returns "code": the only response type dinhdanh serves.
func (c *Client) GetResponseTypes() fosite.Arguments { return fosite.Arguments{"code"} }

// GetScopes returns the scopes the client may request.
func (c *Client) GetScopes() fosite.Arguments { return c.Scopes }

// IsPublic reports whether the client has no secret.
func (c *Client) IsPublic() bool { return c.Public }

// GetAudience returns the audiences the client may request.
func (c *Client) GetAudience() fosite.Arguments { return c.Audience }

// GetRequestURIs returns nil: request_uri is not supported.
func (c *Client) GetRequestURIs() []string { return nil }

// GetJSONWebKeys returns nil: private_key_jwt is not configured for any client.
func (c *Client) GetJSONWebKeys() *jose.JSONWebKeySet { return nil }

// GetJSONWebKeysURI returns "".
func (c *Client) GetJSONWebKeysURI() string { return "" }

// GetRequestObjectSigningAlgorithm returns "": request objects are not accepted.
func (c *Client) GetRequestObjectSigningAlgorithm() string { return "" }

// GetTokenEndpointAuthMethod returns how the client authenticates at the
// token endpoint (store.Client.AuthMethod).
func (c *Client) GetTokenEndpointAuthMethod() string { return c.AuthMethod() }

// GetTokenEndpointAuthSigningAlgorithm returns "".
func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string { return "" }
