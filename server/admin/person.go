package admin

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// PersonView is what an administrator sees of a person: never a secret,
// a password hash or a factor's key.
type PersonView struct {
	Account    *identity.Account
	Roles      []*store.RoleGrant
	Businesses []*identity.Representation
	Factors    []FactorInfo
	Sessions   []SessionInfo
	Consents   []*store.Consent
	Lock       LockStatus
	// Recent are the 20 newest audit events about the person.
	Recent []*store.AuditEvent
}

// FactorInfo names one second factor of a person.
type FactorInfo struct {
	// Kind is "totp", "recovery_codes", "passkey" or "security_key".
	Kind string
	// Name is what the person called it (a passkey), or the number of
	// recovery codes left.
	Name      string
	CreatedAt time.Time
}

// SessionInfo is one live SSO session of a person.
type SessionInfo struct {
	ID        string
	Capacity  string
	ACR       string
	Created   time.Time
	LastSeen  time.Time
	Clients   []string
	Address   string
	UserAgent string
}

// recentEvents is how many audit events Person shows.
const recentEvents = 20

// Person returns everything an administrator sees of the person
// (account.read on the account).
func (s *Service) Person(ctx context.Context, a *identity.Account) (*PersonView, error) {
	if err := s.allowOn(ctx, PermAccountRead, a); err != nil {
		return nil, err
	}
	v := &PersonView{Account: a}
	var err error
	if v.Roles, err = s.Store.RolesOf(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.Businesses, err = s.Store.Representations(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.Factors, err = s.factors(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.Sessions, err = s.sessions(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.Consents, err = s.Store.ListConsents(ctx, a.ID); err != nil {
		return nil, err
	}
	if v.Lock, err = s.Status(ctx, a); err != nil {
		return nil, err
	}
	if v.Recent, err = s.Store.ListAudit(ctx, a.ID, recentEvents); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Service) factors(ctx context.Context, accountID string) ([]FactorInfo, error) {
	out := []FactorInfo{}
	if t, err := s.Store.GetTOTP(ctx, accountID); err == nil {
		out = append(out, FactorInfo{Kind: "totp", Name: "authenticator app", CreatedAt: t.CreatedAt})
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if n, err := s.Store.RecoveryCodesLeft(ctx, accountID); err != nil {
		return nil, err
	} else if n > 0 {
		out = append(out, FactorInfo{Kind: "recovery_codes", Name: itoa(n) + " left"})
	}
	creds, err := s.Store.WebAuthnCredentials(ctx, accountID)
	if err != nil {
		return nil, err
	}
	for _, c := range creds {
		kind := "security_key"
		if c.Discoverable {
			kind = "passkey"
		}
		out = append(out, FactorInfo{Kind: kind, Name: c.Name, CreatedAt: c.CreatedAt})
	}
	return out, nil
}

func (s *Service) sessions(ctx context.Context, accountID string) ([]SessionInfo, error) {
	live, err := s.Sessions.OfSubject(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := []SessionInfo{}
	for _, x := range live {
		out = append(out, SessionInfo{ID: x.ID, Capacity: x.Capacity, ACR: x.ACR, Created: x.CreatedAt, LastSeen: x.LastSeen,
			Clients: slices.Clone(x.Clients), Address: x.Address, UserAgent: x.UserAgent})
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// ListSessions returns the person's live SSO sessions, newest first
// (account.read on the account).
func (s *Service) ListSessions(ctx context.Context, a *identity.Account) ([]SessionInfo, error) {
	if err := s.allowOn(ctx, PermAccountRead, a); err != nil {
		return nil, err
	}
	return s.sessions(ctx, a.ID)
}

// EndSession ends one SSO session of the person (account.sessions on the
// account): its applications are notified and its refresh tokens revoked
// before it returns. ErrNotFound: the person has no live session with the ID.
func (s *Service) EndSession(ctx context.Context, a *identity.Account, sessionID string) error {
	if err := s.allowOn(ctx, PermAccountSessions, a); err != nil {
		return err
	}
	live, err := s.Sessions.OfSubject(ctx, a.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(live, func(x *session.SSO) bool { return x.ID == sessionID })
	if i < 0 {
		return store.ErrNotFound
	}
	if err := s.Logout.End(ctx, live[i], session.ReasonAdmin, s.Actor); err != nil {
		return err
	}
	s.audit(ctx, audit.AccountEndSessions, a.ID, "", map[string]string{"sessions": "1", "sid": sessionID})
	return nil
}

// LogoutDeliveries returns the newest back-channel logout deliveries in the
// state ("" = any; pending, delivered or failed), at most limit (1 to 500;
// 0 = 100), of the applications the principal may read (session.read).
func (s *Service) LogoutDeliveries(ctx context.Context, state string, limit int) ([]*store.LogoutDelivery, error) {
	var p Problems
	switch state {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		p.add("status", "must be pending, delivered or failed")
	}
	switch {
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 500:
		p.add("limit", "must be between 1 and 500")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := s.allowSomewhere(ctx, PermSessionRead); err != nil {
		return nil, err
	}
	ds, err := s.Store.ListLogouts(ctx, state, limit)
	if err != nil {
		return nil, err
	}
	out := []*store.LogoutDelivery{}
	agencies := map[string]string{}
	for _, d := range ds {
		if s.principal != nil {
			ag, ok := agencies[d.ClientID]
			if !ok {
				c, err := s.Store.GetClient(ctx, d.ClientID)
				switch {
				case err == nil:
					ag = c.Agency
				case !errors.Is(err, store.ErrNotFound):
					return nil, err
				}
				agencies[d.ClientID] = ag
			}
			if !s.covers(s.principal, PermSessionRead, Target{Agency: ag, Ref: d.ClientID}) {
				continue
			}
		}
		d.Claim = ""
		out = append(out, d)
	}
	return out, nil
}
