package account

import (
	"context"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// ExportFormat names the format of the personal-data download.
const ExportFormat = "dinhdanh.personal-data.v1"

// PersonalDataExport is the "Download my data" file: what dinhdanh keeps
// about one person. It holds no secret: no password hash, no TOTP secret, no
// recovery code or its hash, no key, no session or token identifier, no
// client secret. Factors are listed by name and dates only.
type PersonalDataExport struct {
	Format     string    `json:"format"`
	ExportedAt time.Time `json:"exported_at"`
	Account    struct {
		Subject       string    `json:"sub"`
		FullName      string    `json:"full_name"`
		Birthdate     string    `json:"birthdate,omitempty"`
		Gender        string    `json:"gender,omitempty"`
		Locale        string    `json:"locale,omitempty"`
		Capacities    []string  `json:"capacities"`
		Disabled      bool      `json:"disabled"`
		HasPassword   bool      `json:"has_password"`
		CreatedAt     time.Time `json:"created_at"`
		UpdatedAt     time.Time `json:"updated_at"`
		Official      *official `json:"official,omitempty"`
		Administrator bool      `json:"administrator"`
	} `json:"account"`
	Identifiers        []exportIdentifier   `json:"identifiers"`
	Proofing           *exportProofing      `json:"personal_id_proofing,omitempty"`
	PrivacyAcceptances []exportAcceptance   `json:"privacy_notice_acceptances"`
	Businesses         []exportBusiness     `json:"businesses"`
	Factors            exportFactors        `json:"second_factors"`
	Certificates       []exportCertificate  `json:"certificates"`
	UpstreamLinks      []exportUpstream     `json:"upstream_links"`
	Sessions           []exportSession      `json:"sessions"`
	Consents           []exportConsent      `json:"consents"`
	ConsentHistory     []exportConsentEvent `json:"consent_history"`
	AuditEvents        []exportAuditEvent   `json:"audit_events"`
}

type official struct {
	Username   string   `json:"username,omitempty"`
	Agency     string   `json:"agency,omitempty"`
	Department string   `json:"department,omitempty"`
	Title      string   `json:"title,omitempty"`
	Directory  string   `json:"directory,omitempty"`
	Roles      []string `json:"roles,omitempty"`
	Groups     []string `json:"groups,omitempty"`
}

type exportIdentifier struct {
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Verified bool   `json:"verified"`
}

type exportProofing struct {
	State     string    `json:"state"`
	Method    string    `json:"method,omitempty"`
	Provider  string    `json:"provider,omitempty"`
	Assurance string    `json:"assurance,omitempty"`
	Document  string    `json:"document,omitempty"`
	By        string    `json:"recorded_by,omitempty"`
	At        time.Time `json:"at"`
}

type exportAcceptance struct {
	Version    string    `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
}

type exportBusiness struct {
	TaxCode   string    `json:"tax_code"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Since     time.Time `json:"since"`
	GrantedBy string    `json:"granted_by,omitempty"`
}

type exportFactors struct {
	AuthenticatorApp *struct {
		CreatedAt  time.Time `json:"created_at"`
		LastUsedAt time.Time `json:"last_used_at,omitzero"`
	} `json:"authenticator_app,omitempty"`
	SecurityKeys      []exportKey `json:"security_keys"`
	RecoveryCodesLeft int         `json:"recovery_codes_left"`
}

type exportKey struct {
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

type exportCertificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotAfter  time.Time `json:"not_after"`
	CreatedAt time.Time `json:"bound_at"`
}

type exportUpstream struct {
	Provider  string    `json:"provider"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"linked_at"`
}

type exportSession struct {
	StartedAt time.Time `json:"started_at"`
	LastSeen  time.Time `json:"last_seen"`
	AuthTime  time.Time `json:"auth_time"`
	Level     string    `json:"acr,omitempty"`
	Methods   []string  `json:"amr,omitempty"`
	Capacity  string    `json:"capacity,omitempty"`
	Address   string    `json:"address,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Upstream  string    `json:"upstream,omitempty"`
	Clients   []string  `json:"clients"`
}

type exportConsent struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
}

type exportConsentEvent struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Action     string    `json:"action"`
	Scopes     []string  `json:"scopes"`
	Time       time.Time `json:"time"`
}

type exportAuditEvent struct {
	Time     time.Time         `json:"time"`
	Type     string            `json:"type"`
	Actor    string            `json:"actor"`
	ClientID string            `json:"client_id,omitempty"`
	Address  string            `json:"address,omitempty"`
	Details  map[string]string `json:"details,omitempty"`
}

// maxExportedAuditEvents bounds the audit events of one download.
const maxExportedAuditEvents = 100000

// exportData gathers the download of the account accountID.
func (h *Handler) exportData(ctx context.Context, accountID string) (*PersonalDataExport, error) {
	acct, err := h.Store.GetAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	x := &PersonalDataExport{Format: ExportFormat, ExportedAt: h.Privacy.now().UTC()}
	a := &x.Account
	a.Subject, a.FullName, a.Birthdate, a.Gender, a.Locale = acct.ID, acct.FullName, acct.Birthdate, string(acct.Gender), acct.Locale
	a.Disabled, a.CreatedAt, a.UpdatedAt, a.Administrator = acct.Disabled, acct.CreatedAt, acct.UpdatedAt, acct.Admin
	a.Capacities = []string{}
	for _, c := range acct.Capacities() {
		a.Capacities = append(a.Capacities, string(c))
	}
	if _, err := h.Store.PasswordHash(ctx, acct.ID); err == nil {
		a.HasPassword = true
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	x.Identifiers = []exportIdentifier{}
	if acct.PersonalID != "" {
		x.Identifiers = append(x.Identifiers, exportIdentifier{"personal_id", string(acct.PersonalID), acct.Proofing.Verified()})
		p := acct.Proofing
		x.Proofing = &exportProofing{State: string(p.State), Method: string(p.Method), Provider: p.Provider,
			Assurance: p.Assurance, Document: p.Document, By: p.By, At: p.At}
		if x.Proofing.State == "" {
			x.Proofing.State = "unverified"
		}
	}
	if acct.Email != "" {
		x.Identifiers = append(x.Identifiers, exportIdentifier{"email", acct.Email, acct.EmailVerified})
	}
	if acct.Phone != "" {
		x.Identifiers = append(x.Identifiers, exportIdentifier{"phone", acct.Phone, acct.PhoneVerified})
	}
	if o := acct.Official; o != nil {
		a.Official = &official{Username: o.Username, Agency: o.Agency, Department: o.Department, Title: o.Title,
			Directory: o.Directory, Roles: o.Roles, Groups: o.Groups}
		if o.Username != "" {
			x.Identifiers = append(x.Identifiers, exportIdentifier{"username", o.Username, true})
		}
	}

	acc, err := h.Store.PrivacyAcceptances(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.PrivacyAcceptances = []exportAcceptance{}
	for _, p := range acc {
		x.PrivacyAcceptances = append(x.PrivacyAcceptances, exportAcceptance{p.Version, p.AcceptedAt})
	}
	reps, err := h.Store.Representations(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.Businesses = []exportBusiness{}
	for _, r := range reps {
		x.Businesses = append(x.Businesses, exportBusiness{string(r.TaxCode), r.BusinessName, string(r.Role), r.CreatedAt, r.GrantedBy})
	}
	if err := h.exportFactors(ctx, acct.ID, x); err != nil {
		return nil, err
	}
	certs, err := h.Store.CertificateBindings(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.Certificates = []exportCertificate{}
	for _, c := range certs {
		x.Certificates = append(x.Certificates, exportCertificate{c.Subject, c.Issuer, c.Serial, c.NotAfter, c.CreatedAt})
	}
	ups, err := h.Store.UpstreamLinksOf(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.UpstreamLinks = []exportUpstream{}
	for _, u := range ups {
		x.UpstreamLinks = append(x.UpstreamLinks, exportUpstream{u.Provider, u.Subject, u.CreatedAt})
	}
	live, err := h.Sessions.OfSubject(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.Sessions = []exportSession{}
	for _, s := range live {
		clients := append([]string{}, s.Clients...)
		x.Sessions = append(x.Sessions, exportSession{StartedAt: s.CreatedAt, LastSeen: s.LastSeen, AuthTime: s.AuthTime,
			Level: s.ACR, Methods: s.AMR, Capacity: s.Capacity, Address: s.Address, UserAgent: s.UserAgent,
			Upstream: s.Upstream, Clients: clients})
	}
	names := h.clientNames(ctx)
	consents, err := h.Store.ListConsents(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.Consents = []exportConsent{}
	for _, c := range consents {
		x.Consents = append(x.Consents, exportConsent{c.ClientID, names(c.ClientID), c.Scopes, c.GrantedAt})
	}
	history, err := h.Store.ConsentHistory(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	x.ConsentHistory = []exportConsentEvent{}
	for _, e := range history {
		x.ConsentHistory = append(x.ConsentHistory, exportConsentEvent{e.ClientID, names(e.ClientID), e.Action, e.Scopes, e.Time})
	}
	return x, h.exportAudit(ctx, acct.ID, x)
}

// exportFactors lists the account's second factors by name and dates.
func (h *Handler) exportFactors(ctx context.Context, accountID string, x *PersonalDataExport) error {
	totp, err := h.Store.GetTOTP(ctx, accountID)
	switch {
	case err == nil:
		x.Factors.AuthenticatorApp = &struct {
			CreatedAt  time.Time `json:"created_at"`
			LastUsedAt time.Time `json:"last_used_at,omitzero"`
		}{totp.CreatedAt, totp.LastUsedAt}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	keys, err := h.Store.WebAuthnCredentials(ctx, accountID)
	if err != nil {
		return err
	}
	x.Factors.SecurityKeys = []exportKey{}
	for _, k := range keys {
		x.Factors.SecurityKeys = append(x.Factors.SecurityKeys, exportKey{k.Name, k.CreatedAt, k.LastUsedAt})
	}
	x.Factors.RecoveryCodesLeft, err = h.Store.RecoveryCodesLeft(ctx, accountID)
	return err
}

// exportAudit adds the audit events about the account, oldest first.
func (h *Handler) exportAudit(ctx context.Context, accountID string, x *PersonalDataExport) error {
	var events []*store.AuditEvent
	var before int64
	for len(events) < maxExportedAuditEvents {
		page, err := h.Store.SearchAudit(ctx, store.AuditFilter{Subject: accountID, Limit: store.AuditMaxLimit, Before: before})
		if err != nil {
			return err
		}
		events = append(events, page...)
		if len(page) < store.AuditMaxLimit {
			break
		}
		before = page[len(page)-1].ID
	}
	x.AuditEvents = make([]exportAuditEvent, 0, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		x.AuditEvents = append(x.AuditEvents, exportAuditEvent{e.Time, e.Type, e.Actor, e.ClientID, e.Address, e.Details})
	}
	return nil
}
