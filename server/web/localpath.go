package web

import (
	"net/url"
	"strings"
)

// MaxLocalPath is the longest return path accepted, in bytes.
const MaxLocalPath = 512

// LocalPath returns raw when it is a path on this server that a browser
// cannot read as another host, and ok false otherwise. Every redirect target
// taken from a request (a ?return= parameter, a flow's stored return path)
// goes through it.
//
// raw must parse as a URL reference with no scheme, no host and no user
// information; its path must start with exactly one "/" and, once decoded,
// hold no empty segment ("//") and no dot segment ("." or "..", which a
// browser removes: "/.//x" becomes "//x"); and it must contain no control character (browsers drop a tab or a
// newline, so "/\t/evil.example" would become "//evil.example"), no
// backslash (read as "/"), and no space.
func LocalPath(raw string) (string, bool) {
	if raw == "" || len(raw) > MaxLocalPath || raw[0] != '/' {
		return "", false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x21 || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if !strings.HasPrefix(u.Path, "/") || strings.Contains(u.Path, "//") {
		return "", false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	return raw, true
}

// LocalPathOr returns LocalPath(raw) when raw is acceptable, else fallback.
func LocalPathOr(raw, fallback string) string {
	if p, ok := LocalPath(raw); ok {
		return p
	}
	return fallback
}
