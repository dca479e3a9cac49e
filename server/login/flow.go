package login

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

	// Second factor (see mfa.go). Required is the level the flow must reach
	// when it was sent to the second-factor step; Reauth marks a confirmation
	// of the signed-in person (password, then a second factor) before a
	// sensitive change, ReauthPassword that its password was confirmed;
	// ShowCodes that new recovery codes are due to be shown once.
	Required       string `json:"req,omitempty"`
	Reauth         bool   `json:"reauth,omitempty"`
	ReauthPassword bool   `json:"reauth_pwd,omitempty"`
	ShowCodes      bool   `json:"codes,omitempty"`

	// session is the SSO session a login started in this request, account
	// the account it read (not stored): the code's step need not read them
	// back.
	session *session.SSO
	account *identity.Account
	// noBinding: a pending certificate was not offered in this request.
	noBinding bool
}

// ErrFlowGone is returned for an unknown or expired flow.
var ErrFlowGone = errors.New("login flow expired or unknown")

type flows struct {
	store    store.Ephemeral
	lifespan time.Duration
}

func (f *flows) create(ctx context.Context, fl *Flow) error {
	fl.ID = web.RandomToken(18)
	return f.save(ctx, fl)
}

func (f *flows) save(ctx context.Context, fl *Flow) error {
	data, err := json.Marshal(fl)
	if err != nil {
		return err
	}
	return f.store.PutRecord(ctx, store.KindLoginFlow, &store.Record{Key: fl.ID, Subject: fl.AccountID, Data: data,
		ExpiresAt: fl.RequestedAt.Add(f.lifespan)})
}

func (f *flows) get(ctx context.Context, id string) (*Flow, error) {
	if id == "" || len(id) > 64 {
		return nil, ErrFlowGone
	}
	rec, err := f.store.GetRecord(ctx, store.KindLoginFlow, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrFlowGone
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

func (f *flows) delete(ctx context.Context, id string) error {
	return f.store.DeleteRecord(ctx, store.KindLoginFlow, id)
}
