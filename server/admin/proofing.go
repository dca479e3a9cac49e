package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// Evidence is what an administrator or a helpdesk official states when they
// prove a personal ID: Method "in_person" (or "in-person") needs Document (the
// document shown, such as "cccd") and By (the official who saw the person);
// "authoritative_source" needs Source (the HR or directory source the
// operator marks as authoritative). The zero Evidence proves nothing. Upstream
// e-IDs and certificates prove an ID by themselves at login, not through it.
type Evidence struct {
	Method   string
	Document string
	By       string
	Source   string
}

// proofing validates e into a verified proof at now, adding its problems
// to p. It returns the zero Proofing for the zero Evidence.
func (e Evidence) proofing(p *Problems, now time.Time) identity.Proofing {
	if e == (Evidence{}) {
		return identity.Proofing{}
	}
	m, err := identity.ParseProofingMethod(e.Method)
	if err != nil {
		p.add("evidence", "must be in-person or authoritative-source")
		return identity.Proofing{}
	}
	ev := identity.Proofing{Document: strings.TrimSpace(e.Document), By: strings.TrimSpace(e.By),
		Provider: strings.TrimSpace(e.Source)}
	switch m {
	case identity.ProofInPerson:
		if ev.Document == "" {
			p.add("document", "is required for in-person proofing: the identity document shown, such as cccd")
		}
		if ev.By == "" {
			p.add("by", "is required for in-person proofing: the official who saw the person and the document")
		}
		ev.Provider = ""
	case identity.ProofAuthoritativeSource:
		if ev.Provider == "" {
			p.add("source", "is required: the HR or directory source the operator holds authoritative")
		}
		ev.Document, ev.By = "", ""
	default:
		p.add("evidence", "%s is proven at login, not by an administrator: use in-person or authoritative-source", m)
	}
	return identity.Verify(m, ev, now)
}

// VerifyPersonalID records that the person of account a holds the personal
// ID personalID, on the evidence e (Method and its fields required). Whoever
// proves an ID gets it: another account that had only asserted it loses it
// (audited as AccountDropPersonalID, its sessions ended and its refresh
// tokens, access tokens and codes revoked). An ID another account has
// proven is refused, as is a second ID for an account that has proven one.
// The proof is audited as AccountVerifyPersonalID. It returns the account as
// stored after the proof and the ID of the displaced account ("" if none).
func (s *Service) VerifyPersonalID(ctx context.Context, a *identity.Account, personalID string, e Evidence, now time.Time) (*identity.Account, string, error) {
	if err := s.allowOn(ctx, PermAccountProofing, a); err != nil {
		return nil, "", err
	}
	var p Problems
	pid, err := identity.ParsePersonalID(personalID)
	if err != nil {
		p.add("personal_id", "%s", err.Error())
	}
	if e == (Evidence{}) {
		p.add("evidence", "is required: in-person or authoritative-source")
	}
	proof := e.proofing(&p, now)
	if err := p.err(); err != nil {
		return nil, "", err
	}
	displaced, err := s.prove(ctx, a.ID, pid, proof)
	if err != nil {
		return nil, "", err
	}
	got, err := s.Store.GetAccount(ctx, a.ID)
	return got, displaced, err
}

// prove gives pid, proven by proof, to the account accountID; the squatter
// it displaces, if any, loses its sessions and tokens. Both are audited.
func (s *Service) prove(ctx context.Context, accountID string, pid identity.PersonalID, proof identity.Proofing) (string, error) {
	displaced, err := s.Store.ProvePersonalID(ctx, accountID, pid, proof)
	if f, ok := store.IsConflict(err); ok && f == "personal_id" {
		return "", Problems{{Field: "personal_id", Message: "is proven by another account, or this account has proven another personal ID"}}
	}
	if err != nil {
		return "", err
	}
	details := map[string]string{"method": string(proof.Method)}
	for k, v := range map[string]string{"document": proof.Document, "by": proof.By, "source": proof.Provider, "displaced": displaced} {
		if v != "" {
			details[k] = v
		}
	}
	s.audit(ctx, audit.AccountVerifyPersonalID, accountID, "", details)
	if displaced == "" {
		return "", nil
	}
	if _, err := s.endSessions(ctx, displaced, session.ReasonAdmin); err != nil {
		return displaced, err
	}
	if err := s.revokeTokens(ctx, displaced); err != nil {
		return displaced, err
	}
	s.audit(ctx, audit.AccountDropPersonalID, displaced, "", map[string]string{"proven_by": accountID})
	return displaced, nil
}

// errUnprovenHolder is the problem of an official or citizen created with a
// personal ID another account asserted without proof, when no evidence is given.
var errUnprovenHolder = Problems{{Field: "personal_id", Message: "is claimed, without proof, by another account: " +
	"give the evidence that proves it (--evidence in-person --document cccd --by OFFICIAL, or " +
	"--evidence authoritative-source --source NAME) and it moves to this account, or leave it out"}}

// holderOf returns the account holding pid, or nil.
func (s *Service) holderOf(ctx context.Context, pid identity.PersonalID) (*identity.Account, error) {
	a, err := s.Store.FindAccount(ctx, store.ByPersonalID, string(pid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return a, err
}

// ProveAtLogin records that the account accountID holds personalID, proven
// by proof (a verified upstream e-ID or certificate proof made at a login):
// exactly as VerifyPersonalID, it displaces an account that had only
// asserted the ID (ending its sessions and revoking its tokens) and refuses
// an ID another account has proven. It returns the displaced account's ID.
func (s *Service) ProveAtLogin(ctx context.Context, accountID string, personalID identity.PersonalID, proof identity.Proofing) (string, error) {
	if proof.State != identity.ProofingVerified || (proof.Method != identity.ProofUpstreamEID && proof.Method != identity.ProofCertificate) {
		return "", Problems{{Field: "evidence", Message: "a login proves an ID only by an upstream e-ID or a certificate"}}
	}
	return s.prove(ctx, accountID, personalID, proof)
}

// ProveFromDirectory records that the account accountID holds personalID, as
// the directory named source (one the operator marks authoritative) says:
// the proof is authoritative_source with that source. Exactly as
// VerifyPersonalID, it displaces an account that had only asserted the ID
// and refuses an ID another account has proven. It returns the displaced
// account's ID.
func (s *Service) ProveFromDirectory(ctx context.Context, accountID string, personalID identity.PersonalID, source string) (string, error) {
	if strings.TrimSpace(source) == "" {
		return "", Problems{{Field: "source", Message: "is required: the directory the operator holds authoritative"}}
	}
	proof := identity.Verify(identity.ProofAuthoritativeSource, identity.Proofing{Provider: source}, time.Now())
	return s.prove(ctx, accountID, personalID, proof)
}
