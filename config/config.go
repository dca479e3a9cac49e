package config

import (
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Config is the whole configuration of a dinhdanh node.
//
// The zero Config is not usable: start from Default or Load. A setting that is absent from the file and the
// environment keeps its default; a setting that is present replaces the default, even when it is a zero
// value (false, 0, ""), and Validate then judges it. In YAML (see dinhdanh.example.yaml for every key):
//
//	issuer: https://sso.example.gov.vn
//	listen: ":8080"
//	data_dir: /var/lib/dinhdanh
//	tokens:
//	  access_token_lifespan: 5m
//	login:
//	  allow_registration: false
//
// The same settings as environment variables:
//
//	DINHDANH_ISSUER=https://sso.example.gov.vn
//	DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN=5m
//	DINHDANH_LOGIN_ALLOW_REGISTRATION=false
type Config struct {
	// Issuer is the public base URL of this server, as browsers and applications reach it: the "iss" of every
	// token and the prefix of every endpoint in the discovery document. It must be an absolute http or https
	// URL with a host and no user information, query or fragment; a path is allowed
	// ("https://dichvucong.example.gov.vn/sso"). Load strips one trailing slash; any slash left at the end is an
	// error. https is required unless the host is localhost, 127.0.0.1 or ::1.
	// Default "http://localhost:8080".
	Issuer string `yaml:"issuer"`

	// Listen is the TCP address the HTTP server listens on, as host:port. An empty host listens on every
	// interface (":8080"); port 0 picks a free port. TLS is terminated in front of dinhdanh, so this is plain
	// HTTP. Default "localhost:8080".
	Listen string `yaml:"listen"`

	// Server caps the connections the node holds and how long each may take. See Server.
	// Default: 2048 connections, header within 10s, request within 30s, answer within 30s, idle 2m.
	Server Server `yaml:"server"`

	// TrustedProxies lists the addresses or networks (CIDR) of the reverse proxies and load balancers in
	// front of dinhdanh. Only a request whose direct peer is one of them has its client taken from
	// forwarded_header: the hops are walked from the right and the right-most address that is not itself a
	// trusted proxy is the client. That client address is what the brute-force guard, the registration
	// limit, the audit log and the sessions record. A header from any other peer is ignored, and a header
	// that does not parse gives the peer. It is also the default of certificates.mutual_tls.trusted_proxies.
	// In the file a list, in DINHDANH_TRUSTED_PROXIES a comma-separated text. Default: none ([]), every
	// request's client is its direct peer.
	TrustedProxies ProxyNetworks `yaml:"trusted_proxies"`

	// ForwardedHeader is the header in which the trusted proxies record the client: "X-Forwarded-For" (the
	// default; nginx, Caddy, HAProxy and most load balancers) or "Forwarded" (RFC 7239). Only this one is
	// read: a proxy passes the other on as the client sent it.
	ForwardedHeader string `yaml:"forwarded_header"`

	// DataDir is the directory of the embedded SQLite database and of the seal key file when database.url and
	// keys.seal_key_file are empty. A relative path is relative to the working directory. It is created on
	// first start when missing. Default "./data".
	DataDir string `yaml:"data_dir"`

	// Database says where durable state is kept. See Database.
	// Default: the SQLite file <data_dir>/dinhdanh.db.
	Database Database `yaml:"database"`

	// Redis says where ephemeral state is kept when several nodes share it. See Redis.
	// Default: none; ephemeral state is kept in the database.
	Redis Redis `yaml:"redis"`

	// Keys configures signing keys and the key that seals secrets at rest. See Keys.
	// Default: ES256 access tokens, seal key in <data_dir>/seal.key.
	Keys Keys `yaml:"keys"`

	// Tokens sets the lifetimes of what the token endpoint hands out. See Tokens.
	// Default: access 10m, ID 1h, refresh 720h, refresh family 720h, authorization code 1m.
	Tokens Tokens `yaml:"tokens"`

	// Session configures the single sign-on session and its cookie. See Session.
	// Default: idle timeout 30m, absolute lifetime 12h.
	Session Session `yaml:"session"`

	// Login configures the login flow. See Login.
	// Default: flows last 15m, citizens may register.
	Login Login `yaml:"login"`

	// Password sets the password policy and the argon2id cost. See Password.
	// Default: at least 8 characters, argon2id m=19456 KiB, t=2, p=1.
	Password Password `yaml:"password"`

	// BruteForce sets the per-account and per-address limits on failed logins. See BruteForce.
	// Default: lock an account after 5 failures, slow an address down after 30 within 15m.
	BruteForce BruteForce `yaml:"brute_force"`

	// Directories lists the LDAP staff directories whose officials log in with their directory password and
	// whose entries are synchronised into accounts, tried in this order. Configured in the file only: there
	// is no DINHDANH_* variable for a list of sections. See Directory. Default: none ([]).
	Directories []Directory `yaml:"directories"`

	// Upstreams lists the upstream OpenID Connect providers (VNeID, the national public service portal)
	// people may log in through; each gets a button on the login page. File only. See Upstream.
	// Default: none ([]).
	Upstreams []Upstream `yaml:"upstreams"`

	// Certificates configures login with a digital-signature certificate (USB token). See Certificates.
	// Default: off (no trust anchors); CRL and OCSP checked, failing closed, when turned on.
	Certificates Certificates `yaml:"certificates"`

	// MFA configures second factors and the assurance levels logins must reach. See MFA.
	// Default: officials and administrators need LoA2 (a second factor), citizens LoA1.
	MFA MFA `yaml:"mfa"`

	// UI configures the pages shown to people. See UI.
	// Default: Vietnamese, titled "Định danh điện tử".
	UI UI `yaml:"ui"`

	// Log configures the process log. See Log.
	// Default: level info, text format.
	Log Log `yaml:"log"`

	// Metrics says where /metrics is served. See Metrics.
	// Default: nowhere (not on the public listener).
	Metrics Metrics `yaml:"metrics"`

	// Admin configures delegated administration: the tree of agencies that roles are held in. See Admin.
	// Default: no agencies listed (a role covers its own agency only).
	Admin Admin `yaml:"admin"`

	// Mail configures the SMTP server email is sent through. See Mail. Default: none (email is not sent;
	// an email is kept in the outbox as failed).
	Mail Mail `yaml:"mail"`

	// SMS configures the HTTP gateway SMS is sent through. See SMS. Default: none (an SMS is kept in the
	// outbox as failed).
	SMS SMS `yaml:"sms"`

	// Outbox configures the durable queue of emails and SMS. See Outbox. Default: 8 attempts from 10s to 30m
	// apart, sent messages kept 7 days, failed ones 30 days, one notice per recipient and hour.
	Outbox Outbox `yaml:"outbox"`

	// Audit configures the audit log's retention and its copy to syslog. See Audit.
	// Default: events kept 8760h (12 months), no syslog.
	Audit Audit `yaml:"audit"`

	// Contacts configures the one-time codes that verify an email or phone number changed in the account
	// console. See Contacts. Default: codes valid 10m, 5 tries each, 3 codes per account and contact per hour.
	Contacts Contacts `yaml:"contacts"`

	// Privacy configures the privacy notice accepted at registration and the retention of a deleted
	// account's audit events. See Privacy. Default: the catalogs' short notice, version "1"; 43800h (5 years).
	Privacy Privacy `yaml:"privacy"`
}

// Database says where durable state (accounts, credentials, clients, consents, signing keys, audit log) and,
// unless Redis is configured, ephemeral state (sessions, flows, codes) are kept.
type Database struct {
	// URL names the database. Empty (the default) means the SQLite file <data_dir>/dinhdanh.db.
	// "sqlite:PATH" and "sqlite://PATH" mean the SQLite file PATH, taken literally: "sqlite:///var/lib/x.db"
	// is /var/lib/x.db and "sqlite://x.db" is x.db in the working directory. See Config.DatabasePath.
	//
	// "postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=verify-full" (or "postgresql://…", with the
	// parameters libpq knows) means PostgreSQL, shared by every node. Its schema is created and upgraded by
	// "dinhdanh migrate" only: "dinhdanh serve" refuses to start against a schema older or newer than it
	// understands. The database must have encoding UTF8 and a UTF-8 LC_CTYPE (such as C.UTF-8 or
	// vi_VN.UTF-8). Prefer the environment variable DINHDANH_DATABASE_URL to writing a password in the file.
	// Any other scheme is rejected by Validate.
	URL string `yaml:"url"`

	// MaxOpenConns caps the open connections to the database held by this node (on SQLite: the readers; one
	// connection writes; on PostgreSQL at least 2 are allowed whatever this says); at least 1. Default 8.
	MaxOpenConns int `yaml:"max_open_conns"`

	// StatementTimeout bounds each statement on PostgreSQL: it is the server's statement_timeout on every
	// connection (unless database.url sets one in its options), and each call waits at most this long plus
	// half a second for a free connection and its answer, so that a paused or cut-off server costs a
	// request a bounded time and a 503, never a hang. Keep it well under the HTTP write timeout. Migrations
	// and the waits for the nodes' advisory locks run without it. Not used on SQLite. Default 5s; between
	// 100ms and 10m.
	StatementTimeout Duration `yaml:"statement_timeout"`
}

// Keys configures token signing keys and the key that seals secrets at rest.
type Keys struct {
	// SealKeyFile is the file holding the 32-byte AES-256-GCM key, written as base64 or hex text, that seals
	// private signing keys in the database, and derives the key of authorization codes and refresh tokens. It is created, readable by
	// its owner only, on first start when missing. Losing it makes every sealed secret unreadable: back it
	// up apart from the database, and give every node the same file. Empty (the default) means
	// <data_dir>/seal.key. See Config.SealKeyPath.
	SealKeyFile string `yaml:"seal_key_file"`

	// AccessTokenAlgorithm is the JWS algorithm that signs JWT access tokens: "ES256", "RS256" or "EdDSA",
	// written exactly so. Default "ES256".
	AccessTokenAlgorithm string `yaml:"access_token_algorithm"`

	// RotationCheckInterval is how often a node reloads the signing key set from the database, so that a key
	// added or retired on one node is used and published by all nodes within this interval; greater than
	// zero. Default "30s".
	RotationCheckInterval Duration `yaml:"rotation_check_interval"`
}

// Tokens sets the lifetimes of the tokens and codes issued by the authorization server. Every lifespan must be
// greater than zero.
type Tokens struct {
	// AccessTokenLifespan is how long an access token is valid after it is issued. Default "10m".
	AccessTokenLifespan Duration `yaml:"access_token_lifespan"`

	// IDTokenLifespan is how long an ID token is valid after it is issued. Default "1h".
	IDTokenLifespan Duration `yaml:"id_token_lifespan"`

	// RefreshTokenLifespan is how long a refresh token can be redeemed after it is issued; redeeming it
	// issues a new one. Default "720h" (30 days).
	RefreshTokenLifespan Duration `yaml:"refresh_token_lifespan"`

	// RefreshFamilyLifetime is the absolute lifetime of a refresh-token family: the refresh tokens issued,
	// one rotation after another, from one authorization. However often they are redeemed, none is
	// accepted once this much time has passed since the authorization; the refresh is refused with
	// invalid_grant, the family is revoked and the person must sign in again. Default "720h" (30 days).
	RefreshFamilyLifetime Duration `yaml:"refresh_family_lifetime"`

	// RefreshReuseWindow is how long after a committed rotation the rotated refresh token, presented again
	// by the same client, is answered with the same successor (the same refresh token, with a new access
	// token and ID token of the same family) instead of being treated as reuse: a client whose answer was lost can retry. Presented after
	// the window, it is reuse and the family is revoked. "0" turns the window off (every second
	// presentation is reuse). At most 1m. Default "5s".
	RefreshReuseWindow Duration `yaml:"refresh_reuse_window"`

	// AuthorizeCodeLifespan is how long an authorization code can be exchanged after it is issued; RFC 6749
	// recommends no more than 10 minutes. Default "1m".
	AuthorizeCodeLifespan Duration `yaml:"authorize_code_lifespan"`
}

// Session configures the single sign-on session that lets a person reach several applications after one
// login, and the cookie that carries it.
type Session struct {
	// CookieName is the name of the SSO session cookie: a non-empty HTTP token (letters, digits and
	// !#$%&'*+-.^_`|~). A name starting with "__Host-" or "__Secure-" needs Secure cookies.
	// Default "dinhdanh_session".
	CookieName string `yaml:"cookie_name"`

	// IdleTimeout ends a citizen's session that has not been used for this long; greater than zero.
	// Default "30m".
	IdleTimeout Duration `yaml:"idle_timeout"`

	// AbsoluteLifetime ends a citizen's session this long after the login that started it, however active
	// it is; at least idle_timeout. Default "12h".
	AbsoluteLifetime Duration `yaml:"absolute_lifetime"`

	// OfficialIdleTimeout ends an official's session (a login in the official capacity) that has not
	// been used for this long: shared office computers call for a short one. Greater than zero.
	// Default "15m".
	OfficialIdleTimeout Duration `yaml:"official_idle_timeout"`

	// OfficialAbsoluteLifetime ends an official's session this long after its login, however active it
	// is (a working day); at least official_idle_timeout. Default "10h".
	OfficialAbsoluteLifetime Duration `yaml:"official_absolute_lifetime"`

	// SecureCookies says when cookies carry the Secure attribute: "auto" (the default) when the issuer is
	// https, "always", or "never" (only for plain-HTTP development). See Config.SecureCookie.
	SecureCookies string `yaml:"secure_cookies"`

	// LogoutDeliveryRetention is how long a finished back-channel logout notification (delivered, or
	// failed after its last retry) stays in the durable queue, for "dinhdanh logout deliveries" and the
	// metrics, before the nodes' background sweep deletes it; pending ones are kept until they finish.
	// Greater than zero. Default "168h" (a week).
	LogoutDeliveryRetention Duration `yaml:"logout_delivery_retention"`
}

// Login configures the login flow: choosing a method, the second factor, step-up and consent.
type Login struct {
	// FlowLifespan is how long a started login flow (the /login?flow=… pages and their steps) stays usable
	// before the person must start again; greater than zero. Default "15m".
	FlowLifespan Duration `yaml:"flow_lifespan"`

	// AllowRegistration lets citizens create their own accounts. Default true; because a key that is absent
	// keeps its default, turning registration off needs an explicit false.
	AllowRegistration bool `yaml:"allow_registration"`
}

// Password sets the policy for local passwords and the argon2id parameters that hash them. The minimums
// below are the security baseline and cannot be lowered. Raising a cost parameter makes each existing hash be
// rehashed at its owner's next login.
type Password struct {
	// MinLength is the fewest characters (Unicode code points, not bytes) a new password may have; at least 8.
	// Default 8.
	MinLength int `yaml:"min_length"`

	// MemoryKiB is the argon2id memory cost in KiB; at least 19456 (19 MiB). Default 19456.
	MemoryKiB uint32 `yaml:"memory_kib"`

	// Iterations is the argon2id time cost (passes over memory); at least 2. Default 2.
	Iterations uint32 `yaml:"iterations"`

	// Parallelism is the argon2id degree of parallelism (lanes); from 1 to 4. Default 1.
	Parallelism uint8 `yaml:"parallelism"`

	// Reset configures "forgot password" at the login page (/login/forgot); the defaults of its fields are
	// stated there.
	Reset PasswordReset `yaml:"reset"`
}

// PasswordReset configures the reset of a forgotten password through a one-time code sent to a verified email
// or phone (through the outbox, see Mail and SMS). Every new password, also a reset one, must be at least
// Password.MinLength characters and not in the bundled list of common and breached passwords.
type PasswordReset struct {
	// CodeLifetime is how long a sent code may be used; from 1 minute to 1 hour. Default 15m.
	CodeLifetime Duration `yaml:"code_lifetime"`

	// CodeDigits is the length of a code; from 6 to 8. Default 8.
	CodeDigits int `yaml:"code_digits"`

	// MaxAttempts is how many codes may be tried against one request before it is void; from 1 to 10.
	// Default 5.
	MaxAttempts int `yaml:"max_attempts"`

	// MaxPerRecipient is how many codes go to one email address or phone number within Window (further
	// requests get the same answer and send nothing); at least 1. Default 3.
	MaxPerRecipient int `yaml:"max_per_recipient"`

	// MaxPerAddress is how many reset requests one client address may make within Window (then it is told
	// to wait); at least 1. Default 20.
	MaxPerAddress int `yaml:"max_per_address"`

	// Window is the period over which MaxPerRecipient and MaxPerAddress count. Default 1h.
	Window Duration `yaml:"window"`
}

// BruteForce limits guessing: failed logins are counted per account identifier and per source address (the
// client address, see TrustedProxies), each failure delays the next answer, and too many failures lock the
// account for a while. An address is never locked, only slowed down: many people may share one address (an
// agency's NAT), and a lock would refuse a correct password of any of them. Answers look the same whether or
// not the account exists.
type BruteForce struct {
	// AccountMaxFailures is how many consecutive failed logins for one account identifier lock it for
	// lock_duration; a success resets the count. At least 1. Default 5.
	AccountMaxFailures int `yaml:"account_max_failures"`

	// AddressMaxFailures is how many failed logins from one source address within window go without the
	// address's delay; every login try from it beyond that many waits base_delay × 2^(k−1) (k: how far
	// beyond), capped at max_delay, until the window ends. The address is never locked. It is also the limit
	// of registrations per address and hour. At least 1. Default 30.
	AddressMaxFailures int `yaml:"address_max_failures"`

	// Window is the span over which failures from one address are counted; greater than zero. Default "15m".
	Window Duration `yaml:"window"`

	// LockDuration is how long a locked account stays locked; greater than zero. Default "15m".
	LockDuration Duration `yaml:"lock_duration"`

	// BaseDelay is the unit of the growing delay before answering a failed login:
	// delay = base_delay × 2^(failures−1), capped at max_delay. Zero turns the delay off; it must not be
	// negative. Default "250ms".
	BaseDelay Duration `yaml:"base_delay"`

	// MaxDelay caps that delay; at least base_delay. Default "4s".
	MaxDelay Duration `yaml:"max_delay"`
}

// UI configures the pages shown to people.
type UI struct {
	// DefaultLanguage is the language of pages for a person who has not chosen one and whose request names
	// no supported language: "vi" (the default) or "en".
	DefaultLanguage string `yaml:"default_language"`

	// ProductName is the name shown in page titles and headings; not empty. Default "Định danh điện tử".
	ProductName string `yaml:"product_name"`

	// SupportContact says whom to contact when something goes wrong, shown on error pages and in the login
	// page's help. See SupportContact. Default: empty (nothing shown).
	SupportContact SupportContact `yaml:"support_contact"`
}

// Log configures the process log. Audit records are kept in the database whatever these say.
type Log struct {
	// Level is the least severe level written: "debug", "info" (the default), "warn" or "error".
	Level string `yaml:"level"`

	// Format is the line format: "text" (the default) for people, or "json" for log collectors.
	Format string `yaml:"format"`
}

// Default returns a new Config with every default filled in: the embedded single-node setup that serves
// http://localhost:8080 from ./data.
func Default() *Config {
	c := &Config{
		Issuer:  "http://localhost:8080",
		Listen:  "localhost:8080",
		DataDir: "./data",

		ForwardedHeader: "X-Forwarded-For",
		Server:          defaultServer(),
		Database: Database{
			URL:              "",
			MaxOpenConns:     8,
			StatementTimeout: Duration(5 * time.Second),
		},
		Redis: defaultRedis(),
		Keys: Keys{
			SealKeyFile:           "",
			AccessTokenAlgorithm:  "ES256",
			RotationCheckInterval: Duration(30 * time.Second),
		},
		Tokens: Tokens{
			AccessTokenLifespan:   Duration(10 * time.Minute),
			IDTokenLifespan:       Duration(time.Hour),
			RefreshTokenLifespan:  Duration(720 * time.Hour),
			RefreshFamilyLifetime: Duration(720 * time.Hour),
			RefreshReuseWindow:    Duration(5 * time.Second),
			AuthorizeCodeLifespan: Duration(time.Minute),
		},
		Session: Session{
			CookieName:               "dinhdanh_session",
			IdleTimeout:              Duration(30 * time.Minute),
			AbsoluteLifetime:         Duration(12 * time.Hour),
			OfficialIdleTimeout:      Duration(15 * time.Minute),
			OfficialAbsoluteLifetime: Duration(10 * time.Hour),
			SecureCookies:            "auto",
			LogoutDeliveryRetention:  Duration(168 * time.Hour),
		},
		Login: Login{
			FlowLifespan:      Duration(15 * time.Minute),
			AllowRegistration: true,
		},
		Password: Password{
			MinLength:   8,
			MemoryKiB:   19456,
			Iterations:  2,
			Parallelism: 1,
			Reset: PasswordReset{CodeLifetime: Duration(15 * time.Minute), CodeDigits: 8, MaxAttempts: 5,
				MaxPerRecipient: 3, MaxPerAddress: 20, Window: Duration(time.Hour)},
		},
		BruteForce: BruteForce{
			AccountMaxFailures: 5,
			AddressMaxFailures: 30,
			Window:             Duration(15 * time.Minute),
			LockDuration:       Duration(15 * time.Minute),
			BaseDelay:          Duration(250 * time.Millisecond),
			MaxDelay:           Duration(4 * time.Second),
		},
		Directories:  []Directory{},
		Upstreams:    []Upstream{},
		Admin:        Admin{Agencies: []Agency{}},
		Certificates: defaultCertificates(),
		MFA:          defaultMFA(),
		UI: UI{
			DefaultLanguage: "vi",
			ProductName:     "Định danh điện tử",
		},
		Log: Log{
			Level:  "info",
			Format: "text",
		},
		Metrics: Metrics{},
		Audit:   defaultAudit(),
		Privacy: defaultPrivacy(),
	}
	c.Contacts = defaultContacts()
	c.Mail, c.SMS, c.Outbox = defaultNotify()
	return c
}

// sqlitePath returns the file named by a "sqlite:" or "sqlite://" database URL (scheme in any case) and
// whether the URL has that scheme.
func sqlitePath(dbURL string) (string, bool) {
	for _, prefix := range []string{"sqlite://", "sqlite:"} {
		if len(dbURL) >= len(prefix) && strings.EqualFold(dbURL[:len(prefix)], prefix) {
			return dbURL[len(prefix):], true
		}
	}
	return "", false
}

// PostgresURL returns Database.URL when it names a PostgreSQL database (scheme "postgres" or "postgresql",
// in any case), and "" otherwise.
func (c *Config) PostgresURL() string {
	if _, ok := postgresScheme(c.Database.URL); ok {
		return c.Database.URL
	}
	return ""
}

// postgresScheme returns the scheme of a PostgreSQL URL and whether the URL has one.
func postgresScheme(dbURL string) (string, bool) {
	scheme, _, found := strings.Cut(dbURL, "://")
	if !found {
		return "", false
	}
	if strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql") {
		return scheme, true
	}
	return "", false
}

// DatabasePath returns the SQLite file that holds the database: <data_dir>/dinhdanh.db when Database.URL is
// empty, PATH when it is "sqlite:PATH" or "sqlite://PATH", and "" when it names another kind of database.
func (c *Config) DatabasePath() string {
	if c.Database.URL == "" {
		return filepath.Join(c.DataDir, "dinhdanh.db")
	}
	path, _ := sqlitePath(c.Database.URL)
	return path
}

// SealKeyPath returns the file that holds the seal key: Keys.SealKeyFile, or <data_dir>/seal.key when that is
// empty.
func (c *Config) SealKeyPath() string {
	if c.Keys.SealKeyFile != "" {
		return c.Keys.SealKeyFile
	}
	return filepath.Join(c.DataDir, "seal.key")
}

// SecureCookie reports whether cookies must carry the Secure attribute: true for Session.SecureCookies
// "always", false for "never", and for "auto" (or any other value) true exactly when the issuer is an https
// URL.
func (c *Config) SecureCookie() bool {
	switch c.Session.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	u, err := url.Parse(c.Issuer)
	return err == nil && u.Scheme == "https"
}
