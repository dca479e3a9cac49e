// Package session keeps single sign-on sessions.
//
// A browser holds a random 256-bit token in an HttpOnly cookie; the session
// id (sid, published in ID tokens) is derived from the token's SHA-256, so
// the id never lets anyone rebuild the cookie. The session lives in the
// ephemeral store with the person, the capacity, the assurance level and
// methods of the login, the device and address it started from, and the
// clients that received tokens through it. It expires after an idle timeout
// (sliding) within an absolute lifetime.
package session
