package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// Role is an administrative role, held per agency (see store.RoleGrant).
//
//   - super_admin: everything, over the whole province.
//   - agency_admin: the officials, directories and applications of the
//     agency (and of its sub-units when the grant says so), and the
//     helpdesk's actions on them; grants helpdesk and auditor in its scope.
//   - helpdesk: find a person, unlock, reset second factors, end sessions,
//     record in-person identity proofing, link representatives of a
//     business. On citizens anywhere in the province, and on the officials
//     of its scope. Never sees a secret.
//   - auditor: reads the audit log of its scope, nothing else.
type Role string

// The roles.
const (
	RoleSuperAdmin  Role = store.RoleSuperAdmin
	RoleAgencyAdmin Role = store.RoleAgencyAdmin
	RoleHelpdesk    Role = store.RoleHelpdesk
	RoleAuditor     Role = store.RoleAuditor
)

// Roles lists the roles, widest first.
var Roles = []Role{RoleSuperAdmin, RoleAgencyAdmin, RoleHelpdesk, RoleAuditor}

// ParseRole parses a role's name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (one of super_admin, agency_admin, helpdesk, auditor)", s)
}

// Permission names what an administrative action does, for the role check.
type Permission string

// The permissions. Those in destructive need a fresh authentication.
const (
	PermAccountRead     Permission = "account.read"     // search, show a person
	PermAccountCreate   Permission = "account.create"   // create an account
	PermAccountLock     Permission = "account.lock"     // lock an account
	PermAccountUnlock   Permission = "account.unlock"   // unlock, clear the brute-force counters
	PermAccountPassword Permission = "account.password" // set a password
	PermAccountFactors  Permission = "account.factors"  // remove every second factor
	PermAccountSessions Permission = "account.sessions" // end a person's sessions
	PermAccountProofing Permission = "account.proofing" // record an identity proof
	PermBusinessRead    Permission = "business.read"    // show businesses and representatives
	PermBusinessWrite   Permission = "business.write"   // link or unlink a representative
	PermClientRead      Permission = "client.read"      // show applications
	PermClientWrite     Permission = "client.write"     // create, edit, rotate a secret
	PermClientDelete    Permission = "client.delete"    // delete an application
	PermDirectoryRead   Permission = "directory.read"   // directory status and test
	PermDirectorySync   Permission = "directory.sync"   // run a synchronisation
	PermSessionRead     Permission = "session.read"     // list sessions and logout deliveries
	PermKeysRead        Permission = "keys.read"        // list signing keys
	PermKeysRotate      Permission = "keys.rotate"      // rotate signing keys
	PermAuditRead       Permission = "audit.read"       // search and export the audit log
	PermRoleRead        Permission = "role.read"        // list who holds which role
	PermRoleGrant       Permission = "role.grant"       // grant or revoke a role
)

// destructive are the permissions whose actions need the actor to have
// authenticated again recently (Policy.ReauthMaxAge).
var destructive = map[Permission]bool{
	PermAccountLock: true, PermAccountPassword: true, PermAccountFactors: true, PermAccountProofing: true,
	PermBusinessWrite: true, PermClientWrite: true, PermClientDelete: true, PermKeysRotate: true, PermRoleGrant: true,
}

// Destructive reports whether actions of the permission need a fresh
// authentication.
func Destructive(p Permission) bool { return destructive[p] }

// rolePermissions are what each role may do (within its scope).
var rolePermissions = map[Role][]Permission{
	RoleAgencyAdmin: {PermAccountRead, PermAccountCreate, PermAccountLock, PermAccountUnlock, PermAccountPassword,
		PermAccountFactors, PermAccountSessions, PermAccountProofing, PermClientRead, PermClientWrite, PermClientDelete,
		PermDirectoryRead, PermDirectorySync, PermSessionRead, PermAuditRead, PermRoleRead, PermRoleGrant},
	RoleHelpdesk: {PermAccountRead, PermAccountUnlock, PermAccountFactors, PermAccountSessions, PermAccountProofing,
		PermBusinessRead, PermBusinessWrite},
	RoleAuditor: {PermAuditRead},
}

// Allows reports whether the role may act under the permission somewhere.
func (r Role) Allows(p Permission) bool {
	return r == RoleSuperAdmin || slices.Contains(rolePermissions[r], p)
}

// Agencies is the tree of agencies (cơ quan) and their sub-units, from the
// configuration: parent by agency name. An agency not in it has no parent.
type Agencies map[string]string

// Within reports whether agency is scope or, when subUnits is set, one of
// scope's sub-units at any depth. The scope "" is the whole province.
func (t Agencies) Within(agency, scope string, subUnits bool) bool {
	if scope == "" || agency == scope {
		return true
	}
	if !subUnits || agency == "" {
		return false
	}
	seen := map[string]bool{}
	for a := t[agency]; a != "" && !seen[a]; a = t[a] {
		if a == scope {
			return true
		}
		seen[a] = true
	}
	return false
}

// Principal is the administrator an action is taken for: who, through
// which means, with which session level. Build it with Service.PrincipalFor.
type Principal struct {
	AccountID string
	Name      string
	Grants    []*store.RoleGrant
	// ACR and AuthTime are those of the session or token the request came
	// with: the level and the time of the last authentication.
	ACR      string
	AuthTime time.Time
	// Via is "console" or "api".
	Via string
	// Address is the client address of the request, for the audit log.
	Address string
}

// Holds reports whether the principal holds the role anywhere.
func (p *Principal) Holds(r Role) bool {
	return slices.ContainsFunc(p.Grants, func(g *store.RoleGrant) bool { return Role(g.Role) == r })
}

// Target is what an action is taken on, for the scope check. Zero: nothing
// of an agency (a province-wide thing: signing keys, the audit log of
// everyone, a province-wide application).
type Target struct {
	// Agency is the agency the target belongs to ("" = province-wide).
	Agency string
	// Citizen marks a person who is no official: the helpdesk serves them
	// wherever its agency is.
	Citizen bool
	// Grants are the roles the target person holds: only a wider
	// administrator may act on an administrator.
	Grants []*store.RoleGrant
	// Ref names the target in the audit row of a refusal.
	Ref string
}

// AccountTarget is the scope of an action on the account.
func (s *Service) AccountTarget(ctx context.Context, a *identity.Account) (Target, error) {
	t := Target{Ref: a.ID, Citizen: a.Official == nil}
	if a.Official != nil {
		t.Agency = a.Official.Agency
	}
	// Read the roles, not a.Admin: the account may be an older copy.
	g, err := s.Store.RolesOf(ctx, a.ID)
	if err != nil {
		return t, err
	}
	t.Grants = g
	return t, nil
}

// DeniedError is an administrative action refused to its principal.
type DeniedError struct {
	Permission Permission
	// Reason: "role" (no role allows it), "scope" (not on this target),
	// "level" (the session is below LoA2) or "reauthenticate" (a
	// destructive action without a recent authentication).
	Reason string
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("admin: %s refused (%s)", e.Permission, e.Reason)
}

// IsDenied reports whether err is a *DeniedError and returns it.
func IsDenied(err error) (*DeniedError, bool) {
	var d *DeniedError
	ok := errors.As(err, &d)
	return d, ok
}

// Policy is what every administrative session must meet.
type Policy struct {
	// Agencies is the tree of agencies for grants with sub-units.
	Agencies Agencies
	// ReauthMaxAge is how recent the authentication behind a destructive
	// action must be (mfa.reauthentication_max_age).
	ReauthMaxAge time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (p Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Principal returns the principal the service acts for, nil for the
// command line (an operator with a shell on the server may do everything).
func (s *Service) Principal() *Principal { return s.principal }

// As returns a copy of the service that acts for p: every operation checks
// p's roles, scope, level and freshness first, and records p as the actor.
func (s *Service) As(p *Principal) *Service {
	c := *s
	c.principal = p
	c.Actor = p.AccountID
	return &c
}

// PrincipalFor builds the principal of an authenticated request: the
// account's grants, with the level and time of its authentication. It
// returns a *DeniedError{Reason: "role"} when the account holds no role, or
// is locked.
func (s *Service) PrincipalFor(ctx context.Context, accountID, acr string, authTime time.Time, via, address string) (*Principal, error) {
	a, err := s.Store.GetAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	grants, err := s.Store.RolesOf(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if len(grants) == 0 || a.Disabled {
		return nil, &DeniedError{Permission: "admin", Reason: "role"}
	}
	return &Principal{AccountID: accountID, Name: a.FullName, Grants: grants, ACR: acr, AuthTime: authTime,
		Via: via, Address: address}, nil
}

// Allow checks that the service's principal may act under perm on t: a
// role that allows perm with a scope that covers t, a session at LoA2 or
// above, and for a destructive permission an authentication within
// Policy.ReauthMaxAge. A refusal is audited (admin.denied) and returned as
// a *DeniedError. The command line (no principal) may do everything.
func (s *Service) Allow(ctx context.Context, perm Permission, t Target) error {
	p := s.principal
	if p == nil {
		return nil
	}
	reason := s.refusal(p, perm, t)
	if reason == "" {
		return nil
	}
	_ = s.recorder.Record(ctx, audit.Entry{Event: audit.AdminDenied, Actor: p.AccountID, Subject: subjectOf(t),
		Address: p.Address, Details: map[string]string{"permission": string(perm), "reason": reason,
			"agency": t.Agency, "via": p.Via}})
	return &DeniedError{Permission: perm, Reason: reason}
}

func subjectOf(t Target) string {
	if identity.ValidSubject(t.Ref) {
		return t.Ref
	}
	return ""
}

// refusal is why p may not act under perm on t, "" when it may.
func (s *Service) refusal(p *Principal, perm Permission, t Target) string {
	if !slices.ContainsFunc(p.Grants, func(g *store.RoleGrant) bool { return Role(g.Role).Allows(perm) }) {
		return "role"
	}
	if !s.covers(p, perm, t) {
		return "scope"
	}
	if authn.Rank(p.ACR) < authn.Rank(authn.LoA2) {
		return "level"
	}
	if Destructive(perm) && (p.AuthTime.IsZero() || s.Policy.now().Sub(p.AuthTime) > s.Policy.ReauthMaxAge) {
		return "reauthenticate"
	}
	return ""
}

// covers reports whether one of p's grants that allows perm covers t.
func (s *Service) covers(p *Principal, perm Permission, t Target) bool {
	for _, g := range p.Grants {
		r := Role(g.Role)
		if !r.Allows(perm) {
			continue
		}
		if r == RoleSuperAdmin && g.Agency == "" {
			return true
		}
		if !s.outranks(p, g, t.Grants) {
			continue
		}
		inScope := s.Policy.Agencies.Within(t.Agency, g.Agency, g.SubUnits) && (t.Agency != "" || g.Agency == "")
		if inScope || (t.Citizen && r == RoleHelpdesk) {
			return true
		}
	}
	return false
}

// outranks reports whether the grant g may act on a person holding the
// target grants: nobody but a province-wide super_admin acts on a
// super_admin or an agency_admin, and an agency_admin acts on helpdesk and
// auditor holders of its scope only.
func (s *Service) outranks(p *Principal, g *store.RoleGrant, target []*store.RoleGrant) bool {
	for _, tg := range target {
		switch Role(tg.Role) {
		case RoleSuperAdmin, RoleAgencyAdmin:
			return false
		}
		if Role(g.Role) != RoleAgencyAdmin && Role(g.Role) != RoleSuperAdmin {
			return false
		}
		if !s.Policy.Agencies.Within(tg.Agency, g.Agency, g.SubUnits) || (tg.Agency == "" && g.Agency != "") {
			return false
		}
	}
	return true
}

// GrantSpec is a role to grant.
type GrantSpec struct {
	Role     string
	Agency   string // "" = the whole province
	SubUnits bool
}

// GrantRole gives the account a role in an agency. A province-wide
// super_admin grants every role; an agency_admin grants helpdesk and auditor
// in its scope. Bad input is Problems; a held grant is a
// *store.ConflictError{"role"}.
func (s *Service) GrantRole(ctx context.Context, a *identity.Account, spec GrantSpec) (*store.RoleGrant, error) {
	var p Problems
	r, err := ParseRole(spec.Role)
	if err != nil {
		p.add("role", "%v", err)
	}
	agency := strings.TrimSpace(spec.Agency)
	if r == RoleSuperAdmin && agency != "" {
		p.add("agency", "super_admin is held over the whole province: give no agency")
	}
	if (r == RoleAgencyAdmin || r == RoleHelpdesk) && agency == "" {
		p.add("agency", "an %s role is held in an agency: give its name", r)
	}
	if spec.SubUnits && agency == "" {
		p.add("sub_units", "sub-units need an agency")
	}
	if len(agency) > 200 {
		p.add("agency", "at most 200 characters")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := s.allowGrant(ctx, r, agency, spec.SubUnits, a.ID); err != nil {
		return nil, err
	}
	g := &store.RoleGrant{AccountID: a.ID, Role: string(r), Agency: agency, SubUnits: spec.SubUnits,
		GrantedBy: s.Actor, GrantedAt: s.Policy.now().UTC()}
	if err := s.Store.GrantRole(ctx, g); err != nil {
		return nil, err
	}
	s.audit(ctx, audit.RoleGrant, a.ID, "", map[string]string{"role": string(r), "agency": agency,
		"sub_units": boolText(spec.SubUnits)})
	return g, nil
}

// RevokeRole takes the account's role in the agency away, under the same
// rule as GrantRole. ErrNotFound: the account does not hold it.
func (s *Service) RevokeRole(ctx context.Context, a *identity.Account, role, agency string) error {
	r, err := ParseRole(role)
	if err != nil {
		return Problems{{Field: "role", Message: err.Error()}}
	}
	agency = strings.TrimSpace(agency)
	grants, err := s.Store.RolesOf(ctx, a.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(grants, func(g *store.RoleGrant) bool { return g.Role == string(r) && g.Agency == agency })
	if i < 0 {
		return store.ErrNotFound
	}
	if err := s.allowGrant(ctx, r, agency, grants[i].SubUnits, a.ID); err != nil {
		return err
	}
	if s.principal != nil && a.ID == s.principal.AccountID && r == RoleSuperAdmin && agency == "" {
		return Problems{{Field: "role", Message: "a super_admin cannot revoke their own role: another super_admin can"}}
	}
	if err := s.Store.RevokeRole(ctx, a.ID, string(r), agency); err != nil {
		return err
	}
	s.audit(ctx, audit.RoleRevoke, a.ID, "", map[string]string{"role": string(r), "agency": agency})
	return nil
}

// allowGrant checks that the principal may grant or revoke the role in the
// agency: role.grant, and a grant that is wider than the one given.
func (s *Service) allowGrant(ctx context.Context, r Role, agency string, subUnits bool, subject string) error {
	t := Target{Agency: agency, Ref: subject}
	if err := s.Allow(ctx, PermRoleGrant, t); err != nil {
		return err
	}
	p := s.principal
	if p == nil {
		return nil
	}
	for _, g := range p.Grants {
		switch {
		case Role(g.Role) == RoleSuperAdmin && g.Agency == "":
			return nil
		case Role(g.Role) == RoleAgencyAdmin && (r == RoleHelpdesk || r == RoleAuditor) && agency != "" &&
			s.Policy.Agencies.Within(agency, g.Agency, g.SubUnits) && (!subUnits || g.SubUnits):
			return nil
		}
	}
	_ = s.recorder.Record(ctx, audit.Entry{Event: audit.AdminDenied, Actor: p.AccountID, Subject: subject,
		Address: p.Address, Details: map[string]string{"permission": string(PermRoleGrant), "reason": "scope",
			"role": string(r), "agency": agency, "via": p.Via}})
	return &DeniedError{Permission: PermRoleGrant, Reason: "scope"}
}

// RolesOf returns the grants the account holds (role.read, or the
// principal's own).
func (s *Service) RolesOf(ctx context.Context, a *identity.Account) ([]*store.RoleGrant, error) {
	if s.principal != nil && s.principal.AccountID != a.ID {
		t, err := s.AccountTarget(ctx, a)
		if err != nil {
			return nil, err
		}
		t.Grants = nil // reading is not acting on them
		perm := PermAccountRead
		if s.refusal(s.principal, PermRoleRead, t) == "" {
			perm = PermRoleRead
		}
		if err := s.Allow(ctx, perm, t); err != nil {
			return nil, err
		}
	}
	return s.Store.RolesOf(ctx, a.ID)
}

// allowOn is Allow for an action on the account.
func (s *Service) allowOn(ctx context.Context, perm Permission, a *identity.Account) error {
	if s.principal == nil {
		return nil
	}
	t, err := s.AccountTarget(ctx, a)
	if err != nil {
		return err
	}
	return s.Allow(ctx, perm, t)
}

// allowOnID is Allow for an action on the account with the ID.
func (s *Service) allowOnID(ctx context.Context, perm Permission, accountID string) error {
	if s.principal == nil {
		return nil
	}
	a, err := s.Store.GetAccount(ctx, accountID)
	if err != nil {
		return err
	}
	return s.allowOn(ctx, perm, a)
}

// allowOnClient is Allow for an action on the client application with the ID.
func (s *Service) allowOnClient(ctx context.Context, perm Permission, id string) error {
	if s.principal == nil {
		return nil
	}
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return err
	}
	return s.Allow(ctx, perm, Target{Agency: c.Agency, Ref: c.ID})
}

// allowCreate checks that the principal may create the account the spec
// describes: account.create in the official's agency (or for a citizen),
// and, for an administrator (created as super_admin), the right to grant
// that role.
func (s *Service) allowCreate(ctx context.Context, spec AccountSpec) error {
	if s.principal == nil {
		return nil
	}
	t := Target{Citizen: spec.Kind != identity.CapacityOfficial}
	if !t.Citizen {
		t.Agency = strings.TrimSpace(spec.Agency)
	}
	if err := s.Allow(ctx, PermAccountCreate, t); err != nil {
		return err
	}
	if spec.Admin {
		return s.allowGrant(ctx, RoleSuperAdmin, "", false, "")
	}
	return nil
}
