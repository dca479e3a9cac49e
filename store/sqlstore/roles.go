package sqlstore

import (
	"context"

	"github.com/dinhdanh/dinhdanh/store"
)

var _ store.AdminRoles = (*DB)(nil)

const roleColumns = `account_id, role, agency, sub_units, granted_by, granted_at`

// GrantRole implements store.AdminRoles.
func (db *DB) GrantRole(ctx context.Context, g *store.RoleGrant) error {
	if g.GrantedAt.IsZero() {
		g.GrantedAt = db.now().UTC()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO admin_roles (`+roleColumns+`) VALUES ($1,$2,$3,$4,$5,$6)`,
		g.AccountID, g.Role, g.Agency, b2i(g.SubUnits), g.GrantedBy, ms(g.GrantedAt))
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return conflict(err, map[string]string{"admin_roles": "role"})
}

// RevokeRole implements store.AdminRoles.
func (db *DB) RevokeRole(ctx context.Context, accountID, role, agency string) error {
	return affected(db.w.ExecContext(ctx, `DELETE FROM admin_roles WHERE account_id=$1 AND role=$2 AND agency=$3`,
		accountID, role, agency))
}

// RolesOf implements store.AdminRoles.
func (db *DB) RolesOf(ctx context.Context, accountID string) ([]*store.RoleGrant, error) {
	return db.queryRoles(ctx, `WHERE account_id=$1 ORDER BY role, agency`, accountID)
}

// ListRoleGrants implements store.AdminRoles.
func (db *DB) ListRoleGrants(ctx context.Context, agency string) ([]*store.RoleGrant, error) {
	if agency == "" {
		return db.queryRoles(ctx, `ORDER BY agency, role, account_id`)
	}
	return db.queryRoles(ctx, `WHERE agency=$1 ORDER BY role, account_id`, agency)
}

func (db *DB) queryRoles(ctx context.Context, where string, args ...any) ([]*store.RoleGrant, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+roleColumns+` FROM admin_roles `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.RoleGrant
	for rows.Next() {
		var g store.RoleGrant
		var sub int
		var at int64
		if err := rows.Scan(&g.AccountID, &g.Role, &g.Agency, &sub, &g.GrantedBy, &at); err != nil {
			return nil, err
		}
		g.SubUnits, g.GrantedAt = sub == 1, tm(at)
		out = append(out, &g)
	}
	return out, rows.Err()
}
