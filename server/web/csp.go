package web

import "strings"

// ContentSecurityPolicyConnecting returns ContentSecurityPolicy with the
// sources added to connect-src: for a page whose script talks to software on
// the person's own computer, such as the local WebSocket of signing software
// ("wss://127.0.0.1:8987"). A source holding anything but the characters of a
// host source (a space, a semicolon, a quote) is left out.
func ContentSecurityPolicyConnecting(sources ...string) string {
	extra := ""
	for _, s := range sources {
		s = strings.TrimSuffix(s, "/")
		if s == "" || strings.ContainsAny(s, " \t\r\n;,'\"") {
			continue
		}
		extra += " " + s
	}
	return strings.Replace(ContentSecurityPolicy, "connect-src 'self'", "connect-src 'self'"+extra, 1)
}
