package ui

import "time"

// The admin console (server/admin/console) renders the pages of this file,
// all named console_*. Each embeds ConsoleNav: the navigation between the
// sections an administrator's roles open. Every form posts csrf_token.

// ConsoleNav is the console's header: who is signed in, with which roles,
// and the sections they may open. Section is the current one.
type ConsoleNav struct {
	Section  string   // "dashboard", "people", "apps", "directories", "businesses", "audit"
	Sections []string // the sections shown, in order
	Admin    string   // the administrator's name
	Roles    []ConsoleRole
}

// Shows reports whether the section is in the navigation.
func (n ConsoleNav) Shows(section string) bool {
	for _, s := range n.Sections {
		if s == section {
			return true
		}
	}
	return false
}

// ConsoleRole is a role held in an agency ("" = the whole province),
// shown as "console.role.<Role>".
type ConsoleRole struct {
	Role, Agency string
	SubUnits     bool
}

// ConsoleFieldError is a form field's problem: a message of the catalog
// ("console.invalid.<Field>") and the service's own detail, in English.
type ConsoleFieldError struct {
	Field  string
	Anchor string // id of the field, "" when the form has none
	Detail string
}

// ConsoleDashboardPage is the console's home (template
// "console_dashboard"). Missing is set when the node cannot report the
// figures (the service has no dashboard).
type ConsoleDashboardPage struct {
	Base
	Nav      ConsoleNav
	Missing  bool
	From, To time.Time
	Logins   []ConsoleLoginRow
	// Totals sums the logins by method and outcome over the period.
	Totals      []ConsoleLoginRow
	Lockouts    int
	Queue       int // back-channel logout notifications waiting
	Directories []ConsoleDirectoryRow
	Keys        []ConsoleKeyRow
}

// ConsoleLoginRow is a number of logins in an hour by method and outcome
// (success, failure).
type ConsoleLoginRow struct {
	Hour            time.Time
	Method, Outcome string
	N               int
}

// ConsoleKeyRow is a signing key.
type ConsoleKeyRow struct {
	ID, Algorithm, State string
	Created              time.Time
	AgeDays              int
}

// ConsoleDirectoryRow is a staff directory's status.
type ConsoleDirectoryRow struct {
	Name, Agency string
	// LastSync and FullSync are the times of the last run and of the last
	// full run; NeverSync is set when none ran.
	LastSync, FullSync time.Time
	NeverSync          bool
	Accounts, Disabled int
	Servers            []string
	CanSync            bool
}

// ConsolePeoplePage is the search of people (template "console_people"):
// a GET form with q (personal ID, name, email, phone or username) and
// kind; Searched is set when a search was made.
type ConsolePeoplePage struct {
	Base
	Nav      ConsoleNav
	Query    string
	Kind     string
	Searched bool
	Results  []ConsolePersonRow
	PrevURL  string
	NextURL  string
	// Exact is set when only an exact search (one person by identifier) is available.
	Exact bool
}

// ConsolePersonRow is a person in a list.
type ConsolePersonRow struct {
	ID         string
	Name       string
	Capacities []string // "citizen"/"official", shown as "capacity.<x>"
	PersonalID string
	Verified   bool
	Email      string
	Phone      string
	Username   string
	Agency     string
	Disabled   bool
}

// ConsolePersonPage is one person (template "console_person"), with the
// actions the administrator may take, each a form posting to
// /admin/people/{ID}/<action>.
type ConsolePersonPage struct {
	Base
	Nav            ConsoleNav
	Person         ConsolePersonRow
	Department     string
	Title          string
	Directory      string
	ProofMethod    string
	DisabledReason string
	Locked         []string // identifiers under a brute-force lock
	Failures       []ConsoleCount
	Roles          []ConsoleRole
	Businesses     []ConsoleRepresentation
	Factors        []ConsoleFactor
	Sessions       []ConsoleSession
	Consents       []ConsentRow
	Recent         []ConsoleAuditRow
	// Detailed is set when the factors, sessions, consents and audit are known.
	Detailed bool
	Can      ConsolePersonActions
	// Grantable are the roles the administrator may grant, widest first.
	Grantable []string
	Errors    []ConsoleFieldError
	Values    map[string]string
}

// ConsoleCount is a number by name.
type ConsoleCount struct {
	Name string
	N    int64
}

// ConsolePersonActions are the actions shown on a person's page.
type ConsolePersonActions struct {
	Unlock, Lock, Password, Factors, Sessions, Proofing, Roles, Business bool
}

// ConsoleRepresentation is a business a person represents.
type ConsoleRepresentation struct {
	TaxCode, Name, Role string
}

// ConsoleFactor is a second factor, by kind ("totp", "webauthn",
// "recovery") and name; never its secret.
type ConsoleFactor struct {
	Kind, Name string
	Created    time.Time
}

// ConsoleSession is a live SSO session.
type ConsoleSession struct {
	ID, Capacity, ACR, Address string
	Created, LastSeen          time.Time
	Clients                    []string
}

// ConsoleAuditRow is an audit event.
type ConsoleAuditRow struct {
	Time                               time.Time
	Type, Actor, Subject, Client, Addr string
	Details                            string
}

// ConsoleAppsPage lists the applications (template "console_apps").
type ConsoleAppsPage struct {
	Base
	Nav      ConsoleNav
	Apps     []ConsoleApp
	CanWrite bool
}

// ConsoleApp is a registered application (never its secret).
type ConsoleApp struct {
	ID, Name, Agency              string
	Public, FirstParty            bool
	RedirectURIs                  []string
	PostLogoutRedirectURIs        []string
	GrantTypes, Scopes, Audience  []string
	IDTokenAlgorithm, TokenFormat string
	AuthMethod, MinimumACR        string
	ClaimProfile                  string
	BackchannelLogoutURI          string
	FrontchannelLogoutURI         string
	Created, Updated              time.Time
}

// ConsoleAppPage shows one application with its integration snippet
// (template "console_app"). Secret is set only in the answer to the
// creation or rotation that made it: it is shown once.
type ConsoleAppPage struct {
	Base
	Nav       ConsoleNav
	App       ConsoleApp
	Secret    string
	Snippet   ConsoleSnippet
	CanWrite  bool
	CanDelete bool
	CanEdit   bool
}

// ConsoleSnippet is what an application's developers need to integrate.
type ConsoleSnippet struct {
	Issuer, Discovery, ClientID string
	RedirectURIs                []string
	AuthorizeExample            string
	TokenEndpoint               string
}

// ConsoleAppFormPage creates or edits an application (template
// "console_app_form"), posted to Action. Values holds the fields as typed
// (lists one per line), Checks the check boxes.
type ConsoleAppFormPage struct {
	Base
	Nav        ConsoleNav
	Action     string
	Editing    bool
	ID         string
	Values     map[string]string
	Checks     map[string]bool
	Errors     []ConsoleFieldError
	Algorithms []string
}

// FieldError returns the error of the field, nil when it has none.
func (p *ConsoleAppFormPage) FieldError(field string) *ConsoleFieldError {
	return fieldErrorOf(p.Errors, field)
}

// FieldError returns the error of the field, nil when it has none.
func (p *ConsolePersonPage) FieldError(field string) *ConsoleFieldError {
	return fieldErrorOf(p.Errors, field)
}

func fieldErrorOf(errs []ConsoleFieldError, field string) *ConsoleFieldError {
	for i := range errs {
		if errs[i].Field == field {
			return &errs[i]
		}
	}
	return nil
}

// ConsoleDirectoriesPage shows the staff directories (template
// "console_directories"). Missing is set when the node cannot report them.
type ConsoleDirectoriesPage struct {
	Base
	Nav         ConsoleNav
	Missing     bool
	Directories []ConsoleDirectoryRow
	// Checks are the outcome of a test just run, one per server.
	Checks []ConsoleCheck
	// Synced is the outcome of a synchronisation just run.
	Synced *ConsoleSync
}

// ConsoleCheck is the outcome of connecting to one server of a directory.
type ConsoleCheck struct {
	Directory, URL, Error string
	OK                    bool
}

// ConsoleSync counts what a synchronisation did.
type ConsoleSync struct {
	Directory                                 string
	Seen, Created, Updated, Disabled, Enabled int
}

// ConsoleBusinessPage looks a business up by its tax code (template
// "console_business").
type ConsoleBusinessPage struct {
	Base
	Nav             ConsoleNav
	TaxCode         string
	Searched        bool
	Found           bool
	Name            string
	Representatives []ConsoleRepresentative
	CanWrite        bool
	Missing         bool
	Errors          []ConsoleFieldError
	Values          map[string]string
}

// ConsoleRepresentative is a person who represents a business.
type ConsoleRepresentative struct {
	AccountID, Name, Role, GrantedBy string
}

// FieldError returns the error of the field, nil when it has none.
func (p *ConsoleBusinessPage) FieldError(field string) *ConsoleFieldError {
	return fieldErrorOf(p.Errors, field)
}

// ConsoleAuditPage searches the audit log (template "console_audit"): a
// GET form with subject, actor, client, type, address, from, to; pages by
// PrevURL/NextURL. Missing is set when the service cannot search.
type ConsoleAuditPage struct {
	Base
	Nav     ConsoleNav
	Filters map[string]string
	Events  []ConsoleAuditRow
	PrevURL string
	NextURL string
	Missing bool
	Errors  []ConsoleFieldError
}

// Every console page can be passed to Render.
var (
	_ interface{ Language() string } = (*ConsoleDashboardPage)(nil)
	_ interface{ Language() string } = (*ConsolePeoplePage)(nil)
	_ interface{ Language() string } = (*ConsolePersonPage)(nil)
	_ interface{ Language() string } = (*ConsoleAppsPage)(nil)
	_ interface{ Language() string } = (*ConsoleAppPage)(nil)
	_ interface{ Language() string } = (*ConsoleAppFormPage)(nil)
	_ interface{ Language() string } = (*ConsoleDirectoriesPage)(nil)
	_ interface{ Language() string } = (*ConsoleBusinessPage)(nil)
	_ interface{ Language() string } = (*ConsoleAuditPage)(nil)
)
