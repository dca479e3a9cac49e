package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.PersonalData = (*DB)(nil)

// appendConsentEvent writes one line of the consent history in tx.
func appendConsentEvent(ctx context.Context, tx *sql.Tx, accountID, clientID, action, scopes string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO consent_events (account_id, client_id, action, scopes, at) VALUES ($1,$2,$3,$4,$5)`,
		accountID, clientID, action, scopes, ms(at))
	return err
}

// withdrawConsents removes the account's consent to clientID (to every
// client when clientID is "") in tx, and writes a withdrawn line for each.
// ErrNotFound: clientID is set and the account has no consent to it.
func withdrawConsents(ctx context.Context, tx *sql.Tx, accountID, clientID string, at time.Time) error {
	q, args := `SELECT client_id, scopes FROM consents WHERE account_id=$1 ORDER BY client_id`, []any{accountID}
	if clientID != "" {
		q, args = `SELECT client_id, scopes FROM consents WHERE account_id=$1 AND client_id=$2`, []any{accountID, clientID}
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	type consent struct{ client, scopes string }
	var found []consent
	for rows.Next() {
		var c consent
		if err := rows.Scan(&c.client, &c.scopes); err != nil {
			rows.Close()
			return err
		}
		found = append(found, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if clientID != "" && len(found) == 0 {
		return store.ErrNotFound
	}
	for _, c := range found {
		if err := affected(tx.ExecContext(ctx, `DELETE FROM consents WHERE account_id=$1 AND client_id=$2`, accountID, c.client)); err != nil {
			return err
		}
		if err := appendConsentEvent(ctx, tx, accountID, c.client, store.ConsentWithdrawn, c.scopes, at); err != nil {
			return err
		}
	}
	return nil
}

// ConsentHistory implements store.PersonalData.
func (db *DB) ConsentHistory(ctx context.Context, accountID string) ([]*store.ConsentEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, client_id, action, scopes, at FROM consent_events
		WHERE account_id=$1 ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.ConsentEvent
	for rows.Next() {
		e := &store.ConsentEvent{AccountID: accountID}
		var scopes string
		var at int64
		if err := rows.Scan(&e.ID, &e.ClientID, &e.Action, &scopes, &at); err != nil {
			return nil, err
		}
		e.Scopes, e.Time = splitSpace(scopes), tm(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// RegisterAccount implements store.PersonalData.
func (db *DB) RegisterAccount(ctx context.Context, a *identity.Account, passwordHash string, p store.PrivacyAcceptance) error {
	if a.Admin {
		return errors.New("sqlstore: RegisterAccount registers no administrator")
	}
	if p.Version == "" {
		return errors.New("sqlstore: RegisterAccount needs the version of the privacy notice accepted")
	}
	now := db.now().UTC()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	if p.AcceptedAt.IsZero() {
		p.AcceptedAt = now
	}
	args := append(append(accountArgs(a), proofingArgs(a)...), nullIfEmpty(passwordHash), searchText(a))
	args[18] = 0
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, accountInsert, args...); err != nil {
		return conflict(err, accountConflicts)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_acceptances (account_id, version, accepted_at) VALUES ($1,$2,$3)`,
		a.ID, p.Version, ms(p.AcceptedAt)); err != nil {
		return err
	}
	return tx.Commit()
}

// PrivacyAcceptances implements store.PersonalData.
func (db *DB) PrivacyAcceptances(ctx context.Context, accountID string) ([]*store.PrivacyAcceptance, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT version, accepted_at FROM privacy_acceptances WHERE account_id=$1
		ORDER BY accepted_at, version`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.PrivacyAcceptance
	for rows.Next() {
		p := &store.PrivacyAcceptance{AccountID: accountID}
		var at int64
		if err := rows.Scan(&p.Version, &at); err != nil {
			return nil, err
		}
		p.AcceptedAt = tm(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// closedReason is the disabled_reason of a closed account.
const closedReason = "closed"

// CloseAccount implements store.PersonalData. The account's row is written
// first, which locks it, so that of concurrent closers the later ones wait
// and then find the account closed.
func (db *DB) CloseAccount(ctx context.Context, c store.ClosedAccount) error {
	if c.ClosedAt.IsZero() {
		c.ClosedAt = db.now().UTC()
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := affected(tx.ExecContext(ctx, `UPDATE accounts SET `+laterUpdatedAt(2)+` WHERE id=$1`, c.AccountID, ms(c.ClosedAt))); err != nil {
		return err
	}
	var closed, official, roles int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM closed_accounts WHERE account_id=$1),
		is_official, (SELECT COUNT(*) FROM admin_roles WHERE account_id=$1) FROM accounts WHERE id=$1`, c.AccountID).
		Scan(&closed, &official, &roles); err != nil {
		return err
	}
	switch {
	case closed > 0:
		return store.ErrAlreadyUsed
	case official != 0 || roles > 0:
		return store.ErrProtectedAccount
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO closed_accounts (account_id, closed_at, audit_until) VALUES ($1,$2,$3)`,
		c.AccountID, ms(c.ClosedAt), ms(c.AuditUntil)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET full_name='', birthdate='', gender='', email=NULL,
		email_verified=0, phone=NULL, phone_verified=0, personal_id=NULL, pid_state=$2, pid_method='',
		pid_provider='', pid_assurance='', pid_document='', pid_by='', pid_at=0, disabled=1, disabled_reason=$3,
		password_hash=NULL, search_text='' WHERE id=$1`, c.AccountID, string(identity.ProofingUnverified), closedReason); err != nil {
		return err
	}
	for _, table := range []string{"totp_credentials", "recovery_codes", "webauthn_credentials", "certificate_bindings",
		"upstream_links", "representations"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE account_id=$1`, c.AccountID); err != nil {
			return err
		}
	}
	if err := withdrawConsents(ctx, tx, c.AccountID, "", c.ClosedAt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET active=0 WHERE subject=$1 AND active=1`, c.AccountID); err != nil {
		return err
	}
	return tx.Commit()
}

// GetClosedAccount implements store.PersonalData.
func (db *DB) GetClosedAccount(ctx context.Context, accountID string) (*store.ClosedAccount, error) {
	var closed, until int64
	err := db.r.QueryRowContext(ctx, `SELECT closed_at, audit_until FROM closed_accounts WHERE account_id=$1`, accountID).
		Scan(&closed, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &store.ClosedAccount{AccountID: accountID, ClosedAt: tm(closed), AuditUntil: tm(until)}, nil
}

// AuditHeldFrom implements store.PersonalData.
func (db *DB) AuditHeldFrom(ctx context.Context, now time.Time) (time.Time, error) {
	var oldest sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT MIN(l.time) FROM audit_log l JOIN closed_accounts c ON c.account_id = l.subject
		WHERE c.audit_until > $1`, ms(now)).Scan(&oldest)
	if err != nil || !oldest.Valid {
		return time.Time{}, err
	}
	return tm(oldest.Int64), nil
}

// UpstreamLinksOf implements store.PersonalData.
func (db *DB) UpstreamLinksOf(ctx context.Context, accountID string) ([]*store.UpstreamLink, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT provider, subject, created_at FROM upstream_links WHERE account_id=$1
		ORDER BY provider, subject`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.UpstreamLink
	for rows.Next() {
		l := &store.UpstreamLink{}
		var at int64
		if err := rows.Scan(&l.Provider, &l.Subject, &at); err != nil {
			return nil, err
		}
		l.CreatedAt = tm(at)
		out = append(out, l)
	}
	return out, rows.Err()
}
