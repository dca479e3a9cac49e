package store

import "time"

// Client is a registered application (an OAuth 2.0 client / OIDC relying
// party): a plain record. What fosite asks of a client (GetID,
// GetHashedSecret, ...) is answered by server/oauth's Client, which wraps it.
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
	// ClaimProfile names the claim names the client receives besides the
	// standard ones (identity.ClaimProfile): "" is the standard claims only,
	// "dvcqg" adds the national public-service portal's names.
	ClaimProfile string
	// Agency is the code of the agency that owns the application, whose
	// administrators manage it; "" is a province-wide application.
	Agency string
	// PurposeVI and PurposeEN state, in Vietnamese and English, why the
	// application processes the personal data it asks for (Law 91/2025/QH15):
	// the consent page shows the one of the person's language. "" is none.
	PurposeVI, PurposeEN string
	// PrivacyURLVI and PrivacyURLEN are the application's privacy notices
	// (absolute https URLs, or http on a loopback host), linked from the
	// consent page in the person's language. "" is none.
	PrivacyURLVI, PrivacyURLEN string
	CreatedAt                  time.Time
	UpdatedAt                  time.Time
}

// Access-token formats.
const (
	AccessTokenJWT    = "jwt"
	AccessTokenOpaque = "opaque"
)

// AuthMethod returns how the client authenticates at the token endpoint:
// "none" for a public client, else TokenEndpointAuthMethod, which defaults
// to "client_secret_basic".
func (c *Client) AuthMethod() string {
	if c.Public {
		return "none"
	}
	if c.TokenEndpointAuthMethod == "" {
		return "client_secret_basic"
	}
	return c.TokenEndpointAuthMethod
}

// HasGrant reports whether the client may use the grant type.
func (c *Client) HasGrant(g string) bool {
	for _, x := range c.GrantTypes {
		if x == g {
			return true
		}
	}
	return false
}

// PurposeIn returns the client's purpose statement and privacy-notice URL in
// the language lang ("vi" or "en"), each falling back to the other
// language's when the client has none in lang.
func (c *Client) PurposeIn(lang string) (purpose, privacyURL string) {
	purpose, privacyURL = c.PurposeVI, c.PrivacyURLVI
	alt, altURL := c.PurposeEN, c.PrivacyURLEN
	if lang == "en" {
		purpose, privacyURL, alt, altURL = alt, altURL, purpose, privacyURL
	}
	if purpose == "" {
		purpose = alt
	}
	if privacyURL == "" {
		privacyURL = altURL
	}
	return purpose, privacyURL
}
