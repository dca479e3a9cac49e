package flow

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Flow is one login in progress.
type Flow struct {
	ID string `json:"id"`
	// AuthorizeQuery is the original /oauth2/auth query ("" for a login to the account console).
	AuthorizeQuery string    `json:"q,omitempty"`
	ClientID       string    `json:"client,omitempty"`
	ClientName     string    `json:"client_name,omitempty"`
	ReturnTo       string    `json:"return,omitempty"`
	RequestedAt    time.Time `json:"at"`
	// PasswordReset marks a login through an upstream e-ID provider started
	// to reset a forgotten password ("reset with VNeID"): it may only find
	// an existing account, never create one.
	PasswordReset bool `json:"pwreset,omitempty"`

	// Set once the person is authenticated in this flow.
	LoginDone bool      `json:"login,omitempty"`
	AccountID string    `json:"sub,omitempty"`
	Capacity  string    `json:"cap,omitempty"`
	SID       string    `json:"sid,omitempty"`
	AuthTime  time.Time `json:"auth_time,omitempty"`
	ACR       string    `json:"acr,omitempty"`
	AMR       []string  `json:"amr,omitempty"`

	ConsentDone         bool     `json:"consent,omitempty"`
	ConsentScopes       []string `json:"scopes,omitempty"`
	PersonalIDConsented bool     `json:"pid,omitempty"`

	BusinessDone bool   `json:"biz_done,omitempty"`
	TaxCode      string `json:"biz,omitempty"`

	// Second factor. Required is the level the flow must reach when it was
	// sent to the second-factor step; Reauth marks a confirmation of the
	// signed-in person (password, then a second factor) before a sensitive
	// change, ReauthPassword that its password was confirmed; ShowCodes that
	// new recovery codes are due to be shown once.
	Required       string `json:"req,omitempty"`
	Reauth         bool   `json:"reauth,omitempty"`
	ReauthPassword bool   `json:"reauth_pwd,omitempty"`
	ShowCodes      bool   `json:"codes,omitempty"`

	// Session is the SSO session a login started in this request, Account
	// the account it read (not stored): the code's step need not read them
	// back. NoBinding: a pending certificate was not offered in this request.
	Session   *session.SSO      `json:"-"`
	Account   *identity.Account `json:"-"`
	NoBinding bool              `json:"-"`
}

// Console reports whether the flow is a login to the account console (no
// authorization request).
func (f *Flow) Console() bool { return f.AuthorizeQuery == "" }

// ErrGone is returned for an unknown or expired flow.
var ErrGone = errors.New("login flow expired or unknown")

// Store keeps flows in the ephemeral store; a flow lives for the lifespan
// from its request.
type Store struct {
	eph      store.Ephemeral
	lifespan time.Duration
}

// NewStore returns the flows kept in eph for lifespan.
func NewStore(eph store.Ephemeral, lifespan time.Duration) *Store {
	return &Store{eph: eph, lifespan: lifespan}
}

// Create gives the flow a new id and saves it.
func (s *Store) Create(ctx context.Context, fl *Flow) error {
	fl.ID = web.RandomToken(18)
	return s.Save(ctx, fl)
}

// Save writes the flow under its id.
func (s *Store) Save(ctx context.Context, fl *Flow) error {
	data, err := json.Marshal(fl)
	if err != nil {
		return err
	}
	return s.eph.PutRecord(ctx, store.KindLoginFlow, &store.Record{Key: fl.ID, Subject: fl.AccountID, Data: data,
		ExpiresAt: fl.RequestedAt.Add(s.lifespan)})
}

// SaveOrCreate saves a flow that has an id, and creates one that has none
// (a flow that was not saved yet because it ended in its first request).
func (s *Store) SaveOrCreate(ctx context.Context, fl *Flow) error {
	if fl.ID == "" {
		return s.Create(ctx, fl)
	}
	return s.Save(ctx, fl)
}

// Get returns the flow id names, or ErrGone.
func (s *Store) Get(ctx context.Context, id string) (*Flow, error) {
	if id == "" || len(id) > 64 {
		return nil, ErrGone
	}
	rec, err := s.eph.GetRecord(ctx, store.KindLoginFlow, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, err
	}
	var fl Flow
	if err := json.Unmarshal(rec.Data, &fl); err != nil {
		return nil, err
	}
	return &fl, nil
}

// Delete forgets the flow.
func (s *Store) Delete(ctx context.Context, id string) error {
	return s.eph.DeleteRecord(ctx, store.KindLoginFlow, id)
}

// The passkey login's endpoints, which the login page and the
// re-authentication page offer (served by the passkey step).
const (
	PasskeyBegin  = "/login/passkey/begin"
	PasskeyFinish = "/login/passkey/finish"
)
