package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.CertificateBindings = (*DB)(nil)

const certificateColumns = `account_id, fingerprint, issuer, serial, subject, not_after, certificate, created_at`

// certificateConflicts maps every unique column of certificate_bindings to
// the one conflict field callers see.
var certificateConflicts = map[string]string{"certificate_bindings.": "certificate"}

func scanCertificateBinding(row scanner) (*store.CertificateBinding, error) {
	var b store.CertificateBinding
	var notAfter, created int64
	err := row.Scan(&b.AccountID, &b.Fingerprint, &b.Issuer, &b.Serial, &b.Subject, &notAfter, &b.Certificate, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	b.NotAfter, b.CreatedAt = tm(notAfter), tm(created)
	return &b, nil
}

// BindCertificate implements store.CertificateBindings.
func (db *DB) BindCertificate(ctx context.Context, b *store.CertificateBinding) error {
	if b.CreatedAt.IsZero() {
		b.CreatedAt = db.now().UTC()
	}
	cert := b.Certificate
	if cert == nil {
		cert = []byte{}
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO certificate_bindings (`+certificateColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, b.AccountID, b.Fingerprint, b.Issuer, b.Serial, b.Subject,
		ms(b.NotAfter), cert, ms(b.CreatedAt))
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return conflict(err, certificateConflicts)
}

// CertificateBindings implements store.CertificateBindings.
func (db *DB) CertificateBindings(ctx context.Context, accountID string) ([]*store.CertificateBinding, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+certificateColumns+` FROM certificate_bindings
		WHERE account_id=$1 ORDER BY created_at, fingerprint`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.CertificateBinding
	for rows.Next() {
		b, err := scanCertificateBinding(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// UnbindCertificate implements store.CertificateBindings.
func (db *DB) UnbindCertificate(ctx context.Context, accountID, fingerprint string) error {
	return affected(db.w.ExecContext(ctx, `DELETE FROM certificate_bindings WHERE account_id=$1 AND fingerprint=$2`,
		accountID, fingerprint))
}

// FindCertificateBinding implements store.CertificateBindings.
func (db *DB) FindCertificateBinding(ctx context.Context, fingerprint string) (*store.CertificateBinding, error) {
	return scanCertificateBinding(db.r.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM certificate_bindings
		WHERE fingerprint=$1`, fingerprint))
}

// FindCertificateBindingByIssuerSerial implements store.CertificateBindings.
func (db *DB) FindCertificateBindingByIssuerSerial(ctx context.Context, issuer, serial string) (*store.CertificateBinding, error) {
	return scanCertificateBinding(db.r.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM certificate_bindings
		WHERE issuer=$1 AND serial=$2`, issuer, serial))
}
