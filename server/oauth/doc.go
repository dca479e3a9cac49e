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
// signature in the store, once a JWT access token was verified as a whole
// (signature by a published key, typ at+jwt, issuer). Discovery and JWKS are prepared bytes. Userinfo
// reads the account fresh and releases the claims of the granted scopes.
//
// Storage: fosite asks for its storage interfaces; Storage answers them over
// the store contracts (store.Store for clients and refresh-token families,
// store.Ephemeral for codes, PKCE and OpenID Connect requests and access-token
// records), so that package store knows nothing of fosite. The clients it
// hands to fosite are *Client, a store.Client with fosite's methods; ClientOf
// gets the record back from a request's client. Inside one authorization
// response (BatchAuthorize) the code and its OpenID Connect request are
// written as one record; inside one token request (TokenExchange) that record
// is read once, the PKCE request is taken in one step and a refresh token is
// rotated in one write with its successor. Its suite (storage_test.go) runs
// on SQLite, PostgreSQL and every Redis deployment.
package oauth
