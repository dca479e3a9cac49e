// Package api is the admin JSON API under /admin/api/: the administrative
// service (server/admin) over HTTP, described by the OpenAPI 3.1 document
// it serves at /admin/api/openapi.json (built from the same route table
// that registers the handlers, see routes.go).
//
// Every request goes through one path (Handler.serve):
//
//  1. Authentication. A request with "Authorization: Bearer …" carries an
//     access token dinhdanh issued; it is validated in-process by the
//     provider (oauth.Provider.ValidateAccessToken: the token's record, as
//     userinfo and introspection read it). It must act for a person (a
//     client_credentials token is refused), hold the scope admin.read for
//     a GET and admin.write for a change (else 403 insufficient_scope with
//     WWW-Authenticate, RFC 6750 §3.1), and come from a login at LoA2 or
//     above (else 403, problem "level"). Without a token the console's SSO
//     session cookie is used; a change then needs the browser's CSRF token
//     (server/web's, bound to the session) in the X-CSRF-Token header.
//  2. The principal: the account's roles (admin.Service.PrincipalFor), with
//     the level and the time of the authentication of the token or session.
//     An account holding no role is refused (403, problem "forbidden").
//  3. The body of a change: JSON only (Content-Type application/json), at
//     most 64 KiB, one object, unknown fields refused: else 400 (415 for
//     another media type), and nothing is changed.
//  4. The operation of the service acting for the principal: it checks the
//     role, the scope, the level and, for a destructive action, that the
//     authentication is recent (mfa.reauthentication_max_age), and audits
//     refusals and changes.
//
// Errors are RFC 7807 problem details (application/problem+json) with a
// type "urn:dinhdanh:problem:<name>": invalid (400, with "errors", one per
// field), unauthorized (401), reauthenticate (401: get a new token with
// max_age or prompt=login; WWW-Authenticate carries
// error="insufficient_user_authentication" and max_age, RFC 9470),
// insufficient_scope and level and forbidden and csrf (403), not_found
// (404), conflict (409), unsupported_media_type (415), unavailable (503).
package api
