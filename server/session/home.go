package session

import (
	"net/url"

	"github.com/dinhdanh/dinhdanh/store"
)

// ClientHome returns the address of a registered client's home: the origin
// of its first redirect URI followed by "/", or "" when that URI is not an
// http or https URL with a host (a native app's custom scheme has no home
// page to go back to). It comes from the client's registration only, never
// from a request, so a link to it cannot be pointed elsewhere.
func ClientHome(c *store.Client) string {
	if c == nil || len(c.RedirectURIs) == 0 {
		return ""
	}
	u, err := url.Parse(c.RedirectURIs[0])
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String()
}
