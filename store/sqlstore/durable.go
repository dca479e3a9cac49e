package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

func itoa(n int) string { return strconv.Itoa(n) }

// PutBusiness implements store.Businesses.
func (db *DB) PutBusiness(ctx context.Context, b *identity.Business) error {
	if b.CreatedAt.IsZero() {
		b.CreatedAt = db.now().UTC()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO businesses (tax_code, name, created_at) VALUES ($1,$2,$3)
		ON CONFLICT (tax_code) DO UPDATE SET name=excluded.name`, string(b.TaxCode), b.Name, ms(b.CreatedAt))
	return err
}

// GetBusiness implements store.Businesses.
func (db *DB) GetBusiness(ctx context.Context, code identity.TaxCode) (*identity.Business, error) {
	var b identity.Business
	var tc string
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT tax_code, name, created_at FROM businesses WHERE tax_code=$1`, string(code)).
		Scan(&tc, &b.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	b.TaxCode, b.CreatedAt = identity.TaxCode(tc), tm(created)
	return &b, err
}

// AddRepresentation implements store.Businesses.
func (db *DB) AddRepresentation(ctx context.Context, r *identity.Representation) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = db.now().UTC()
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO representations (account_id, tax_code, role, granted_by, created_at)
		VALUES ($1,$2,$3,$4,$5)`, r.AccountID, string(r.TaxCode), string(r.Role), r.GrantedBy, ms(r.CreatedAt))
	if foreignKeyViolation(err) {
		return store.ErrNotFound
	}
	return conflict(err, map[string]string{"representations.": "representation"})
}

// RemoveRepresentation implements store.Businesses.
func (db *DB) RemoveRepresentation(ctx context.Context, accountID string, code identity.TaxCode) error {
	return affected(db.w.ExecContext(ctx, `DELETE FROM representations WHERE account_id=$1 AND tax_code=$2`, accountID, string(code)))
}

// Representations implements store.Businesses.
func (db *DB) Representations(ctx context.Context, accountID string) ([]*identity.Representation, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT r.account_id, r.tax_code, b.name, r.role, r.granted_by, r.created_at
		FROM representations r JOIN businesses b ON b.tax_code = r.tax_code WHERE r.account_id=$1 ORDER BY r.tax_code`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*identity.Representation
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

// clientSettings is the stored form of a client's settings.
type clientSettings struct {
	Name                    string   `json:"name"`
	Public                  bool     `json:"public,omitempty"`
	FirstParty              bool     `json:"first_party,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	Scopes                  []string `json:"scopes,omitempty"`
	Audience                []string `json:"audience,omitempty"`
	IDTokenAlgorithm        string   `json:"id_token_alg,omitempty"`
	AccessTokenFormat       string   `json:"access_token_format,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI    string   `json:"backchannel_logout_uri,omitempty"`
	FrontchannelLogoutURI   string   `json:"frontchannel_logout_uri,omitempty"`
	MinimumACR              string   `json:"minimum_acr,omitempty"`
	ClaimProfile            string   `json:"claim_profile,omitempty"`
	Agency                  string   `json:"agency,omitempty"`
	PurposeVI               string   `json:"purpose_vi,omitempty"`
	PurposeEN               string   `json:"purpose_en,omitempty"`
	PrivacyURLVI            string   `json:"privacy_url_vi,omitempty"`
	PrivacyURLEN            string   `json:"privacy_url_en,omitempty"`
}

func clientRow(c *store.Client) (settings string, secret string, err error) {
	b, err := json.Marshal(clientSettings{c.Name, c.Public, c.FirstParty, c.RedirectURIs, c.GrantTypes, c.Scopes,
		c.Audience, c.IDTokenAlgorithm, c.AccessTokenFormat, c.TokenEndpointAuthMethod, c.PostLogoutRedirectURIs,
		c.BackchannelLogoutURI, c.FrontchannelLogoutURI, c.MinimumACR, c.ClaimProfile, c.Agency,
		c.PurposeVI, c.PurposeEN, c.PrivacyURLVI, c.PrivacyURLEN})
	return string(b), hex.EncodeToString(c.SecretHash), err
}

func scanClient(row scanner) (*store.Client, error) {
	var id, secret, settings string
	var created, updated int64
	if err := row.Scan(&id, &secret, &settings, &created, &updated); errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	var s clientSettings
	if err := json.Unmarshal([]byte(settings), &s); err != nil {
		return nil, err
	}
	hash, err := hex.DecodeString(secret)
	if err != nil {
		return nil, err
	}
	if len(hash) == 0 {
		hash = nil
	}
	return &store.Client{ID: id, Name: s.Name, SecretHash: hash, Public: s.Public, FirstParty: s.FirstParty,
		RedirectURIs: s.RedirectURIs, GrantTypes: s.GrantTypes, Scopes: s.Scopes, Audience: s.Audience,
		IDTokenAlgorithm: s.IDTokenAlgorithm, AccessTokenFormat: s.AccessTokenFormat,
		TokenEndpointAuthMethod: s.TokenEndpointAuthMethod, PostLogoutRedirectURIs: s.PostLogoutRedirectURIs,
		BackchannelLogoutURI: s.BackchannelLogoutURI, FrontchannelLogoutURI: s.FrontchannelLogoutURI,
		MinimumACR: s.MinimumACR, ClaimProfile: s.ClaimProfile, Agency: s.Agency,
		PurposeVI: s.PurposeVI, PurposeEN: s.PurposeEN, PrivacyURLVI: s.PrivacyURLVI, PrivacyURLEN: s.PrivacyURLEN,
		CreatedAt: tm(created), UpdatedAt: tm(updated)}, nil
}

// CreateClient implements store.Clients.
func (db *DB) CreateClient(ctx context.Context, c *store.Client) error {
	settings, secret, err := clientRow(c)
	if err != nil {
		return err
	}
	now := db.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	_, err = db.w.ExecContext(ctx, `INSERT INTO clients (id, secret_hash, settings, created_at, updated_at) VALUES ($1,$2,$3,$4,$5)`,
		c.ID, secret, settings, ms(now), ms(now))
	return conflict(err, map[string]string{"clients.id": "client_id"})
}

// GetClient implements store.Clients.
func (db *DB) GetClient(ctx context.Context, id string) (*store.Client, error) {
	return scanClient(db.r.QueryRowContext(ctx, `SELECT id, secret_hash, settings, created_at, updated_at FROM clients WHERE id=$1`, id))
}

// ListClients implements store.Clients.
func (db *DB) ListClients(ctx context.Context) ([]*store.Client, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, secret_hash, settings, created_at, updated_at FROM clients ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateClient implements store.Clients.
func (db *DB) UpdateClient(ctx context.Context, c *store.Client) error {
	settings, secret, err := clientRow(c)
	if err != nil {
		return err
	}
	c.UpdatedAt = db.now().UTC()
	return affected(db.w.ExecContext(ctx, `UPDATE clients SET secret_hash=$2, settings=$3, updated_at=$4 WHERE id=$1`,
		c.ID, secret, settings, ms(c.UpdatedAt)))
}

// DeleteClient implements store.Clients: its consents and refresh tokens go with it.
func (db *DB) DeleteClient(ctx context.Context, id string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE client_id=$1`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM consents WHERE client_id=$1`, id); err != nil {
		return err
	}
	if err := affected(tx.ExecContext(ctx, `DELETE FROM clients WHERE id=$1`, id)); err != nil {
		return err
	}
	return tx.Commit()
}

// GetConsent implements store.Consents.
func (db *DB) GetConsent(ctx context.Context, accountID, clientID string) (*store.Consent, error) {
	var scopes string
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT scopes, granted_at FROM consents WHERE account_id=$1 AND client_id=$2`, accountID, clientID).Scan(&scopes, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &store.Consent{AccountID: accountID, ClientID: clientID, Scopes: splitSpace(scopes), GrantedAt: tm(at)}, nil
}

func splitSpace(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// PutConsent implements store.Consents: the history line (store.PersonalData)
// is written in the same transaction. The consent's row is written first
// (inserted when new, else updated), which locks it, so that concurrent
// puts each see the scopes the one before them left.
func (db *DB) PutConsent(ctx context.Context, c *store.Consent) error {
	if c.GrantedAt.IsZero() {
		c.GrantedAt = db.now().UTC()
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	scopes := strings.Join(c.Scopes, " ")
	action := ""
	for action == "" {
		res, err := tx.ExecContext(ctx, `INSERT INTO consents (account_id, client_id, scopes, granted_at) VALUES ($1,$2,$3,$4)
			ON CONFLICT (account_id, client_id) DO NOTHING`, c.AccountID, c.ClientID, scopes, ms(c.GrantedAt))
		if foreignKeyViolation(err) {
			return store.ErrNotFound
		}
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 1 {
			action = store.ConsentGranted
			break
		}
		// A consent stands: the same scopes only renew its time.
		res, err = tx.ExecContext(ctx, `UPDATE consents SET granted_at=$4 WHERE account_id=$1 AND client_id=$2 AND scopes=$3`,
			c.AccountID, c.ClientID, scopes, ms(c.GrantedAt))
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 1 {
			return tx.Commit()
		}
		res, err = tx.ExecContext(ctx, `UPDATE consents SET scopes=$3, granted_at=$4 WHERE account_id=$1 AND client_id=$2`,
			c.AccountID, c.ClientID, scopes, ms(c.GrantedAt))
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 1 {
			action = store.ConsentChanged
		}
		// Otherwise it was withdrawn meanwhile: insert it again.
	}
	if err := appendConsentEvent(ctx, tx, c.AccountID, c.ClientID, action, scopes, c.GrantedAt); err != nil {
		return err
	}
	return tx.Commit()
}

// rowsAffected returns how many rows the statement changed.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RevokeConsent implements store.Consents: the history keeps the consent
// (store.PersonalData), written in the same transaction.
func (db *DB) RevokeConsent(ctx context.Context, accountID, clientID string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := withdrawConsents(ctx, tx, accountID, clientID, db.now().UTC()); err != nil {
		return err
	}
	return tx.Commit()
}

// ListConsents implements store.Consents.
func (db *DB) ListConsents(ctx context.Context, accountID string) ([]*store.Consent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT client_id, scopes, granted_at FROM consents WHERE account_id=$1 ORDER BY client_id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.Consent
	for rows.Next() {
		c := &store.Consent{AccountID: accountID}
		var scopes string
		var at int64
		if err := rows.Scan(&c.ClientID, &scopes, &at); err != nil {
			return nil, err
		}
		c.Scopes, c.GrantedAt = splitSpace(scopes), tm(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListSigningKeys implements store.SigningKeys.
func (db *DB) ListSigningKeys(ctx context.Context, now time.Time) ([]*store.SigningKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, algorithm, key_use, sealed_private, public_jwk, created_at, retired_at, expires_at
		FROM signing_keys WHERE expires_at=0 OR expires_at>$1 ORDER BY created_at DESC, id`, ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		var sealed, pub string
		var c, r, e int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Use, &sealed, &pub, &c, &r, &e); err != nil {
			return nil, err
		}
		if k.SealedPrivate, err = base64.StdEncoding.DecodeString(sealed); err != nil {
			return nil, err
		}
		k.PublicJWK = []byte(pub)
		k.CreatedAt, k.RetiredAt, k.ExpiresAt = tm(c), tm(r), tm(e)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// AddSigningKey implements store.SigningKeys.
func (db *DB) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, key_use, sealed_private, public_jwk, created_at, retired_at, expires_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, k.ID, k.Algorithm, k.Use, base64.StdEncoding.EncodeToString(k.SealedPrivate),
		string(k.PublicJWK), ms(k.CreatedAt), ms(k.RetiredAt), ms(k.ExpiresAt))
	return conflict(err, map[string]string{"signing_keys.id": "kid"})
}

// RetireSigningKeys implements store.SigningKeys.
func (db *DB) RetireSigningKeys(ctx context.Context, algorithm string, t, expires time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE signing_keys SET retired_at=$2, expires_at=$3 WHERE algorithm=$1 AND retired_at=0`,
		algorithm, ms(t), ms(expires))
	return err
}

// CreateRefreshToken implements store.RefreshTokens.
func (db *DB) CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error {
	_, err := db.execWrite(ctx, `INSERT INTO refresh_tokens (`+refreshColumns+`) VALUES (`+refreshValues+`)`, refreshArgs(t)...)
	return conflict(err, map[string]string{"refresh_tokens.signature": "signature"})
}

const (
	refreshColumns = `signature, request_id, access_signature, client_id, subject, session_id, active, request, expires_at,
		created_at, offline, tax_code`
	refreshValues = `$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12`
)

func refreshArgs(t *store.RefreshToken) []any {
	return []any{t.Signature, t.RequestID, t.AccessSignature, t.ClientID, t.Subject, t.SessionID, b2i(t.Active), t.Request,
		ms(t.ExpiresAt), ms(t.CreatedAt), b2i(t.Offline), t.TaxCode}
}

// GetRefreshToken implements store.RefreshTokens. The account of the
// token's subject is read in the same query.
func (db *DB) GetRefreshToken(ctx context.Context, signature string) (*store.RefreshToken, error) {
	var t store.RefreshToken
	var active, offline, disabled, missing int
	var exp, created, rotated int64
	err := db.r.QueryRowContext(ctx, `SELECT t.signature, t.request_id, t.access_signature, t.client_id, t.subject,
		t.session_id, t.active, t.request, t.expires_at, t.created_at, t.offline, t.tax_code, COALESCE(a.disabled, 0),
		CASE WHEN a.id IS NULL THEN 1 ELSE 0 END, t.rotated_at, t.successor, t.successor_seal
		FROM refresh_tokens t LEFT JOIN accounts a ON a.id = t.subject WHERE t.signature=$1`, signature).
		Scan(&t.Signature, &t.RequestID, &t.AccessSignature, &t.ClientID, &t.Subject, &t.SessionID, &active, &t.Request,
			&exp, &created, &offline, &t.TaxCode, &disabled, &missing, &rotated, &t.Successor, &t.SuccessorSeal)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.Active, t.Offline, t.ExpiresAt, t.CreatedAt = active == 1, offline == 1, tm(exp), tm(created)
	t.SubjectDisabled, t.SubjectMissing = disabled != 0, missing == 1
	if rotated != 0 {
		t.RotatedAt = tm(rotated)
	}
	if len(t.SuccessorSeal) == 0 {
		t.SuccessorSeal = nil
	}
	return &t, nil
}

// DeleteRefreshToken implements store.RefreshTokens.
func (db *DB) DeleteRefreshToken(ctx context.Context, signature string) error {
	return affected(db.w.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE signature=$1`, signature))
}

// DeactivateRefreshToken implements store.RefreshTokens.
func (db *DB) DeactivateRefreshToken(ctx context.Context, signature string) error {
	res, err := db.execWrite(ctx, `UPDATE refresh_tokens SET active=0 WHERE signature=$1 AND active=1`, signature)
	if err := affected(res, err); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return db.whyNotActive(ctx, signature)
}

// whyNotActive tells why an active token signature was not found: it is
// inactive (ErrAlreadyUsed) or absent (ErrNotFound).
func (db *DB) whyNotActive(ctx context.Context, signature string) error {
	if _, err := db.GetRefreshToken(ctx, signature); err != nil {
		return err
	}
	return store.ErrAlreadyUsed
}

// RotateRefreshToken implements store.RefreshTokens. The engine does it in
// one statement or one transaction (see dialect.rotateRefreshToken).
func (db *DB) RotateRefreshToken(ctx context.Context, signature string, next *store.RefreshToken) error {
	rotated, err := db.d.rotateRefreshToken(ctx, db, signature, next)
	if err != nil {
		return conflict(err, map[string]string{"refresh_tokens.signature": "signature"})
	}
	if !rotated {
		return db.whyNotActive(ctx, signature)
	}
	return nil
}

// RevokeRefreshTokenFamily implements store.RefreshTokens.
func (db *DB) RevokeRefreshTokenFamily(ctx context.Context, requestID string) error {
	_, err := db.execWrite(ctx, `UPDATE refresh_tokens SET active=0 WHERE request_id=$1 AND active=1`, requestID)
	return err
}

// RevokeRefreshTokensOfSubject implements store.RefreshTokens.
func (db *DB) RevokeRefreshTokensOfSubject(ctx context.Context, subject, clientID string) error {
	if clientID != "" {
		_, err := db.w.ExecContext(ctx, `UPDATE refresh_tokens SET active=0 WHERE subject=$1 AND client_id=$2 AND active=1`, subject, clientID)
		return err
	}
	_, err := db.w.ExecContext(ctx, `UPDATE refresh_tokens SET active=0 WHERE subject=$1 AND active=1`, subject)
	return err
}

// RevokeRefreshTokensOfBusiness implements store.RefreshTokens.
func (db *DB) RevokeRefreshTokensOfBusiness(ctx context.Context, subject, taxCode string) error {
	if taxCode == "" {
		return errors.New("sqlstore: RevokeRefreshTokensOfBusiness needs a tax code")
	}
	_, err := db.execWrite(ctx, `UPDATE refresh_tokens SET active=0 WHERE subject=$1 AND tax_code=$2 AND active=1`, subject, taxCode)
	return err
}

// DeleteExpiredRefreshTokens implements store.RefreshTokens.
func (db *DB) DeleteExpiredRefreshTokens(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at<=$1`, ms(t))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
