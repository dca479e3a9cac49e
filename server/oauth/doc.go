// Package oauth is dinhdanh's OAuth 2.0 / OpenID Connect authorization
// server, composed from fosite's handlers with typed wiring.
//
// Flow: /oauth2/auth is parsed here (Provider.NewAuthorizeRequest) but the
// interaction — login, consent, choosing a business — belongs to package
// login, which calls Provider.Issue once the person is authenticated. The
// token endpoint serves authorization_code (PKCE S256 required for public
// clients), refresh_token (rotation; a reused refresh token revokes its whole
// family) and client_credentials; there is no implicit and no password grant.
// Introspection (RFC 7662) and revocation (RFC 7009) look tokens up by their
// signature in the store. Discovery and JWKS are prepared bytes. Userinfo
// reads the account fresh and releases the claims of the granted scopes.
package oauth
