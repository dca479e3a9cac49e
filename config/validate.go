package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Key names the setting: a dotted YAML path such as "tokens.access_token_lifespan" (from Validate) or an
	// environment variable such as "DINHDANH_LOG_LEVEL" (from Load).
	Key string
	// Message says what is wrong and what is allowed.
	Message string
}

// String returns "key: message".
func (p Problem) String() string { return p.Key + ": " + p.Message }

// ValidationError is the error returned by Config.Validate. It holds every problem found, in the order of the
// fields of Config.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *ValidationError) Error() string {
	return formatProblems("config: invalid configuration", e.Problems)
}

func formatProblems(title string, problems []Problem) string {
	var b strings.Builder
	b.WriteString(title)
	b.WriteString(":")
	for _, p := range problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

// Allowed values of the settings that take one of a few words.
var (
	accessTokenAlgorithms = []string{"ES256", "RS256", "EdDSA"}
	secureCookiesModes    = []string{"auto", "always", "never"}
	languages             = []string{"vi", "en"}
	logLevels             = []string{"debug", "info", "warn", "error"}
	logFormats            = []string{"text", "json"}
	forwardedHeaders      = []string{"X-Forwarded-For", "Forwarded"}
)

// Minimums of the security baseline.
const (
	minPasswordLength = 8
	minArgonMemoryKiB = 19456
	minArgonTime      = 2
	maxArgonThreads   = 4
)

// Validate checks every setting and returns nil, or a *ValidationError that holds every problem found. It
// does not change c and does not touch the file system.
func (c *Config) Validate() error {
	var v validator

	c.validateIssuer(&v)
	c.validateListen(&v)
	c.validateServer(&v)
	v.oneOf("forwarded_header", c.ForwardedHeader, forwardedHeaders)
	if c.DataDir == "" {
		v.add("data_dir", "must not be empty")
	}

	c.validateDatabaseURL(&v)
	v.atLeast("database.max_open_conns", int64(c.Database.MaxOpenConns), 1)
	if d := c.Database.StatementTimeout; d < Duration(100*time.Millisecond) || d > Duration(10*time.Minute) {
		v.add("database.statement_timeout", "is %s; it must be between 100ms and 10m", d)
	}
	c.validateRedis(&v)

	v.oneOf("keys.access_token_algorithm", c.Keys.AccessTokenAlgorithm, accessTokenAlgorithms)
	v.positive("keys.rotation_check_interval", c.Keys.RotationCheckInterval)

	v.positive("tokens.access_token_lifespan", c.Tokens.AccessTokenLifespan)
	v.positive("tokens.id_token_lifespan", c.Tokens.IDTokenLifespan)
	v.positive("tokens.refresh_token_lifespan", c.Tokens.RefreshTokenLifespan)
	v.positive("tokens.refresh_family_lifetime", c.Tokens.RefreshFamilyLifetime)
	if w := c.Tokens.RefreshReuseWindow.D(); w < 0 || w.Minutes() > 1 {
		v.add("tokens.refresh_reuse_window", "is %s, want 0 (off) up to 1m", w)
	}
	v.positive("tokens.authorize_code_lifespan", c.Tokens.AuthorizeCodeLifespan)

	c.validateCookieName(&v)
	v.positive("session.idle_timeout", c.Session.IdleTimeout)
	if v.positive("session.absolute_lifetime", c.Session.AbsoluteLifetime) &&
		c.Session.IdleTimeout > 0 && c.Session.AbsoluteLifetime < c.Session.IdleTimeout {
		v.add("session.absolute_lifetime", "is %s, shorter than session.idle_timeout (%s); it must be at least as long",
			c.Session.AbsoluteLifetime, c.Session.IdleTimeout)
	}
	v.positive("session.official_idle_timeout", c.Session.OfficialIdleTimeout)
	if v.positive("session.official_absolute_lifetime", c.Session.OfficialAbsoluteLifetime) &&
		c.Session.OfficialIdleTimeout > 0 && c.Session.OfficialAbsoluteLifetime < c.Session.OfficialIdleTimeout {
		v.add("session.official_absolute_lifetime", "is %s, shorter than session.official_idle_timeout (%s); it must be at least as long",
			c.Session.OfficialAbsoluteLifetime, c.Session.OfficialIdleTimeout)
	}
	v.oneOf("session.secure_cookies", c.Session.SecureCookies, secureCookiesModes)
	v.positive("session.logout_delivery_retention", c.Session.LogoutDeliveryRetention)

	v.positive("login.flow_lifespan", c.Login.FlowLifespan)

	v.atLeast("password.min_length", int64(c.Password.MinLength), minPasswordLength)
	v.atLeast("password.memory_kib", int64(c.Password.MemoryKiB), minArgonMemoryKiB)
	v.atLeast("password.iterations", int64(c.Password.Iterations), minArgonTime)
	if p := c.Password.Parallelism; p < 1 || p > maxArgonThreads {
		v.add("password.parallelism", "is %d; it must be from 1 to %d", p, maxArgonThreads)
	}

	if r := c.Password.Reset; v.positive("password.reset.code_lifetime", r.CodeLifetime) &&
		(time.Duration(r.CodeLifetime) < time.Minute || time.Duration(r.CodeLifetime) > time.Hour) {
		v.add("password.reset.code_lifetime", "is %s; it must be from 1m to 1h", time.Duration(r.CodeLifetime))
	}
	if d := c.Password.Reset.CodeDigits; d < 6 || d > 8 {
		v.add("password.reset.code_digits", "is %d; it must be from 6 to 8", d)
	}
	if n := c.Password.Reset.MaxAttempts; n < 1 || n > 10 {
		v.add("password.reset.max_attempts", "is %d; it must be from 1 to 10", n)
	}
	v.atLeast("password.reset.max_per_recipient", int64(c.Password.Reset.MaxPerRecipient), 1)
	v.atLeast("password.reset.max_per_address", int64(c.Password.Reset.MaxPerAddress), 1)
	v.positive("password.reset.window", c.Password.Reset.Window)

	v.atLeast("brute_force.account_max_failures", int64(c.BruteForce.AccountMaxFailures), 1)
	v.atLeast("brute_force.address_max_failures", int64(c.BruteForce.AddressMaxFailures), 1)
	v.positive("brute_force.window", c.BruteForce.Window)
	v.positive("brute_force.lock_duration", c.BruteForce.LockDuration)
	if c.BruteForce.BaseDelay < 0 {
		v.add("brute_force.base_delay", "is %s; it must not be negative (0 turns the delay off)", c.BruteForce.BaseDelay)
	}
	if c.BruteForce.MaxDelay < 0 {
		v.add("brute_force.max_delay", "is %s; it must not be negative", c.BruteForce.MaxDelay)
	} else if c.BruteForce.MaxDelay < c.BruteForce.BaseDelay {
		v.add("brute_force.max_delay", "is %s; it must be at least brute_force.base_delay (%s)", c.BruteForce.MaxDelay, c.BruteForce.BaseDelay)
	}

	c.validateDirectories(&v)
	c.validateUpstreams(&v)
	c.validateCertificates(&v)
	c.validateMFA(&v)
	c.validateMetrics(&v)
	c.validateAdmin(&v)
	c.validateNotify(&v)
	c.validateAudit(&v)
	c.validateContacts(&v)
	c.validateSupport(&v)
	c.validatePrivacy(&v)

	v.oneOf("ui.default_language", c.UI.DefaultLanguage, languages)
	if strings.TrimSpace(c.UI.ProductName) == "" {
		v.add("ui.product_name", "must not be empty")
	}

	v.oneOf("log.level", c.Log.Level, logLevels)
	v.oneOf("log.format", c.Log.Format, logFormats)

	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// validator collects problems.
type validator struct {
	problems []Problem
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// positive reports whether d > 0, adding a problem when it is not.
func (v *validator) positive(key string, d Duration) bool {
	if d > 0 {
		return true
	}
	v.add(key, "is %s; it must be greater than zero", d)
	return false
}

func (v *validator) atLeast(key string, n, lowest int64) {
	if n < lowest {
		v.add(key, "is %d; it must be at least %d", n, lowest)
	}
}

func (v *validator) oneOf(key, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		v.add(key, "is %q; it must be one of %s", value, quoteList(allowed))
	}
}

func quoteList(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = strconv.Quote(w)
	}
	return strings.Join(quoted, ", ")
}

func (c *Config) validateIssuer(v *validator) {
	const key = "issuer"
	if c.Issuer == "" {
		v.add(key, "must not be empty: set the public base URL, such as \"https://sso.example.gov.vn\"")
		return
	}
	u, err := url.Parse(c.Issuer)
	if err != nil {
		v.add(key, "%q is not a URL: %v", c.Issuer, unwrapURLError(err))
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		v.add(key, "%q must be an absolute http or https URL", c.Issuer)
		return
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		v.add(key, "%q must be an absolute URL with a host, such as \"https://sso.example.gov.vn\"", c.Issuer)
		return
	}
	if u.User != nil {
		v.add(key, "%q must not contain user information", c.Issuer)
	}
	if u.RawQuery != "" || u.ForceQuery {
		v.add(key, "%q must not have a query", c.Issuer)
	}
	if strings.Contains(c.Issuer, "#") {
		v.add(key, "%q must not have a fragment", c.Issuer)
	}
	if strings.HasSuffix(u.Path, "/") {
		v.add(key, "%q must not end with a slash", c.Issuer)
	}
	if u.Scheme == "http" && !isLoopbackName(u.Hostname()) {
		v.add(key, "%q must use https; plain http is allowed only for localhost, 127.0.0.1 and ::1", c.Issuer)
	}
}

func isLoopbackName(host string) bool {
	return strings.EqualFold(host, "localhost") || host == "127.0.0.1" || host == "::1"
}

// unwrapURLError drops the operation and URL that url.Parse repeats in its errors.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func (c *Config) validateListen(v *validator) {
	const key = "listen"
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		v.add(key, "%q is not host:port, such as \"localhost:8080\" or \":8080\"", c.Listen)
		return
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		v.add(key, "%q has port %q; the port must be a number from 0 to 65535", c.Listen, port)
	}
}

func (c *Config) validateDatabaseURL(v *validator) {
	const key = "database.url"
	dbURL := c.Database.URL
	if dbURL == "" {
		return
	}
	if path, ok := sqlitePath(dbURL); ok {
		if path == "" {
			v.add(key, "%q names no file: write \"sqlite:PATH\"", dbURL)
		}
		return
	}
	if _, ok := postgresScheme(dbURL); ok {
		u, err := url.Parse(dbURL)
		if err != nil {
			// The error repeats the URL, password included: say only what is wrong.
			v.add(key, "is not a valid PostgreSQL URL (%v); write \"postgres://USER:PASSWORD@HOST:PORT/DATABASE\"", unwrapURLError(err))
			return
		}
		if u.Fragment != "" {
			v.add(key, "must not have a fragment")
		}
		return
	}
	scheme, _, found := strings.Cut(dbURL, ":")
	if !found || scheme == "" || strings.ContainsAny(scheme, "/\\. ") {
		v.add(key, "%q is not a database URL: write \"postgres://…\" or \"sqlite:PATH\", or leave it empty for <data_dir>/dinhdanh.db", dbURL)
		return
	}
	v.add(key, "scheme %q is not supported: write \"postgres://…\" for PostgreSQL or \"sqlite:PATH\" for SQLite, or leave it empty for <data_dir>/dinhdanh.db", scheme)
}

// cookieNamePrefixes are the cookie name prefixes that browsers accept only on Secure cookies.
var cookieNamePrefixes = []string{"__Host-", "__Secure-"}

func (c *Config) validateCookieName(v *validator) {
	const key = "session.cookie_name"
	name := c.Session.CookieName
	if name == "" {
		v.add(key, "must not be empty")
		return
	}
	for _, r := range name {
		if !isTokenChar(r) {
			v.add(key, "%q contains %q; a cookie name may hold only letters, digits and !#$%%&'*+-.^_`|~", name, r)
			return
		}
	}
	for _, prefix := range cookieNamePrefixes {
		if strings.HasPrefix(name, prefix) && !c.SecureCookie() {
			v.add(key, "%q starts with %s, which browsers accept only on Secure cookies; use an https issuer or session.secure_cookies \"always\"", name, prefix)
		}
	}
}

// isTokenChar reports whether r may appear in an HTTP token (RFC 9110, section 5.6.2), the syntax of a
// cookie name.
func isTokenChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}
