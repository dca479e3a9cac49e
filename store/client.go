package store

import (
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
)

// Client is a registered application (an OAuth 2.0 client / OIDC relying party).
type Client struct {
	ID   string
	Name string
	// SecretHash is the SHA-256 of the server-generated secret; empty for public clients.
	SecretHash []byte
	Public     bool
	// FirstParty clients (the province's own systems) skip the consent page.
	FirstParty   bool
	RedirectURIs []string
	GrantTypes   []string
	Scopes       []string
	Audience     []string
	// IDTokenAlgorithm signs this client's ID tokens: RS256 (default), ES256 or EdDSA.
	IDTokenAlgorithm string
	// AccessTokenFormat is "jwt" (default) or "opaque".
	AccessTokenFormat string
	// TokenEndpointAuthMethod: client_secret_basic (default for confidential), client_secret_post, none (public).
	TokenEndpointAuthMethod string
	// PostLogoutRedirectURIs are where RP-initiated logout may send the browser back (exact match).
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI receives logout tokens when a session the client took part in ends.
	BackchannelLogoutURI string
	// FrontchannelLogoutURI is loaded in a frame of the logout page, with iss and sid.
	FrontchannelLogoutURI string
	// MinimumACR is the lowest assurance level (LoA1, LoA2, LoA3) a login must reach for this client; "" is none.
	MinimumACR string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Access-token formats.
const (
	AccessTokenJWT    = "jwt"
	AccessTokenOpaque = "opaque"
)

var (
	_ fosite.Client              = (*Client)(nil)
	_ fosite.OpenIDConnectClient = (*Client)(nil)
)

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

// GetJSONWebKeys returns nil: private_key_jwt is not configured for this client.
func (c *Client) GetJSONWebKeys() *jose.JSONWebKeySet { return nil }

// GetJSONWebKeysURI returns "".
func (c *Client) GetJSONWebKeysURI() string { return "" }

// GetRequestObjectSigningAlgorithm returns "": request objects are not accepted.
func (c *Client) GetRequestObjectSigningAlgorithm() string { return "" }

// GetTokenEndpointAuthMethod returns how the client authenticates at the token endpoint.
func (c *Client) GetTokenEndpointAuthMethod() string {
	if c.Public {
		return "none"
	}
	if c.TokenEndpointAuthMethod == "" {
		return "client_secret_basic"
	}
	return c.TokenEndpointAuthMethod
}

// GetTokenEndpointAuthSigningAlgorithm returns "".
func (c *Client) GetTokenEndpointAuthSigningAlgorithm() string { return "" }

// HasGrant reports whether the client may use the grant type.
func (c *Client) HasGrant(g string) bool {
	for _, x := range c.GrantTypes {
		if x == g {
			return true
		}
	}
	return false
}
