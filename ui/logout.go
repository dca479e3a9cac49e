package ui

import "time"

// LogoutConfirmPage asks whether to log out when a logout request cannot be
// tied to the browser's session (template "logout_confirm"; form POST
// "/oauth2/logout" with csrf_token, confirm=yes|no and the request's
// client_id, post_logout_redirect_uri, state).
type LogoutConfirmPage struct {
	Base
	ClientName            string
	ClientID              string
	PostLogoutRedirectURI string
	State                 string
	// UILocales carries the request's ui_locales on to the next page.
	UILocales string
	// Stale reports that the request named an earlier session, not the current one.
	Stale bool
}

// LoggedOutPage tells the person they are logged out (template
// "logged_out"). It loads every front-channel logout URI in a hidden frame
// and then continues to ContinueURL (the application), if any.
type LoggedOutPage struct {
	Base
	FrontchannelURIs []string
	ContinueURL      string
	ClientName       string
}

// SessionRow is one SSO session in the account console.
type SessionRow struct {
	ID        string
	Current   bool
	Device    string
	Address   string
	StartedAt time.Time
	LastSeen  time.Time
	Clients   []string // application names
	Level     string   // LoA1, LoA2, LoA3
}
