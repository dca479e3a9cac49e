package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() is not valid: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"issuer", c.Issuer, "http://localhost:8080"},
		{"listen", c.Listen, "localhost:8080"},
		{"trusted_proxies (count)", len(c.TrustedProxies), 0},
		{"forwarded_header", c.ForwardedHeader, "X-Forwarded-For"},
		{"server.max_connections", c.Server.MaxConnections, 2048},
		{"server.read_header_timeout", c.Server.ReadHeaderTimeout, Duration(10 * time.Second)},
		{"server.read_timeout", c.Server.ReadTimeout, Duration(30 * time.Second)},
		{"server.write_timeout", c.Server.WriteTimeout, Duration(30 * time.Second)},
		{"server.idle_timeout", c.Server.IdleTimeout, Duration(2 * time.Minute)},
		{"server.max_header_bytes", c.Server.MaxHeaderBytes, 32 << 10},
		{"data_dir", c.DataDir, "./data"},
		{"database.url", c.Database.URL, ""},
		{"database.max_open_conns", c.Database.MaxOpenConns, 8},
		{"database.statement_timeout", c.Database.StatementTimeout, Duration(5 * time.Second)},
		{"redis.addrs (count)", len(c.Redis.Addrs), 0},
		{"redis.master_name", c.Redis.MasterName, ""},
		{"redis.cluster", c.Redis.Cluster, false},
		{"redis.username", c.Redis.Username, ""},
		{"redis.password", c.Redis.Password, ""},
		{"redis.db", c.Redis.DB, 0},
		{"redis.key_prefix", c.Redis.KeyPrefix, "dinhdanh:"},
		{"redis.dial_timeout", c.Redis.DialTimeout.D(), 2 * time.Second},
		{"redis.read_timeout", c.Redis.ReadTimeout.D(), time.Second},
		{"redis.tls", c.Redis.TLS, false},
		{"redis.tls_ca_file", c.Redis.TLSCAFile, ""},
		{"redis.allow_eviction", c.Redis.AllowEviction, false},
		{"keys.seal_key_file", c.Keys.SealKeyFile, ""},
		{"keys.access_token_algorithm", c.Keys.AccessTokenAlgorithm, "ES256"},
		{"keys.rotation_check_interval", c.Keys.RotationCheckInterval.D(), 30 * time.Second},
		{"tokens.access_token_lifespan", c.Tokens.AccessTokenLifespan.D(), 10 * time.Minute},
		{"tokens.id_token_lifespan", c.Tokens.IDTokenLifespan.D(), time.Hour},
		{"tokens.refresh_token_lifespan", c.Tokens.RefreshTokenLifespan.D(), 720 * time.Hour},
		{"tokens.refresh_family_lifetime", c.Tokens.RefreshFamilyLifetime.D(), 720 * time.Hour},
		{"tokens.refresh_reuse_window", c.Tokens.RefreshReuseWindow.D(), 5 * time.Second},
		{"tokens.authorize_code_lifespan", c.Tokens.AuthorizeCodeLifespan.D(), time.Minute},
		{"session.cookie_name", c.Session.CookieName, "dinhdanh_session"},
		{"session.idle_timeout", c.Session.IdleTimeout.D(), 30 * time.Minute},
		{"session.absolute_lifetime", c.Session.AbsoluteLifetime.D(), 12 * time.Hour},
		{"session.official_idle_timeout", c.Session.OfficialIdleTimeout.D(), 15 * time.Minute},
		{"session.official_absolute_lifetime", c.Session.OfficialAbsoluteLifetime.D(), 10 * time.Hour},
		{"session.secure_cookies", c.Session.SecureCookies, "auto"},
		{"session.logout_delivery_retention", c.Session.LogoutDeliveryRetention.D(), 168 * time.Hour},
		{"login.flow_lifespan", c.Login.FlowLifespan.D(), 15 * time.Minute},
		{"login.allow_registration", c.Login.AllowRegistration, true},
		{"password.min_length", c.Password.MinLength, 8},
		{"password.memory_kib", c.Password.MemoryKiB, uint32(19456)},
		{"password.iterations", c.Password.Iterations, uint32(2)},
		{"password.parallelism", c.Password.Parallelism, uint8(1)},
		{"password.reset.code_lifetime", c.Password.Reset.CodeLifetime.D(), 15 * time.Minute},
		{"password.reset.code_digits", c.Password.Reset.CodeDigits, 8},
		{"password.reset.max_attempts", c.Password.Reset.MaxAttempts, 5},
		{"password.reset.max_per_recipient", c.Password.Reset.MaxPerRecipient, 3},
		{"password.reset.max_per_address", c.Password.Reset.MaxPerAddress, 20},
		{"password.reset.window", c.Password.Reset.Window.D(), time.Hour},
		{"brute_force.account_max_failures", c.BruteForce.AccountMaxFailures, 5},
		{"brute_force.address_max_failures", c.BruteForce.AddressMaxFailures, 30},
		{"brute_force.window", c.BruteForce.Window.D(), 15 * time.Minute},
		{"brute_force.lock_duration", c.BruteForce.LockDuration.D(), 15 * time.Minute},
		{"brute_force.base_delay", c.BruteForce.BaseDelay.D(), 250 * time.Millisecond},
		{"brute_force.max_delay", c.BruteForce.MaxDelay.D(), 4 * time.Second},
		{"directories (count)", len(c.Directories), 0},
		{"upstreams (count)", len(c.Upstreams), 0},
		{"certificates.trust_anchors (count)", len(c.Certificates.TrustAnchors), 0},
		{"certificates.key_usage", c.Certificates.KeyUsage, "either"},
		{"certificates.allow_sha1", c.Certificates.AllowSHA1, false},
		{"certificates.challenge_lifetime", c.Certificates.ChallengeLifetime.D(), 2 * time.Minute},
		{"certificates.revocation.crl", c.Certificates.Revocation.CRL, true},
		{"certificates.revocation.ocsp", c.Certificates.Revocation.OCSP, true},
		{"certificates.revocation.on_unavailable", c.Certificates.Revocation.OnUnavailable, "fail-closed"},
		{"certificates.revocation.budget", c.Certificates.Revocation.Budget.D(), 8 * time.Second},
		{"certificates.revocation.failure_cache", c.Certificates.Revocation.FailureCache.D(), 30 * time.Second},
		{"certificates.revocation.crl_timeout", c.Certificates.Revocation.CRLTimeout.D(), 10 * time.Second},
		{"certificates.revocation.ocsp_timeout", c.Certificates.Revocation.OCSPTimeout.D(), 5 * time.Second},
		{"certificates.revocation.crl_refresh_interval", c.Certificates.Revocation.CRLRefreshInterval.D(), 15 * time.Minute},
		{"certificates.revocation.crl_max_age", c.Certificates.Revocation.CRLMaxAge.D(), 24 * time.Hour},
		{"certificates.revocation.ocsp_cache_max", c.Certificates.Revocation.OCSPCacheMax.D(), 5 * time.Minute},
		{"certificates.mutual_tls.listen", c.Certificates.MutualTLS.Listen, ""},
		{"certificates.mutual_tls.cert_file", c.Certificates.MutualTLS.CertFile, ""},
		{"certificates.mutual_tls.key_file", c.Certificates.MutualTLS.KeyFile, ""},
		{"certificates.mutual_tls.header", c.Certificates.MutualTLS.Header, ""},
		{"certificates.mutual_tls.trusted_proxies (count)", len(c.Certificates.MutualTLS.TrustedProxies), 0},
		{"certificates.signing.vgca_endpoint", c.Certificates.Signing.VGCAEndpoint, "wss://127.0.0.1:8987"},
		{"mfa.citizen_minimum", c.MFA.CitizenMinimum, "LoA1"},
		{"mfa.official_minimum", c.MFA.OfficialMinimum, "LoA2"},
		{"mfa.admin_minimum", c.MFA.AdminMinimum, "LoA2"},
		{"mfa.enrolled_minimum", c.MFA.EnrolledMinimum, "LoA2"},
		{"mfa.reauthentication_max_age", c.MFA.ReauthenticationMaxAge.D(), 10 * time.Minute},
		{"mfa.recovery_codes", c.MFA.RecoveryCodes, 10},
		{"mfa.totp.issuer", c.MFA.TOTP.Issuer, ""},
		{"mfa.totp.digits", c.MFA.TOTP.Digits, 6},
		{"mfa.totp.period", c.MFA.TOTP.Period.D(), 30 * time.Second},
		{"mfa.totp.skew", c.MFA.TOTP.Skew, 1},
		{"mfa.webauthn.rp_id", c.MFA.WebAuthn.RPID, ""},
		{"mfa.webauthn.rp_display_name", c.MFA.WebAuthn.RPDisplayName, ""},
		{"mfa.webauthn.origins (count)", len(c.MFA.WebAuthn.Origins), 0},
		{"mfa.webauthn.user_verification", c.MFA.WebAuthn.UserVerification, "preferred"},
		{"mfa.webauthn.challenge_lifetime", c.MFA.WebAuthn.ChallengeLifetime.D(), 5 * time.Minute},
		{"ui.default_language", c.UI.DefaultLanguage, "vi"},
		{"ui.product_name", c.UI.ProductName, "Định danh điện tử"},
		{"ui.support_contact.text_vi", c.UI.SupportContact.TextVI, ""},
		{"ui.support_contact.text_en", c.UI.SupportContact.TextEN, ""},
		{"ui.support_contact.email", c.UI.SupportContact.Email, ""},
		{"ui.support_contact.phone", c.UI.SupportContact.Phone, ""},
		{"ui.support_contact.url", c.UI.SupportContact.URL, ""},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"metrics.listen", c.Metrics.Listen, ""},
		{"metrics.token_file", c.Metrics.TokenFile, ""},
		{"admin.agencies (count)", len(c.Admin.Agencies), 0},
		{"mail.host", c.Mail.Host, ""},
		{"mail.port", c.Mail.Port, 587},
		{"mail.tls", c.Mail.TLS, "starttls"},
		{"mail.tls_ca_file", c.Mail.TLSCAFile, ""},
		{"mail.username", c.Mail.Username, ""},
		{"mail.password", c.Mail.Password, ""},
		{"mail.password_file", c.Mail.PasswordFile, ""},
		{"mail.from", c.Mail.From, ""},
		{"mail.timeout", c.Mail.Timeout.D(), 30 * time.Second},
		{"sms.url", c.SMS.URL, ""},
		{"sms.method", c.SMS.Method, "POST"},
		{"sms.headers (count)", len(c.SMS.Headers), 0},
		{"sms.content_type", c.SMS.ContentType, "application/json"},
		{"sms.body_template", c.SMS.BodyTemplate, `{"to":{{json .To}},"text":{{json .Text}}}`},
		{"sms.success_status (count)", len(c.SMS.SuccessStatus), 0},
		{"sms.success_contains", c.SMS.SuccessContains, ""},
		{"sms.success_json_field", c.SMS.SuccessJSONField, ""},
		{"sms.success_json_value", c.SMS.SuccessJSONValue, ""},
		{"sms.timeout", c.SMS.Timeout.D(), 10 * time.Second},
		{"outbox.max_attempts", c.Outbox.MaxAttempts, 8},
		{"outbox.min_backoff", c.Outbox.MinBackoff.D(), 10 * time.Second},
		{"outbox.max_backoff", c.Outbox.MaxBackoff.D(), 30 * time.Minute},
		{"outbox.concurrency", c.Outbox.Concurrency, 4},
		{"outbox.send_timeout", c.Outbox.SendTimeout.D(), time.Minute},
		{"outbox.poll_interval", c.Outbox.PollInterval.D(), time.Second},
		{"outbox.retention", c.Outbox.Retention.D(), 168 * time.Hour},
		{"outbox.failed_retention", c.Outbox.FailedRetention.D(), 720 * time.Hour},
		{"outbox.notice_interval", c.Outbox.NoticeInterval.D(), time.Hour},
		{"audit.retention", c.Audit.Retention.D(), 8760 * time.Hour},
		{"audit.syslog.network", c.Audit.Syslog.Network, ""},
		{"audit.syslog.address", c.Audit.Syslog.Address, ""},
		{"audit.syslog.app_name", c.Audit.Syslog.AppName, "dinhdanh"},
		{"audit.syslog.facility", c.Audit.Syslog.Facility, "audit"},
		{"audit.syslog.ca_file", c.Audit.Syslog.CAFile, ""},
		{"contacts.code_lifetime", c.Contacts.CodeLifetime.D(), 10 * time.Minute},
		{"contacts.max_attempts", c.Contacts.MaxAttempts, 5},
		{"contacts.max_sends", c.Contacts.MaxSends, 3},
		{"contacts.send_window", c.Contacts.SendWindow.D(), time.Hour},
		{"privacy.notice_url_vi", c.Privacy.NoticeURLVI, ""},
		{"privacy.notice_url_en", c.Privacy.NoticeURLEN, ""},
		{"privacy.notice_version", c.Privacy.NoticeVersion, "1"},
		{"privacy.closed_account_audit_retention", c.Privacy.ClosedAccountAuditRetention.D(), 43800 * time.Hour},
	}
	if len(checks) != len(leaves()) {
		t.Errorf("checked %d defaults, Config has %d settings", len(checks), len(leaves()))
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if c == Default() || c.Tokens != Default().Tokens {
		t.Error("Default() must return a new, equal Config each time")
	}
	if c.SecureCookie() {
		t.Error("SecureCookie() = true for the default http issuer")
	}
}

func TestDatabasePath(t *testing.T) {
	tests := []struct{ dataDir, url, want string }{
		{"./data", "", filepath.Join("data", "dinhdanh.db")},
		{"/var/lib/dinhdanh", "", filepath.Join("/var/lib/dinhdanh", "dinhdanh.db")},
		{"./data", "sqlite:/srv/idp.db", "/srv/idp.db"},
		{"./data", "sqlite:idp.db", "idp.db"},
		{"./data", "sqlite:///srv/idp.db", "/srv/idp.db"},
		{"./data", "sqlite://idp.db", "idp.db"},
		{"./data", "SQLite:idp.db", "idp.db"},
		{"./data", "postgres://db/idp", ""},
	}
	for _, tt := range tests {
		c := Default()
		c.DataDir, c.Database.URL = tt.dataDir, tt.url
		if got := c.DatabasePath(); got != tt.want {
			t.Errorf("data_dir %q, url %q: DatabasePath() = %q, want %q", tt.dataDir, tt.url, got, tt.want)
		}
	}
}

func TestSealKeyPath(t *testing.T) {
	c := Default()
	c.DataDir = "/var/lib/dinhdanh"
	if got, want := c.SealKeyPath(), filepath.Join("/var/lib/dinhdanh", "seal.key"); got != want {
		t.Errorf("SealKeyPath() = %q, want %q", got, want)
	}
	c.Keys.SealKeyFile = "/etc/dinhdanh/seal.key"
	if got := c.SealKeyPath(); got != "/etc/dinhdanh/seal.key" {
		t.Errorf("SealKeyPath() = %q, want the configured file", got)
	}
}

func TestSecureCookie(t *testing.T) {
	tests := []struct {
		mode, issuer string
		want         bool
	}{
		{"auto", "http://localhost:8080", false},
		{"auto", "https://sso.example.gov.vn", true},
		{"auto", "https://localhost:8443", true},
		{"always", "http://localhost:8080", true},
		{"never", "https://sso.example.gov.vn", false},
		{"auto", "::not a url", false},
	}
	for _, tt := range tests {
		c := Default()
		c.Session.SecureCookies, c.Issuer = tt.mode, tt.issuer
		if got := c.SecureCookie(); got != tt.want {
			t.Errorf("secure_cookies %q, issuer %q: SecureCookie() = %v, want %v", tt.mode, tt.issuer, got, tt.want)
		}
	}
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		text string
	}{
		{0, "0s"},
		{250 * time.Millisecond, "250ms"},
		{30 * time.Second, "30s"},
		{10 * time.Minute, "10m"},
		{90 * time.Minute, "1h30m"},
		{720 * time.Hour, "720h"},
		{time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d).String(); got != tt.text {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.text)
		}
		var d Duration
		if err := d.UnmarshalText([]byte(tt.text)); err != nil || d.D() != tt.d {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.text, d.D(), err, tt.d)
		}
	}
	var d Duration
	for _, bad := range []string{"", "10", "ten minutes", "5 m"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", bad)
		}
	}
}

// TestFieldsDocumentDefaults keeps the struct the reference: every setting has a doc comment that states its
// default.
func TestFieldsDocumentDefaults(t *testing.T) {
	types := map[string]bool{"Config": true}
	// Sections, the sections of lists of sections (directories), and their sections.
	var collect func(t reflect.Type)
	collect = func(t reflect.Type) {
		for i := range t.NumField() {
			ft := t.Field(i).Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() && !types[ft.Name()] {
				types[ft.Name()] = true
				collect(ft)
			}
		}
	}
	collect(reflect.TypeFor[Config]())
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || !types[ts.Name.Name] {
				return true
			}
			seen[ts.Name.Name] = true
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				t.Errorf("%s is not a struct", ts.Name.Name)
				return false
			}
			for _, f := range st.Fields.List {
				for _, name := range f.Names {
					doc := f.Doc.Text()
					switch {
					case doc == "":
						t.Errorf("%s.%s has no doc comment", ts.Name.Name, name.Name)
					case !strings.HasPrefix(doc, name.Name+" "):
						t.Errorf("%s.%s: doc comment does not start with the field name", ts.Name.Name, name.Name)
					case !strings.Contains(strings.ToLower(doc), "default"):
						t.Errorf("%s.%s: doc comment does not state the default", ts.Name.Name, name.Name)
					}
				}
			}
			return false
		})
	}
	for name := range types {
		if !seen[name] {
			t.Errorf("type %s not found in the package source", name)
		}
	}
}
