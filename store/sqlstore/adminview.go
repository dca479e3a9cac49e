package sqlstore

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.AdminViews = (*DB)(nil)

// RepresentativesOf implements store.AdminViews.
func (db *DB) RepresentativesOf(ctx context.Context, code identity.TaxCode) ([]*identity.Representation, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT r.account_id, r.tax_code, b.name, r.role, r.granted_by, r.created_at
		FROM representations r JOIN businesses b ON b.tax_code = r.tax_code WHERE r.tax_code=$1 ORDER BY r.account_id`, string(code))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*identity.Representation{}
	for rows.Next() {
		var r identity.Representation
		var tc, role string
		var created int64
		if err := rows.Scan(&r.AccountID, &tc, &r.BusinessName, &role, &r.GrantedBy, &created); err != nil {
			return nil, err
		}
		r.TaxCode, r.Role, r.CreatedAt = identity.TaxCode(tc), identity.RepresentativeRole(role), tm(created)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// CountAudit implements store.AdminViews: one grouped statement, the
// method read from the JSON details by the engine.
func (db *DB) CountAudit(ctx context.Context, from, to time.Time, types []string) ([]store.AuditCount, error) {
	method := `COALESCE(json_extract(details, '$.method'), '')`
	if db.d.name() == "postgres" {
		method = `COALESCE(details::jsonb ->> 'method', '')`
	}
	q := `SELECT time / 3600000 AS hour, type, ` + method + ` AS method, COUNT(*) FROM audit_log WHERE time >= $1 AND time < $2`
	args := []any{ms(from), ms(to)}
	if len(types) > 0 {
		ph := make([]string, len(types))
		for i, t := range types {
			args = append(args, t)
			ph[i] = "$" + itoa(len(args))
		}
		q += ` AND type IN (` + strings.Join(ph, ",") + `)`
	}
	q += ` GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.AuditCount{}
	for rows.Next() {
		var hour int64
		var c store.AuditCount
		if err := rows.Scan(&hour, &c.Type, &c.Method, &c.N); err != nil {
			return nil, err
		}
		c.Hour = time.UnixMilli(hour * 3600000).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateClientSettings implements store.AdminViews: one conditional
// statement, so that of concurrent edits read at the same time one lands
// and the others find the client changed.
func (db *DB) UpdateClientSettings(ctx context.Context, c *store.Client, ifUpdatedAt time.Time) error {
	settings, _, err := clientRow(c)
	if err != nil {
		return err
	}
	at := db.now().UTC().Truncate(time.Millisecond)
	if !at.After(ifUpdatedAt.Truncate(time.Millisecond)) {
		// Two updates within one millisecond must still differ.
		at = ifUpdatedAt.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	res, err := db.w.ExecContext(ctx, `UPDATE clients SET settings=$2, updated_at=$3 WHERE id=$1 AND updated_at=$4`,
		c.ID, settings, ms(at), ms(ifUpdatedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 1 {
		c.UpdatedAt = at
		return nil
	}
	if _, err := db.GetClient(ctx, c.ID); err != nil {
		return err
	}
	return store.ErrChanged
}

// SetClientSecret implements store.AdminViews.
func (db *DB) SetClientSecret(ctx context.Context, id string, secretHash []byte) error {
	// updated_at never goes back (UpdateClientSettings may have set it a
	// millisecond ahead): an edit read before this write must find it changed.
	return affected(db.w.ExecContext(ctx, `UPDATE clients SET secret_hash=$2,
		updated_at=CASE WHEN updated_at >= $3 THEN updated_at + 1 ELSE $3 END WHERE id=$1`,
		id, hex.EncodeToString(secretHash), ms(db.now().UTC())))
}
