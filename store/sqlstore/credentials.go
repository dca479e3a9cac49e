package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.Credentials = (*DB)(nil)

// TOTP

const totpColumns = `id, account_id, sealed_secret, digits, period, last_step, created_at, last_used_at`

func scanTOTP(row scanner) (*store.TOTPCredential, error) {
	var c store.TOTPCredential
	var period, created, used int64
	err := row.Scan(&c.ID, &c.AccountID, &c.SealedSecret, &c.Digits, &period, &c.LastStep, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Period = time.Duration(period) * time.Second
	c.CreatedAt, c.LastUsedAt = tm(created), tm(used)
	return &c, nil
}

// PutTOTP implements store.TOTPCredentials.
func (db *DB) PutTOTP(ctx context.Context, c *store.TOTPCredential) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.now().UTC()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO totp_credentials (`+totpColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
		ON CONFLICT (account_id) DO UPDATE SET id=excluded.id, sealed_secret=excluded.sealed_secret,
		digits=excluded.digits, period=excluded.period, last_step=excluded.last_step, created_at=excluded.created_at,
		last_used_at=excluded.last_used_at`,
		c.ID, c.AccountID, c.SealedSecret, c.Digits, int64(c.Period/time.Second), c.LastStep, ms(c.CreatedAt), ms(c.LastUsedAt))
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return err
}

// GetTOTP implements store.TOTPCredentials.
func (db *DB) GetTOTP(ctx context.Context, accountID string) (*store.TOTPCredential, error) {
	return scanTOTP(db.r.QueryRowContext(ctx, `SELECT `+totpColumns+` FROM totp_credentials WHERE account_id=$1`, accountID))
}

// UseTOTPStep implements store.TOTPCredentials: one conditional UPDATE, so
// that of two nodes accepting the same code only one changes the row.
func (db *DB) UseTOTPStep(ctx context.Context, accountID, credentialID string, step int64, at time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE totp_credentials SET last_step=$1, last_used_at=$2
		WHERE account_id=$3 AND id=$4 AND last_step < $1`, step, ms(at), accountID, credentialID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	err = db.w.QueryRowContext(ctx, `SELECT 1 FROM totp_credentials WHERE account_id=$1 AND id=$2`, accountID, credentialID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	return store.ErrAlreadyUsed
}

// DeleteTOTP implements store.TOTPCredentials.
func (db *DB) DeleteTOTP(ctx context.Context, accountID string) error {
	return affected(db.w.ExecContext(ctx, `DELETE FROM totp_credentials WHERE account_id=$1`, accountID))
}

// Recovery codes

// ReplaceRecoveryCodes implements store.RecoveryCodes.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, accountID string, hashes []string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id=$1`, accountID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id=$1`, accountID); err != nil {
		return err
	}
	now := ms(db.now())
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (account_id, code_hash, created_at, used_at)
			VALUES ($1,$2,$3,0) ON CONFLICT (account_id, code_hash) DO NOTHING`, accountID, h, now); err != nil {
			if foreignKeyViolation(err) {
				return store.ErrNotFound
			}
			return err
		}
	}
	return tx.Commit()
}

// UseRecoveryCode implements store.RecoveryCodes.
func (db *DB) UseRecoveryCode(ctx context.Context, accountID, hash string, at time.Time) (int, error) {
	used := ms(at)
	if used == 0 {
		used = 1
	}
	if err := affected(db.w.ExecContext(ctx, `UPDATE recovery_codes SET used_at=$1
		WHERE account_id=$2 AND code_hash=$3 AND used_at=0`, used, accountID, hash)); err != nil {
		return 0, err
	}
	return db.RecoveryCodesLeft(ctx, accountID)
}

// RecoveryCodesLeft implements store.RecoveryCodes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, accountID string) (int, error) {
	var n int
	err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE account_id=$1 AND used_at=0`, accountID).Scan(&n)
	return n, err
}

// DeleteRecoveryCodes implements store.RecoveryCodes.
func (db *DB) DeleteRecoveryCodes(ctx context.Context, accountID string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id=$1`, accountID)
	return err
}

// WebAuthn

const webauthnColumns = `id, account_id, name, public_key, attestation_type, attestation_format, aaguid, sign_count,
	transports, discoverable, user_verified, backup_eligible, backup_state, created_at, last_used_at`

// webauthnConflicts maps the unique credential id to the conflict field callers see.
var webauthnConflicts = map[string]string{"webauthn_credentials.": "webauthn_credential"}

// credentialKey is the stored form of a credential id: base64url without padding.
func credentialKey(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

func scanWebAuthn(row scanner) (*store.WebAuthnCredential, error) {
	var c store.WebAuthnCredential
	var id, transports string
	var signCount, created, used int64
	var disc, uv, be, bs int
	err := row.Scan(&id, &c.AccountID, &c.Name, &c.PublicKey, &c.AttestationType, &c.AttestationFormat, &c.AAGUID,
		&signCount, &transports, &disc, &uv, &be, &bs, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if c.ID, err = base64.RawURLEncoding.DecodeString(id); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(transports), &c.Transports); err != nil {
		return nil, err
	}
	c.SignCount = uint32(signCount)
	c.Discoverable, c.UserVerified, c.BackupEligible, c.BackupState = disc == 1, uv == 1, be == 1, bs == 1
	c.CreatedAt, c.LastUsedAt = tm(created), tm(used)
	return &c, nil
}

// AddWebAuthnCredential implements store.WebAuthnCredentials.
func (db *DB) AddWebAuthnCredential(ctx context.Context, c *store.WebAuthnCredential) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.now().UTC()
	}
	transports, err := json.Marshal(nonNil(c.Transports))
	if err != nil {
		return err
	}
	aaguid := c.AAGUID
	if aaguid == nil {
		aaguid = []byte{}
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO webauthn_credentials (`+webauthnColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		credentialKey(c.ID), c.AccountID, c.Name, c.PublicKey, c.AttestationType, c.AttestationFormat, aaguid,
		int64(c.SignCount), string(transports), b2i(c.Discoverable), b2i(c.UserVerified), b2i(c.BackupEligible),
		b2i(c.BackupState), ms(c.CreatedAt), ms(c.LastUsedAt))
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return conflict(err, webauthnConflicts)
}

// WebAuthnCredentials implements store.WebAuthnCredentials.
func (db *DB) WebAuthnCredentials(ctx context.Context, accountID string) ([]*store.WebAuthnCredential, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+webauthnColumns+` FROM webauthn_credentials
		WHERE account_id=$1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.WebAuthnCredential
	for rows.Next() {
		c, err := scanWebAuthn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FindWebAuthnCredential implements store.WebAuthnCredentials.
func (db *DB) FindWebAuthnCredential(ctx context.Context, id []byte) (*store.WebAuthnCredential, error) {
	return scanWebAuthn(db.r.QueryRowContext(ctx, `SELECT `+webauthnColumns+` FROM webauthn_credentials WHERE id=$1`,
		credentialKey(id)))
}

// UseWebAuthnCredential implements store.WebAuthnCredentials: one
// conditional UPDATE decides, so that a counter can only move forward even
// when two nodes verify assertions of one credential at the same moment.
func (db *DB) UseWebAuthnCredential(ctx context.Context, id []byte, signCount uint32, backupState bool, at time.Time) error {
	key := credentialKey(id)
	res, err := db.w.ExecContext(ctx, `UPDATE webauthn_credentials SET sign_count=$1, backup_state=$2, last_used_at=$3
		WHERE id=$4 AND ($1 > sign_count OR ($1 = 0 AND sign_count = 0))`, int64(signCount), b2i(backupState), ms(at), key)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var one int
	err = db.w.QueryRowContext(ctx, `SELECT 1 FROM webauthn_credentials WHERE id=$1`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	return store.ErrAlreadyUsed
}

// DeleteWebAuthnCredential implements store.WebAuthnCredentials.
func (db *DB) DeleteWebAuthnCredential(ctx context.Context, accountID string, id []byte) error {
	return affected(db.w.ExecContext(ctx, `DELETE FROM webauthn_credentials WHERE account_id=$1 AND id=$2`,
		accountID, credentialKey(id)))
}

// The kinds of sealed values Reseal visits.
const (
	// SealedSigningKey is the private key of a signing key; id is its kid.
	SealedSigningKey = "signing_key"
	// SealedTOTPSecret is the secret of an authenticator app; id is the credential id.
	SealedTOTPSecret = "totp_secret"
)

// Reseal replaces every sealed value of the database (the private signing
// keys and the authenticator-app secrets) with reseal's result, in one
// transaction: either every value is replaced or none. It returns how many
// values it replaced.
func (db *DB) Reseal(ctx context.Context, reseal func(kind, id string, sealed []byte) ([]byte, error)) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	type row struct {
		id     string
		sealed []byte
	}
	read := func(query string, text bool) ([]row, error) {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			var s string
			if text {
				err = rows.Scan(&r.id, &s)
				if err == nil {
					r.sealed, err = base64.StdEncoding.DecodeString(s)
				}
			} else {
				err = rows.Scan(&r.id, &r.sealed)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	n := 0
	keys, err := read(`SELECT id, sealed_private FROM signing_keys`, true)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		sealed, err := reseal(SealedSigningKey, k.id, k.sealed)
		if err != nil {
			return 0, fmt.Errorf("signing key %s: %w", k.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET sealed_private=$2 WHERE id=$1`, k.id,
			base64.StdEncoding.EncodeToString(sealed)); err != nil {
			return 0, err
		}
		n++
	}
	secrets, err := read(`SELECT id, sealed_secret FROM totp_credentials`, false)
	if err != nil {
		return 0, err
	}
	for _, c := range secrets {
		sealed, err := reseal(SealedTOTPSecret, c.id, c.sealed)
		if err != nil {
			return 0, fmt.Errorf("authenticator app %s: %w", c.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE totp_credentials SET sealed_secret=$2 WHERE id=$1`, c.id, sealed); err != nil {
			return 0, err
		}
		n++
	}
	return n, tx.Commit()
}
