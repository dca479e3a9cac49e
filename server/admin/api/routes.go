package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// route is one operation of the API: it registers the handler and
// describes the operation in the OpenAPI document.
type route struct {
	method, path string
	op, summary  string
	query        []param
	body         any // the request body's type (a zero value), nil for none
	resp         any // the response's type (a zero value), nil for 204
	status       int // the success status (0 = 200)
	handle       func(c *call) (any, error)
}

// param is a query parameter.
type param struct{ name, typ, desc string }

func routes() []*route {
	return []*route{
		{method: "GET", path: "/accounts", op: "searchAccounts", summary: "Search the people the caller may read",
			query: []param{{"q", "string", "substring of name, email, phone, username; prefix of the personal ID"},
				{"kind", "string", "citizen or official"}, {"agency", "string", "officials of this agency"},
				{"limit", "integer", "1 to 200 (default 50)"}, {"offset", "integer", "results to skip"},
				{"after", "string", "the Next-Cursor header of the previous page: the page starts after its last person, skipping and repeating no one"}},
			resp: []accountJSON{}, handle: searchAccounts},
		{method: "POST", path: "/accounts", op: "createAccount", summary: "Create an account", body: accountCreate{},
			resp: createdAccount{}, status: http.StatusCreated, handle: createAccount},
		{method: "GET", path: "/accounts/{id}", op: "getPerson", summary: "Show a person: capacities, roles, businesses, factors, sessions, consents, lock state, recent audit",
			resp: personJSON{}, handle: getPerson},
		{method: "POST", path: "/accounts/{id}/lock", op: "lockAccount", summary: "Lock an account (sessions end, tokens revoked)",
			body: lockRequest{}, handle: lockAccount},
		{method: "POST", path: "/accounts/{id}/unlock", op: "unlockAccount", summary: "Unlock an account and lift brute-force locks",
			handle: unlockAccount},
		{method: "PUT", path: "/accounts/{id}/password", op: "setPassword", summary: "Set a password (sessions end)",
			body: passwordRequest{}, handle: setPassword},
		{method: "POST", path: "/accounts/{id}/reset-factors", op: "resetFactors", summary: "Remove every second factor",
			resp: countJSON{}, handle: resetFactors},
		{method: "GET", path: "/accounts/{id}/sessions", op: "listSessions", summary: "List a person's live SSO sessions",
			resp: []sessionJSON{}, handle: listSessions},
		{method: "DELETE", path: "/accounts/{id}/sessions", op: "endSessions", summary: "End every session of a person",
			resp: countJSON{}, handle: endSessions},
		{method: "DELETE", path: "/accounts/{id}/sessions/{sid}", op: "endSession", summary: "End one session of a person",
			handle: endSession},
		{method: "POST", path: "/accounts/{id}/verify-personal-id", op: "verifyPersonalID",
			summary: "Record the proof of a personal ID (in person, or from an authoritative source)",
			body:    verifyRequest{}, resp: accountJSON{}, handle: verifyPersonalID},
		{method: "GET", path: "/accounts/{id}/roles", op: "listRoles", summary: "List the roles a person holds",
			resp: []grantJSON{}, handle: listRoles},
		{method: "POST", path: "/accounts/{id}/roles", op: "grantRole", summary: "Grant a role in an agency",
			body: grantRequest{}, resp: grantJSON{}, status: http.StatusCreated, handle: grantRole},
		{method: "POST", path: "/accounts/{id}/roles/revoke", op: "revokeRole", summary: "Revoke a role in an agency",
			body: revokeRequest{}, handle: revokeRole},
		{method: "POST", path: "/accounts/{id}/businesses", op: "linkRepresentative", summary: "Record that the person represents a business",
			body: linkRequest{}, resp: representationJSON{}, status: http.StatusCreated, handle: linkRepresentative},
		{method: "DELETE", path: "/accounts/{id}/businesses/{tax_code}", op: "unlinkRepresentative",
			summary: "Remove a representative link (the person's tokens acting for the business are revoked)", handle: unlinkRepresentative},
		{method: "GET", path: "/businesses/{tax_code}", op: "getBusiness", summary: "Show a business and its representatives",
			resp: businessJSON{}, handle: getBusiness},
		{method: "GET", path: "/clients", op: "listClients", summary: "List the applications the caller may read",
			resp: []clientJSON{}, handle: listClients},
		{method: "POST", path: "/clients", op: "createClient", summary: "Register an application (the secret is shown only in this answer)",
			body: clientRequest{}, resp: clientJSON{}, status: http.StatusCreated, handle: createClient},
		{method: "GET", path: "/clients/{id}", op: "getClient", summary: "Show an application", resp: clientJSON{}, handle: getClient},
		{method: "PATCH", path: "/clients/{id}", op: "editClient", summary: "Change the settings given (the secret stays)",
			body: clientRequest{}, resp: clientJSON{}, handle: editClient},
		{method: "DELETE", path: "/clients/{id}", op: "deleteClient", summary: "Delete an application with its consents and tokens",
			handle: deleteClient},
		{method: "POST", path: "/clients/{id}/secret", op: "rotateSecret", summary: "Replace the secret of a confidential application",
			resp: secretJSON{}, handle: rotateSecret},
		{method: "GET", path: "/directories", op: "listDirectories", summary: "Status of the staff directories",
			resp: []directoryJSON{}, handle: listDirectories},
		{method: "POST", path: "/directories/{name}/test", op: "testDirectory", summary: "Connect to every server of a directory and bind",
			resp: []serverCheckJSON{}, handle: testDirectory},
		{method: "POST", path: "/directories/{name}/sync", op: "syncDirectory", summary: "Run a synchronisation and answer with its counts; with Accept: application/jsonl, stream its progress as JSON lines ({done,total}, then {result} or {problem})",
			body: syncRequest{}, resp: syncJSON{}, handle: syncDirectory},
		{method: "GET", path: "/logout-deliveries", op: "listLogoutDeliveries", summary: "The newest back-channel logout deliveries",
			query: []param{{"status", "string", "pending, delivered or failed"}, {"limit", "integer", "1 to 500 (default 100)"}},
			resp:  []deliveryJSON{}, handle: listDeliveries},
		{method: "GET", path: "/keys", op: "listKeys", summary: "The published signing keys", resp: []keyJSON{}, handle: listKeys},
		{method: "POST", path: "/keys/rotate", op: "rotateKeys", summary: "Add a new signing key of an algorithm",
			body: rotateKeysRequest{}, resp: keyJSON{}, handle: rotateKeys},
		{method: "GET", path: "/audit", op: "searchAudit", summary: "Search the audit log, newest first",
			query: []param{{"subject", "string", "the account concerned"}, {"actor", "string", "who acted"},
				{"client_id", "string", "the application"}, {"type", "string", "an event type, or an area ending in '.'"},
				{"address", "string", "the client address"}, {"from", "string", "RFC 3339 time, inclusive"},
				{"to", "string", "RFC 3339 time, exclusive"}, {"limit", "integer", "1 to 500 (default 100)"},
				{"offset", "integer", "results to skip"}, {"before", "integer", "only events with an ID below it: the id of the last event of the previous page"}},
			resp: []auditJSON{}, handle: searchAudit},
		{method: "GET", path: "/audit/export", op: "exportAudit", summary: "Export every matching audit event, newest first, as JSON lines or CSV",
			query: []param{{"format", "string", "jsonl (default) or csv"}, {"subject", "string", "the account concerned"},
				{"actor", "string", "who acted"}, {"client_id", "string", "the application"},
				{"type", "string", "an event type, or an area ending in '.'"}, {"address", "string", "the client address"},
				{"from", "string", "RFC 3339 time, inclusive"}, {"to", "string", "RFC 3339 time, exclusive"}},
			resp: exportFile(""), handle: exportAudit},
		{method: "GET", path: "/dashboard", op: "dashboard", summary: "Logins per hour by method and outcome, lockouts, logout queue, directories, keys (24 hours)",
			resp: dashboardJSON{}, handle: dashboard},
	}
}

// --- representations ---

type officialJSON struct {
	Username   string `json:"username"`
	Agency     string `json:"agency"`
	Department string `json:"department,omitempty"`
	Title      string `json:"title,omitempty"`
	Directory  string `json:"directory,omitempty"`
}

type accountJSON struct {
	ID                 string        `json:"id"`
	Name               string        `json:"name"`
	Email              string        `json:"email,omitempty"`
	EmailVerified      bool          `json:"email_verified"`
	Phone              string        `json:"phone,omitempty"`
	PhoneVerified      bool          `json:"phone_verified"`
	PersonalID         string        `json:"personal_id,omitempty"`
	PersonalIDVerified bool          `json:"personal_id_verified"`
	Birthdate          string        `json:"birthdate,omitempty"`
	Gender             string        `json:"gender,omitempty"`
	Official           *officialJSON `json:"official,omitempty"`
	Admin              bool          `json:"admin"`
	Disabled           bool          `json:"disabled"`
	DisabledReason     string        `json:"disabled_reason,omitempty"`
	CreatedAt          time.Time     `json:"created_at"`
}

func accountOut(a *identity.Account) accountJSON {
	out := accountJSON{ID: a.ID, Name: a.FullName, Email: a.Email, EmailVerified: a.EmailVerified, Phone: a.Phone,
		PhoneVerified: a.PhoneVerified, PersonalID: string(a.PersonalID), PersonalIDVerified: a.PersonalIDVerified(),
		Birthdate: a.Birthdate, Gender: string(a.Gender), Admin: a.Admin, Disabled: a.Disabled,
		DisabledReason: a.DisabledReason, CreatedAt: a.CreatedAt}
	if o := a.Official; o != nil {
		out.Official = &officialJSON{Username: o.Username, Agency: o.Agency, Department: o.Department, Title: o.Title, Directory: o.Directory}
	}
	return out
}

type grantJSON struct {
	Role      string    `json:"role"`
	Agency    string    `json:"agency"`
	SubUnits  bool      `json:"sub_units"`
	GrantedBy string    `json:"granted_by"`
	GrantedAt time.Time `json:"granted_at"`
}

func grantsOut(gs []*store.RoleGrant) []grantJSON {
	out := []grantJSON{}
	for _, g := range gs {
		out = append(out, grantJSON{Role: g.Role, Agency: g.Agency, SubUnits: g.SubUnits, GrantedBy: g.GrantedBy, GrantedAt: g.GrantedAt})
	}
	return out
}

type representationJSON struct {
	AccountID    string    `json:"account_id"`
	Name         string    `json:"name,omitempty"`
	TaxCode      string    `json:"tax_code"`
	BusinessName string    `json:"business_name"`
	Role         string    `json:"role"`
	GrantedBy    string    `json:"granted_by"`
	CreatedAt    time.Time `json:"created_at"`
}

func representationOut(r *identity.Representation) representationJSON {
	return representationJSON{AccountID: r.AccountID, TaxCode: string(r.TaxCode), BusinessName: r.BusinessName,
		Role: string(r.Role), GrantedBy: r.GrantedBy, CreatedAt: r.CreatedAt}
}

type factorJSON struct {
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type sessionJSON struct {
	ID        string    `json:"id"`
	Capacity  string    `json:"capacity"`
	ACR       string    `json:"acr"`
	Created   time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen_at"`
	Clients   []string  `json:"clients"`
	Address   string    `json:"address,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
}

func sessionsOut(ss []admin.SessionInfo) []sessionJSON {
	out := []sessionJSON{}
	for _, s := range ss {
		cl := s.Clients
		if cl == nil {
			cl = []string{}
		}
		out = append(out, sessionJSON{ID: s.ID, Capacity: s.Capacity, ACR: s.ACR, Created: s.Created, LastSeen: s.LastSeen,
			Clients: cl, Address: s.Address, UserAgent: s.UserAgent})
	}
	return out
}

type consentJSON struct {
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	GrantedAt time.Time `json:"granted_at"`
}

type lockJSON struct {
	Disabled          bool             `json:"disabled"`
	DisabledReason    string           `json:"disabled_reason,omitempty"`
	TemporarilyLocked []string         `json:"temporarily_locked"`
	Failures          map[string]int64 `json:"failures"`
}

type auditJSON struct {
	ID       int64             `json:"id"`
	Time     time.Time         `json:"time"`
	Type     string            `json:"type"`
	Actor    string            `json:"actor"`
	Subject  string            `json:"subject,omitempty"`
	ClientID string            `json:"client_id,omitempty"`
	Address  string            `json:"address,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
}

func auditOut(es []*store.AuditEvent) []auditJSON {
	out := []auditJSON{}
	for _, e := range es {
		out = append(out, auditJSON{ID: e.ID, Time: e.Time, Type: e.Type, Actor: e.Actor, Subject: e.Subject,
			ClientID: e.ClientID, Address: e.Address, Details: e.Details})
	}
	return out
}

type personJSON struct {
	Account    accountJSON          `json:"account"`
	Roles      []grantJSON          `json:"roles"`
	Businesses []representationJSON `json:"businesses"`
	Factors    []factorJSON         `json:"factors"`
	Sessions   []sessionJSON        `json:"sessions"`
	Consents   []consentJSON        `json:"consents"`
	Lock       lockJSON             `json:"lock"`
	Recent     []auditJSON          `json:"recent"`
}

type countJSON struct {
	N int `json:"n"`
}

type createdAccount struct {
	Account accountJSON `json:"account"`
	// Linked reports that an existing person (a citizen) got the official capacity.
	Linked bool `json:"linked"`
}

type clientJSON struct {
	ClientID                string    `json:"client_id"`
	ClientSecret            string    `json:"client_secret,omitempty"`
	Name                    string    `json:"name"`
	Public                  bool      `json:"public"`
	FirstParty              bool      `json:"first_party"`
	RedirectURIs            []string  `json:"redirect_uris"`
	GrantTypes              []string  `json:"grant_types"`
	Scopes                  []string  `json:"scopes"`
	Audience                []string  `json:"audience"`
	IDTokenAlgorithm        string    `json:"id_token_signed_response_alg"`
	AccessTokenFormat       string    `json:"access_token_format"`
	TokenEndpointAuthMethod string    `json:"token_endpoint_auth_method"`
	PostLogoutRedirectURIs  []string  `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI    string    `json:"backchannel_logout_uri,omitempty"`
	FrontchannelLogoutURI   string    `json:"frontchannel_logout_uri,omitempty"`
	MinimumACR              string    `json:"minimum_acr,omitempty"`
	ClaimProfile            string    `json:"claim_profile,omitempty"`
	Agency                  string    `json:"agency,omitempty"`
	PurposeVI               string    `json:"purpose_vi,omitempty"`
	PurposeEN               string    `json:"purpose_en,omitempty"`
	PrivacyURLVI            string    `json:"privacy_url_vi,omitempty"`
	PrivacyURLEN            string    `json:"privacy_url_en,omitempty"`
	CreatedAt               time.Time `json:"created_at"`
	UpdatedAt               time.Time `json:"updated_at"`
}

func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func clientOut(c *store.Client, secret string) clientJSON {
	return clientJSON{ClientID: c.ID, ClientSecret: secret, Name: c.Name, Public: c.Public, FirstParty: c.FirstParty,
		RedirectURIs: orEmpty(c.RedirectURIs), GrantTypes: orEmpty(c.GrantTypes), Scopes: orEmpty(c.Scopes),
		Audience: orEmpty(c.Audience), IDTokenAlgorithm: c.IDTokenAlgorithm, AccessTokenFormat: c.AccessTokenFormat,
		TokenEndpointAuthMethod: c.AuthMethod(), PostLogoutRedirectURIs: orEmpty(c.PostLogoutRedirectURIs),
		BackchannelLogoutURI: c.BackchannelLogoutURI, FrontchannelLogoutURI: c.FrontchannelLogoutURI,
		MinimumACR: c.MinimumACR, ClaimProfile: c.ClaimProfile, Agency: c.Agency, PurposeVI: c.PurposeVI,
		PurposeEN: c.PurposeEN, PrivacyURLVI: c.PrivacyURLVI, PrivacyURLEN: c.PrivacyURLEN, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt}
}

type secretJSON struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type businessJSON struct {
	TaxCode         string               `json:"tax_code"`
	Name            string               `json:"name"`
	Representatives []representationJSON `json:"representatives"`
}

type directoryJSON struct {
	Name       string     `json:"name"`
	Agency     string     `json:"agency"`
	URLs       []string   `json:"urls"`
	Accounts   int        `json:"accounts"`
	Disabled   int        `json:"disabled"`
	Entries    int        `json:"entries"`
	SyncedAt   *time.Time `json:"synced_at,omitempty"`
	FullSyncAt *time.Time `json:"full_sync_at,omitempty"`
	HighWater  string     `json:"high_water,omitempty"`
	// Breaker is the directory's circuit breaker on the node that answered.
	Breaker *breakerJSON `json:"breaker,omitempty"`
}

type breakerJSON struct {
	State     string     `json:"state"`
	Failures  int        `json:"failures"`
	OpenUntil *time.Time `json:"open_until,omitempty"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func directoriesOut(ds []admin.DirectoryStatus) []directoryJSON {
	out := []directoryJSON{}
	for _, d := range ds {
		out = append(out, directoryJSON{Name: d.Name, Agency: d.Agency, URLs: orEmpty(d.URLs), Accounts: d.Accounts,
			Disabled: d.Disabled, Entries: d.Entries, SyncedAt: timeOrNil(d.SyncedAt), FullSyncAt: timeOrNil(d.FullSyncAt),
			HighWater: d.HighWater, Breaker: breakerOut(d.Breaker)})
	}
	return out
}

func breakerOut(b admin.DirectoryBreaker) *breakerJSON {
	if b.State == "" {
		return nil
	}
	return &breakerJSON{State: b.State, Failures: b.Failures, OpenUntil: timeOrNil(b.OpenUntil)}
}

type serverCheckJSON struct {
	URL   string `json:"url"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

type syncJSON struct {
	Directory string  `json:"directory"`
	Full      bool    `json:"full"`
	Seen      int     `json:"seen"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Disabled  int     `json:"disabled"`
	Enabled   int     `json:"enabled"`
	Skipped   int     `json:"skipped"`
	Seconds   float64 `json:"seconds"`
}

type deliveryJSON struct {
	ID            int64     `json:"id"`
	ClientID      string    `json:"client_id"`
	URI           string    `json:"uri"`
	Subject       string    `json:"subject"`
	SessionID     string    `json:"session_id"`
	Reason        string    `json:"reason"`
	State         string    `json:"state"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type keyJSON struct {
	ID        string     `json:"kid"`
	Algorithm string     `json:"alg"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	AgeDays   int        `json:"age_days"`
}

func keyOut(k admin.KeyInfo, now time.Time) keyJSON {
	return keyJSON{ID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt, RetiredAt: timeOrNil(k.RetiredAt),
		AgeDays: int(now.Sub(k.CreatedAt).Hours() / 24)}
}

type countRow struct {
	Hour   time.Time `json:"hour"`
	Type   string    `json:"type"`
	Method string    `json:"method,omitempty"`
	N      int       `json:"n"`
}

type dashboardJSON struct {
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	Logins      []countRow       `json:"logins"`
	Lockouts    []countRow       `json:"lockouts"`
	LogoutQueue map[string]int64 `json:"logout_queue"`
	Directories []directoryJSON  `json:"directories,omitempty"`
	Keys        []keyJSON        `json:"keys,omitempty"`
}

// --- request bodies ---

type accountCreate struct {
	Kind       string `json:"kind"`
	PersonalID string `json:"personal_id"`
	Name       string `json:"name"`
	Birthdate  string `json:"birthdate"`
	Gender     string `json:"gender"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	Username   string `json:"username"`
	Agency     string `json:"agency"`
	Department string `json:"department"`
	Title      string `json:"title"`
	Password   string `json:"password"`
	Evidence   string `json:"evidence"`
	Document   string `json:"document"`
	By         string `json:"by"`
	Source     string `json:"source"`
}

type lockRequest struct {
	Reason string `json:"reason"`
}

type passwordRequest struct {
	Password string `json:"password"`
}

type verifyRequest struct {
	PersonalID string `json:"personal_id"`
	Evidence   string `json:"evidence"`
	Document   string `json:"document"`
	By         string `json:"by"`
	Source     string `json:"source"`
}

type grantRequest struct {
	Role     string `json:"role"`
	Agency   string `json:"agency"`
	SubUnits bool   `json:"sub_units"`
}

type revokeRequest struct {
	Role   string `json:"role"`
	Agency string `json:"agency"`
}

type linkRequest struct {
	TaxCode      string `json:"tax_code"`
	BusinessName string `json:"business_name"`
	Role         string `json:"role"`
}

// clientRequest is a client to create (every field but name optional) or
// the settings to change (only the fields present change).
type clientRequest struct {
	ClientID               *string   `json:"client_id"`
	Name                   *string   `json:"name"`
	Public                 *bool     `json:"public"`
	FirstParty             *bool     `json:"first_party"`
	RedirectURIs           *[]string `json:"redirect_uris"`
	GrantTypes             *[]string `json:"grant_types"`
	Scopes                 *[]string `json:"scopes"`
	Audience               *[]string `json:"audience"`
	IDTokenAlgorithm       *string   `json:"id_token_signed_response_alg"`
	AccessTokenFormat      *string   `json:"access_token_format"`
	AuthMethod             *string   `json:"token_endpoint_auth_method"`
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI   *string   `json:"backchannel_logout_uri"`
	FrontchannelLogoutURI  *string   `json:"frontchannel_logout_uri"`
	MinimumACR             *string   `json:"minimum_acr"`
	ClaimProfile           *string   `json:"claim_profile"`
	Agency                 *string   `json:"agency"`
	PurposeVI              *string   `json:"purpose_vi"`
	PurposeEN              *string   `json:"purpose_en"`
	PrivacyURLVI           *string   `json:"privacy_url_vi"`
	PrivacyURLEN           *string   `json:"privacy_url_en"`
}

// apply sets the fields present in q on s.
func (q *clientRequest) apply(s *admin.ClientSpec) {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	list := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = *v
		}
	}
	str(&s.ID, q.ClientID)
	str(&s.Name, q.Name)
	if q.Public != nil {
		s.Public = *q.Public
	}
	if q.FirstParty != nil {
		s.FirstParty = *q.FirstParty
	}
	list(&s.RedirectURIs, q.RedirectURIs)
	list(&s.GrantTypes, q.GrantTypes)
	list(&s.Scopes, q.Scopes)
	list(&s.Audience, q.Audience)
	str(&s.IDTokenAlgorithm, q.IDTokenAlgorithm)
	str(&s.AccessTokenFormat, q.AccessTokenFormat)
	str(&s.TokenEndpointAuthMethod, q.AuthMethod)
	list(&s.PostLogoutRedirectURIs, q.PostLogoutRedirectURIs)
	str(&s.BackchannelLogoutURI, q.BackchannelLogoutURI)
	str(&s.FrontchannelLogoutURI, q.FrontchannelLogoutURI)
	str(&s.MinimumACR, q.MinimumACR)
	str(&s.ClaimProfile, q.ClaimProfile)
	str(&s.Agency, q.Agency)
	str(&s.PurposeVI, q.PurposeVI)
	str(&s.PurposeEN, q.PurposeEN)
	str(&s.PrivacyURLVI, q.PrivacyURLVI)
	str(&s.PrivacyURLEN, q.PrivacyURLEN)
}

type syncRequest struct {
	Full bool `json:"full"`
}

type rotateKeysRequest struct {
	Algorithm string `json:"algorithm"`
}

// --- handlers ---

func (c *call) account() (*identity.Account, error) {
	return c.svc.FindAccount(c.r.Context(), c.r.PathValue("id"))
}

// intParam reads an integer query parameter (0 when absent).
func (c *call) intParam(name string) (int, error) {
	v := c.r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalid(name, "must be an integer")
	}
	return n, nil
}

func searchAccounts(c *call) (any, error) {
	q := c.r.URL.Query()
	limit, err := c.intParam("limit")
	if err != nil {
		return nil, err
	}
	offset, err := c.intParam("offset")
	if err != nil {
		return nil, err
	}
	aq := admin.AccountQuery{Text: q.Get("q"), Kind: identity.Capacity(q.Get("kind")),
		Agency: q.Get("agency"), Limit: limit, Offset: offset, After: q.Get("after")}
	as, err := c.svc.SearchAccounts(c.r.Context(), aq)
	if err != nil {
		return nil, err
	}
	out := []accountJSON{}
	for _, a := range as {
		out = append(out, accountOut(a))
	}
	page := aq.Limit
	if page == 0 {
		page = 50 // SearchAccounts' default
	}
	if n := len(as); n > 0 && n == page {
		// A full page: the next one starts after its last person.
		c.w.Header().Set("Next-Cursor", store.AccountCursor(as[n-1]))
	}
	return out, nil
}

func createAccount(c *call) (any, error) {
	var in accountCreate
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	kind := identity.Capacity(in.Kind)
	if kind != identity.CapacityCitizen && kind != identity.CapacityOfficial {
		return nil, invalid("kind", "must be citizen or official")
	}
	a, linked, err := c.svc.CreateAccount(c.r.Context(), admin.AccountSpec{Kind: kind, PersonalID: in.PersonalID,
		FullName: in.Name, Birthdate: in.Birthdate, Gender: in.Gender, Email: in.Email, Phone: in.Phone,
		Username: in.Username, Agency: in.Agency, Department: in.Department, Title: in.Title, Password: in.Password,
		Evidence: admin.Evidence{Method: in.Evidence, Document: in.Document, By: in.By, Source: in.Source}}, c.now)
	if err != nil {
		return nil, err
	}
	return createdAccount{Account: accountOut(a), Linked: linked}, nil
}

func getPerson(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	v, err := c.svc.Person(c.r.Context(), a)
	if err != nil {
		return nil, err
	}
	out := personJSON{Account: accountOut(v.Account), Roles: grantsOut(v.Roles), Businesses: []representationJSON{},
		Factors: []factorJSON{}, Sessions: sessionsOut(v.Sessions), Consents: []consentJSON{},
		Lock: lockJSON{Disabled: v.Lock.Disabled, DisabledReason: v.Lock.DisabledReason,
			TemporarilyLocked: orEmpty(v.Lock.TemporarilyLocked), Failures: v.Lock.Failures}, Recent: auditOut(v.Recent)}
	for _, b := range v.Businesses {
		out.Businesses = append(out.Businesses, representationOut(b))
	}
	for _, f := range v.Factors {
		out.Factors = append(out.Factors, factorJSON{Kind: f.Kind, Name: f.Name, CreatedAt: f.CreatedAt})
	}
	for _, x := range v.Consents {
		out.Consents = append(out.Consents, consentJSON{ClientID: x.ClientID, Scopes: orEmpty(x.Scopes), GrantedAt: x.GrantedAt})
	}
	return out, nil
}

func lockAccount(c *call) (any, error) {
	var in lockRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if len(in.Reason) > 500 {
		return nil, invalid("reason", "at most 500 characters")
	}
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	return nil, c.svc.Lock(c.r.Context(), a, in.Reason)
}

func unlockAccount(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	return nil, c.svc.Unlock(c.r.Context(), a)
}

func setPassword(c *call) (any, error) {
	var in passwordRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	return nil, c.svc.SetPassword(c.r.Context(), a, in.Password)
}

func resetFactors(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	n, err := c.svc.ResetFactors(c.r.Context(), a)
	if err != nil {
		return nil, err
	}
	return countJSON{N: n}, nil
}

func listSessions(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	ss, err := c.svc.ListSessions(c.r.Context(), a)
	if err != nil {
		return nil, err
	}
	return sessionsOut(ss), nil
}

func endSessions(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	n, err := c.svc.EndSessions(c.r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	return countJSON{N: n}, nil
}

func endSession(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	return nil, c.svc.EndSession(c.r.Context(), a, c.r.PathValue("sid"))
}

func verifyPersonalID(c *call) (any, error) {
	var in verifyRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	got, _, err := c.svc.VerifyPersonalID(c.r.Context(), a, in.PersonalID,
		admin.Evidence{Method: in.Evidence, Document: in.Document, By: in.By, Source: in.Source}, c.now)
	if err != nil {
		return nil, err
	}
	return accountOut(got), nil
}

func listRoles(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	gs, err := c.svc.RolesOf(c.r.Context(), a)
	if err != nil {
		return nil, err
	}
	return grantsOut(gs), nil
}

func grantRole(c *call) (any, error) {
	var in grantRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	g, err := c.svc.GrantRole(c.r.Context(), a, admin.GrantSpec{Role: in.Role, Agency: in.Agency, SubUnits: in.SubUnits})
	if f, ok := store.IsConflict(err); ok {
		return nil, invalid(f, "the person already holds this role in this agency")
	}
	if err != nil {
		return nil, err
	}
	return grantsOut([]*store.RoleGrant{g})[0], nil
}

func revokeRole(c *call) (any, error) {
	var in revokeRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	return nil, c.svc.RevokeRole(c.r.Context(), a, in.Role, in.Agency)
}

func linkRepresentative(c *call) (any, error) {
	var in linkRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	rep, err := c.svc.LinkRepresentative(c.r.Context(), a, in.TaxCode, in.BusinessName, in.Role)
	if err != nil {
		return nil, err
	}
	return representationOut(rep), nil
}

func unlinkRepresentative(c *call) (any, error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	return nil, c.svc.UnlinkRepresentative(c.r.Context(), a, c.r.PathValue("tax_code"))
}

func getBusiness(c *call) (any, error) {
	v, err := c.svc.Business(c.r.Context(), c.r.PathValue("tax_code"))
	if err != nil {
		return nil, err
	}
	out := businessJSON{TaxCode: string(v.Business.TaxCode), Name: v.Business.Name, Representatives: []representationJSON{}}
	for _, r := range v.Representatives {
		j := representationOut(r.Representation)
		j.Name = r.Name
		out.Representatives = append(out.Representatives, j)
	}
	return out, nil
}

func listClients(c *call) (any, error) {
	cs, err := c.svc.ListClients(c.r.Context())
	if err != nil {
		return nil, err
	}
	out := []clientJSON{}
	for _, x := range cs {
		out = append(out, clientOut(x, ""))
	}
	return out, nil
}

func createClient(c *call) (any, error) {
	var in clientRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var spec admin.ClientSpec
	in.apply(&spec)
	cl, secret, err := c.svc.CreateClient(c.r.Context(), spec)
	if err != nil {
		return nil, err
	}
	return clientOut(cl, secret), nil
}

func getClient(c *call) (any, error) {
	cl, err := c.svc.GetClient(c.r.Context(), c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return clientOut(cl, ""), nil
}

func editClient(c *call) (any, error) {
	var in clientRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	cl, err := c.svc.PatchClient(c.r.Context(), c.r.PathValue("id"), in.apply)
	if err != nil {
		return nil, err
	}
	return clientOut(cl, ""), nil
}

func deleteClient(c *call) (any, error) {
	return nil, c.svc.DeleteClient(c.r.Context(), c.r.PathValue("id"))
}

func rotateSecret(c *call) (any, error) {
	id := c.r.PathValue("id")
	secret, err := c.svc.RotateSecret(c.r.Context(), id)
	if err != nil {
		return nil, err
	}
	return secretJSON{ClientID: id, ClientSecret: secret}, nil
}

func listDirectories(c *call) (any, error) {
	ds, err := c.svc.Directories(c.r.Context())
	if err != nil {
		return nil, err
	}
	return directoriesOut(ds), nil
}

func testDirectory(c *call) (any, error) {
	checks, err := c.svc.TestDirectory(c.r.Context(), c.r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	out := []serverCheckJSON{}
	for _, x := range checks {
		out = append(out, serverCheckJSON{URL: x.URL, OK: x.OK, Error: x.Error})
	}
	return out, nil
}

func syncDirectory(c *call) (any, error) {
	var in syncRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ctx, name := c.r.Context(), c.r.PathValue("name")
	if strings.Contains(c.r.Header.Get("Accept"), "application/jsonl") {
		return streamed{contentType: "application/jsonl; charset=utf-8", check: func() error {
			return c.svc.AllowDirectorySync(ctx, name)
		}, write: func(w io.Writer, problemOf func(error) *problem) error {
			return streamSync(c, w, name, in.Full, problemOf)
		}}, nil
	}
	r, err := c.svc.SyncDirectory(ctx, name, in.Full, nil)
	if err != nil {
		return nil, err
	}
	return syncOut(r), nil
}

func syncOut(r *admin.SyncResult) syncJSON {
	return syncJSON{Directory: r.Directory, Full: r.Full, Seen: r.Seen, Created: r.Created,
		Updated: r.Updated, Disabled: r.Disabled, Enabled: r.Enabled, Skipped: r.Skipped, Seconds: r.Duration.Seconds()}
}

// syncProgress is a line of a streamed synchronisation: progress while it
// runs ({"done","total"}), then its result or its problem.
type syncProgress struct {
	Done    int       `json:"done"`
	Total   int       `json:"total"`
	Result  *syncJSON `json:"result,omitempty"`
	Problem *problem  `json:"problem,omitempty"`
}

// streamSync runs the synchronisation, writing a progress line at most
// every 200 ms and at the end, then the result (or the problem) as the last
// line.
func streamSync(c *call, w io.Writer, name string, full bool, problemOf func(error) *problem) error {
	enc := json.NewEncoder(w)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	var last time.Time
	var done, total int
	r, err := c.svc.SyncDirectory(c.r.Context(), name, full, func(d, t int) {
		done, total = d, t
		if now := time.Now(); now.Sub(last) >= 200*time.Millisecond || d == t {
			last = now
			_ = enc.Encode(syncProgress{Done: d, Total: t})
			flush()
		}
	})
	if err != nil {
		p := problemOf(err)
		return enc.Encode(syncProgress{Done: done, Total: total, Problem: p})
	}
	out := syncOut(r)
	err = enc.Encode(syncProgress{Done: r.Seen, Total: r.Seen, Result: &out})
	flush()
	return err
}

func listDeliveries(c *call) (any, error) {
	limit, err := c.intParam("limit")
	if err != nil {
		return nil, err
	}
	ds, err := c.svc.LogoutDeliveries(c.r.Context(), c.r.URL.Query().Get("status"), limit)
	if err != nil {
		return nil, err
	}
	out := []deliveryJSON{}
	for _, d := range ds {
		out = append(out, deliveryJSON{ID: d.ID, ClientID: d.ClientID, URI: d.URI, Subject: d.Subject, SessionID: d.SessionID,
			Reason: d.Reason, State: d.State, Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastError: d.LastError,
			CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt})
	}
	return out, nil
}

func listKeys(c *call) (any, error) {
	ks, err := c.svc.SigningKeys(c.r.Context())
	if err != nil {
		return nil, err
	}
	out := []keyJSON{}
	for _, k := range ks {
		out = append(out, keyOut(k, c.now))
	}
	return out, nil
}

func rotateKeys(c *call) (any, error) {
	var in rotateKeysRequest
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	k, err := c.svc.RotateKeys(c.r.Context(), in.Algorithm)
	if err != nil {
		return nil, err
	}
	return keyOut(k, c.now), nil
}

func searchAudit(c *call) (any, error) {
	aq, err := auditQuery(c)
	if err != nil {
		return nil, err
	}
	es, err := c.svc.SearchAudit(c.r.Context(), aq)
	if err != nil {
		return nil, err
	}
	return auditOut(es), nil
}

// exportFile is the body of an export: JSON lines or CSV, not JSON.
type exportFile string

func exportAudit(c *call) (any, error) {
	aq, err := auditQuery(c)
	if err != nil {
		return nil, err
	}
	f := c.r.URL.Query().Get("format")
	if f == "" {
		f = string(audit.ExportJSONLines)
	}
	format, err := audit.ParseExportFormat(f)
	if err != nil {
		return nil, invalid("format", "must be jsonl or csv")
	}
	// The scope is checked before the first byte: a refusal is still a problem.
	return streamed{contentType: format.ContentType(), filename: "audit." + string(format),
		write: func(w io.Writer, _ func(error) *problem) error {
			_, err := c.svc.ExportAudit(c.r.Context(), aq, format, w)
			return err
		}, check: func() error { return c.svc.AllowAuditExport(c.r.Context(), aq) }}, nil
}

// auditQuery reads the filters of an audit search from the query.
func auditQuery(c *call) (admin.AuditQuery, error) {
	q := c.r.URL.Query()
	limit, err := c.intParam("limit")
	if err != nil {
		return admin.AuditQuery{}, err
	}
	offset, err := c.intParam("offset")
	if err != nil {
		return admin.AuditQuery{}, err
	}
	before, err := c.intParam("before")
	if err != nil {
		return admin.AuditQuery{}, err
	}
	aq := admin.AuditQuery{Subject: q.Get("subject"), Actor: q.Get("actor"), ClientID: q.Get("client_id"),
		Type: q.Get("type"), Address: q.Get("address"), Limit: limit, Offset: offset, Before: int64(before)}
	for name, dst := range map[string]*time.Time{"from": &aq.From, "to": &aq.To} {
		if v := strings.TrimSpace(q.Get(name)); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return admin.AuditQuery{}, invalid(name, "must be an RFC 3339 time, such as 2026-01-31T08:00:00+07:00")
			}
			*dst = t
		}
	}
	return aq, nil
}

func dashboard(c *call) (any, error) {
	v, err := c.svc.Dashboard(c.r.Context(), c.now)
	if err != nil {
		return nil, err
	}
	rows := func(cs []store.AuditCount) []countRow {
		out := []countRow{}
		for _, x := range cs {
			out = append(out, countRow{Hour: x.Hour, Type: x.Type, Method: x.Method, N: x.N})
		}
		return out
	}
	out := dashboardJSON{From: v.From, To: v.To, Logins: rows(v.Logins), Lockouts: rows(v.Lockouts), LogoutQueue: v.LogoutQueue}
	if v.Directories != nil {
		out.Directories = directoriesOut(v.Directories)
	}
	for _, k := range v.Keys {
		out.Keys = append(out.Keys, keyOut(k, c.now))
	}
	return out, nil
}
