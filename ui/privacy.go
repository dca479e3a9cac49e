package ui

import "time"

// ConsentHistoryPage is the data of template "privacy_history": every
// grant, change and withdrawal of the person's consents, newest first.
type ConsentHistoryPage struct {
	Base
	Events []ConsentHistoryRow
}

// ConsentHistoryRow is one line of the consent history. Action is
// "granted", "changed" or "withdrawn", shown as "privacy.action.<Action>".
type ConsentHistoryRow struct {
	ClientID, ClientName string
	Action               string
	Scopes               []string
	Time                 time.Time
}

// DataDownloadPage is the data of template "privacy_download": what the
// download holds, and its form (POST /account/privacy/download, field
// csrf_token).
type DataDownloadPage struct {
	Base
}

// AccountDeletePage is the data of template "privacy_delete": what deleting
// the account does, and its form (POST /account/privacy/delete, fields
// csrf_token and confirm=1).
type AccountDeletePage struct {
	Base
	// AuditRetentionDays is how long the audit events about a deleted
	// account are kept, in days.
	AuditRetentionDays int
	// ConfirmError is the message key of a missing confirmation, "" for none.
	ConfirmError string
}

var (
	_ interface{ Language() string } = (*ConsentHistoryPage)(nil)
	_ interface{ Language() string } = (*DataDownloadPage)(nil)
	_ interface{ Language() string } = (*AccountDeletePage)(nil)
)
