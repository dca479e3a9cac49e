package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// accountInsertColumns are the columns an account is written to, in the
// order of accountArgs then proofingArgs.
const accountInsertColumns = `id, full_name, birthdate, gender, email, email_verified, phone, phone_verified, locale,
	personal_id, is_official, official_directory, official_username, official_agency, official_department,
	official_title, official_roles, official_groups, admin, disabled, disabled_reason, created_at, updated_at,
	pid_state, pid_method, pid_provider, pid_assurance, pid_document, pid_by, pid_at`

// accountColumns are what scanAccount reads. The account is an
// administrator when it holds an administrative role: the admin column is
// not read (see migration 12). The subquery names the account's id
// unqualified, so that a query may alias the accounts table.
const accountColumns = `id, full_name, birthdate, gender, email, email_verified, phone, phone_verified, locale,
	personal_id, is_official, official_directory, official_username, official_agency, official_department,
	official_title, official_roles, official_groups,
	(SELECT COUNT(*) FROM admin_roles ar WHERE ar.account_id = id) AS admin_roles,
	disabled, disabled_reason, created_at, updated_at,
	pid_state, pid_method, pid_provider, pid_assurance, pid_document, pid_by, pid_at`

var accountConflicts = map[string]string{
	"accounts.personal_id":       "personal_id",
	"accounts.email":             "email",
	"accounts.phone":             "phone",
	"accounts.official_username": "username",
	"accounts.id":                "id",
}

func accountArgs(a *identity.Account) []any {
	var (
		isOfficial                                    bool
		dir, user, agency, dept, title, roles, groups string
	)
	roles, groups = "[]", "[]"
	var userArg any
	if o := a.Official; o != nil {
		isOfficial = true
		dir, user, agency, dept, title = o.Directory, o.Username, o.Agency, o.Department, o.Title
		if b, err := json.Marshal(nonNil(o.Roles)); err == nil {
			roles = string(b)
		}
		if b, err := json.Marshal(nonNil(o.Groups)); err == nil {
			groups = string(b)
		}
		userArg = nullIfEmpty(user)
	}
	return []any{a.ID, a.FullName, a.Birthdate, string(a.Gender), nullIfEmpty(a.Email), b2i(a.EmailVerified),
		nullIfEmpty(a.Phone), b2i(a.PhoneVerified), a.Locale, nullIfEmpty(string(a.PersonalID)), b2i(isOfficial),
		dir, userArg, agency, dept, title, roles, groups, b2i(a.Admin), b2i(a.Disabled), a.DisabledReason,
		ms(a.CreatedAt), ms(a.UpdatedAt)}
}

// proofingArgs are the values of the pid_* columns: a proof is kept only
// with the personal ID it proves, and an account without one stores none.
func proofingArgs(a *identity.Account) []any {
	p := a.Proofing
	if a.PersonalID == "" {
		p = identity.Proofing{}
	}
	state := p.State
	if state == "" {
		state = identity.ProofingUnverified
	}
	var at int64
	if !p.At.IsZero() {
		at = ms(p.At)
	}
	return []any{string(state), string(p.Method), p.Provider, p.Assurance, p.Document, p.By, at}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type scanner interface{ Scan(...any) error }

func scanAccount(row scanner) (*identity.Account, error) {
	var (
		a                                     identity.Account
		gender                                string
		email, phone, pid, user               sql.NullString
		emailV, phoneV, isOff, admin, disable int
		dir, agency, dept, title, roles, grps string
		created, updated, pidAt               int64
		pidState, pidMethod                   string
	)
	err := row.Scan(&a.ID, &a.FullName, &a.Birthdate, &gender, &email, &emailV, &phone, &phoneV, &a.Locale,
		&pid, &isOff, &dir, &user, &agency, &dept, &title, &roles, &grps, &admin, &disable, &a.DisabledReason,
		&created, &updated, &pidState, &pidMethod, &a.Proofing.Provider, &a.Proofing.Assurance,
		&a.Proofing.Document, &a.Proofing.By, &pidAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.Gender = identity.Gender(gender)
	a.Email, a.EmailVerified = email.String, emailV == 1
	a.Phone, a.PhoneVerified = phone.String, phoneV == 1
	a.PersonalID = identity.PersonalID(pid.String)
	if pidState == string(identity.ProofingVerified) {
		a.Proofing.State, a.Proofing.Method, a.Proofing.At = identity.ProofingVerified, identity.ProofingMethod(pidMethod), tm(pidAt)
	} else {
		a.Proofing = identity.Proofing{} // an unproven ID carries no evidence
	}
	a.Admin, a.Disabled = admin > 0, disable == 1
	a.CreatedAt, a.UpdatedAt = tm(created), tm(updated)
	if isOff == 1 {
		o := &identity.Official{Username: user.String, Directory: dir, Agency: agency, Department: dept, Title: title}
		_ = json.Unmarshal([]byte(roles), &o.Roles)
		_ = json.Unmarshal([]byte(grps), &o.Groups)
		if len(o.Roles) == 0 {
			o.Roles = nil
		}
		if len(o.Groups) == 0 {
			o.Groups = nil
		}
		a.Official = o
	}
	return &a, nil
}

// accountInsert inserts an account: its arguments are accountArgs, then
// proofingArgs, then the password hash and the search text.
const accountInsert = `INSERT INTO accounts (` + accountInsertColumns + `, password_hash, search_text)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,
	$24,$25,$26,$27,$28,$29,$30,$31,$32)`

// CreateAccount implements store.Accounts.
func (db *DB) CreateAccount(ctx context.Context, a *identity.Account, passwordHash string) error {
	now := db.now().UTC()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	args := append(append(accountArgs(a), proofingArgs(a)...), nullIfEmpty(passwordHash), searchText(a))
	args[18] = 0 // the admin column is not read: an administrator holds a role
	const insert = accountInsert
	if !a.Admin {
		_, err := db.w.ExecContext(ctx, insert, args...)
		return conflict(err, accountConflicts)
	}
	// An administrator is created with the widest role, in one transaction.
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, insert, args...); err != nil {
		return conflict(err, accountConflicts)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO admin_roles (account_id, role, agency, sub_units, granted_by, granted_at)
		VALUES ($1,$2,'',0,$3,$4)`, a.ID, store.RoleSuperAdmin, "account.create", ms(now)); err != nil {
		return err
	}
	return tx.Commit()
}

// UpdateAccount implements store.Accounts.
func (db *DB) UpdateAccount(ctx context.Context, a *identity.Account) error {
	return db.updateAccount(ctx, a, nil)
}

// UpdateAccountIf implements store.Accounts.
func (db *DB) UpdateAccountIf(ctx context.Context, a *identity.Account, ifUpdatedAt time.Time) error {
	return db.updateAccount(ctx, a, &ifUpdatedAt)
}

// laterUpdatedAt is the SET clause that moves updated_at to the time in
// parameter n, or 1 ms past its current value when that is not later: every
// write of an account gives it a new updated_at (even two in one
// millisecond), which is what UpdateAccountIf compares.
func laterUpdatedAt(n int) string {
	p := "$" + strconv.Itoa(n)
	return "updated_at=CASE WHEN updated_at<" + p + " THEN " + p + " ELSE updated_at+1 END"
}

// updateAccount replaces the row of a, when ifUpdatedAt is nil or its
// updated_at is *ifUpdatedAt, and sets a.UpdatedAt to the stored value.
func (db *DB) updateAccount(ctx context.Context, a *identity.Account, ifUpdatedAt *time.Time) error {
	args := accountArgs(a)
	args[22] = ms(db.now().UTC())
	args = append(append(args[:21], args[22]), proofingArgs(a)...) // every column but created_at
	args = append(args, searchText(a))
	q := `UPDATE accounts SET full_name=$2, birthdate=$3, gender=$4, email=$5,
		email_verified=$6, phone=$7, phone_verified=$8, locale=$9, personal_id=$10, is_official=$11,
		official_directory=$12, official_username=$13, official_agency=$14, official_department=$15,
		official_title=$16, official_roles=$17, official_groups=$18, admin=$19, disabled=$20, disabled_reason=$21,
		` + laterUpdatedAt(22) + `, pid_state=$23, pid_method=$24, pid_provider=$25, pid_assurance=$26, pid_document=$27,
		pid_by=$28, pid_at=$29, search_text=$30 WHERE id=$1`
	if ifUpdatedAt != nil {
		q += ` AND updated_at=$31`
		args = append(args, ms(*ifUpdatedAt))
	}
	var updated int64
	err := db.w.QueryRowContext(ctx, q+` RETURNING updated_at`, args...).Scan(&updated)
	if errors.Is(err, sql.ErrNoRows) {
		if ifUpdatedAt == nil {
			return store.ErrNotFound
		}
		var n int
		if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE id=$1`, a.ID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return store.ErrChanged
	}
	if err != nil {
		return conflict(err, accountConflicts)
	}
	a.UpdatedAt = tm(updated)
	return nil
}

// GetAccount implements store.Accounts.
func (db *DB) GetAccount(ctx context.Context, id string) (*identity.Account, error) {
	return scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id=$1`, id))
}

// FindAccount implements store.Accounts. Usernames are those of local officials.
func (db *DB) FindAccount(ctx context.Context, kind store.IdentifierKind, value string) (*identity.Account, error) {
	var q string
	switch kind {
	case store.ByPersonalID:
		q = `personal_id=$1`
	case store.ByEmail:
		q = `email=$1`
	case store.ByPhone:
		q = `phone=$1`
	case store.ByUsername:
		q = `official_directory='' AND official_username=$1`
	default:
		return nil, errors.New("sqlstore: unknown identifier kind " + string(kind))
	}
	if value == "" {
		return nil, store.ErrNotFound
	}
	return scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE `+q, value))
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// PasswordHash implements store.Accounts.
func (db *DB) PasswordHash(ctx context.Context, accountID string) (string, error) {
	var h sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT password_hash FROM accounts WHERE id=$1`, accountID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !h.Valid) {
		return "", store.ErrNotFound
	}
	return h.String, err
}

// SetPasswordHash implements store.Accounts.
func (db *DB) SetPasswordHash(ctx context.Context, accountID, hash string) error {
	return affected(db.w.ExecContext(ctx, `UPDATE accounts SET password_hash=$2, `+laterUpdatedAt(3)+` WHERE id=$1`,
		accountID, hash, ms(db.now())))
}

// ProvePersonalID implements store.Accounts.
func (db *DB) ProvePersonalID(ctx context.Context, accountID string, pid identity.PersonalID, proof identity.Proofing) (string, error) {
	if pid == "" || !proof.Verified() {
		return "", errors.New("sqlstore: ProvePersonalID needs a personal ID and a verified proof")
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	now := ms(db.now())
	var (
		holder, held, state string
		heldNull            sql.NullString
	)
	err = tx.QueryRowContext(ctx, `SELECT personal_id, pid_state FROM accounts WHERE id=$1`, accountID).Scan(&heldNull, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	held = heldNull.String
	if held != "" && held != string(pid) && state == string(identity.ProofingVerified) {
		return "", &store.ConflictError{Field: "personal_id"}
	}
	err = tx.QueryRowContext(ctx, `SELECT id, pid_state FROM accounts WHERE personal_id=$1 AND id<>$2`,
		string(pid), accountID).Scan(&holder, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		holder = ""
	case err != nil:
		return "", err
	case state == string(identity.ProofingVerified):
		return "", &store.ConflictError{Field: "personal_id"}
	default:
		// The squatter's claim is dropped, unless it was proven meanwhile.
		if err := affected(tx.ExecContext(ctx, `UPDATE accounts SET personal_id=NULL, pid_state='unverified',
			pid_method='', pid_provider='', pid_assurance='', pid_document='', pid_by='', pid_at=0, `+laterUpdatedAt(3)+`
			WHERE id=$1 AND personal_id=$2 AND pid_state<>'verified'`, holder, string(pid), now)); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", &store.ConflictError{Field: "personal_id"}
			}
			return "", err
		}
	}
	a := &identity.Account{PersonalID: pid, Proofing: proof}
	args := append([]any{accountID, string(pid), now}, proofingArgs(a)...)
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET personal_id=$2, `+laterUpdatedAt(3)+`, pid_state=$4, pid_method=$5,
		pid_provider=$6, pid_assurance=$7, pid_document=$8, pid_by=$9, pid_at=$10 WHERE id=$1`, args...); err != nil {
		return "", conflict(err, accountConflicts)
	}
	return holder, tx.Commit()
}
