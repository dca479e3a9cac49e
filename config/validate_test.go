package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// validationProblems returns the problems Validate finds in c, failing the test if it returns another kind
// of error.
func validationProblems(t *testing.T, c *Config) []Problem {
	t.Helper()
	err := c.Validate()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate returned %T %v, want *ValidationError", err, err)
	}
	if len(ve.Problems) == 0 {
		t.Fatal("Validate returned a *ValidationError without problems")
	}
	return ve.Problems
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := Default()
	c.Issuer = "http://sso.example.gov.vn"
	c.Listen = "8080"
	c.Database.URL = "mysql://idp@db/idp"
	c.Keys.AccessTokenAlgorithm = "HS256"
	c.Tokens.AccessTokenLifespan = 0
	c.Session.IdleTimeout = Duration(2 * time.Hour)
	c.Session.AbsoluteLifetime = Duration(time.Hour)
	c.Password.MemoryKiB = 4096
	c.UI.DefaultLanguage = "fr"
	c.Log.Format = "xml"

	err := c.Validate()
	problems := validationProblems(t, c)
	want := []string{
		"issuer",
		"listen",
		"database.url",
		"keys.access_token_algorithm",
		"tokens.access_token_lifespan",
		"session.absolute_lifetime",
		"password.memory_kib",
		"ui.default_language",
		"log.format",
	}
	if got := problemKeys(problems); !slices.Equal(got, want) {
		t.Errorf("problems name\n%v\nwant\n%v", got, want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1+len(want) {
		t.Fatalf("Error() has %d lines, want a title and one per problem:\n%s", len(lines), err)
	}
	for i, key := range want {
		if !strings.HasPrefix(strings.TrimSpace(lines[i+1]), key+": ") {
			t.Errorf("line %d of Error() is %q, want it to start with %q", i+1, lines[i+1], key+": ")
		}
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		key    string // the only key reported
		says   string // part of the message
	}{
		// issuer
		{"issuer empty", func(c *Config) { c.Issuer = "" }, "issuer", "must not be empty"},
		{"issuer relative", func(c *Config) { c.Issuer = "/sso" }, "issuer", "absolute http or https"},
		{"issuer other scheme", func(c *Config) { c.Issuer = "ftp://sso.example.gov.vn" }, "issuer", "absolute http or https"},
		{"issuer without host", func(c *Config) { c.Issuer = "https:///sso" }, "issuer", "with a host"},
		{"issuer opaque", func(c *Config) { c.Issuer = "https:sso.example.gov.vn" }, "issuer", "with a host"},
		{"issuer unparsable", func(c *Config) { c.Issuer = "https://sso example.gov.vn" }, "issuer", "is not a URL"},
		{"issuer user info", func(c *Config) { c.Issuer = "https://admin@sso.example.gov.vn" }, "issuer", "user information"},
		{"issuer query", func(c *Config) { c.Issuer = "https://sso.example.gov.vn?tenant=1" }, "issuer", "query"},
		{"issuer empty query", func(c *Config) { c.Issuer = "https://sso.example.gov.vn?" }, "issuer", "query"},
		{"issuer fragment", func(c *Config) { c.Issuer = "https://sso.example.gov.vn#top" }, "issuer", "fragment"},
		{"issuer empty fragment", func(c *Config) { c.Issuer = "https://sso.example.gov.vn#" }, "issuer", "fragment"},
		{"issuer trailing slash", func(c *Config) { c.Issuer = "https://sso.example.gov.vn/" }, "issuer", "must not end with a slash"},
		{"issuer path trailing slash", func(c *Config) { c.Issuer = "https://sso.example.gov.vn/idp/" }, "issuer", "must not end with a slash"},
		{"issuer plain http", func(c *Config) { c.Issuer = "http://sso.example.gov.vn" }, "issuer", "must use https"},
		{"issuer plain http private address", func(c *Config) { c.Issuer = "http://10.0.0.5:8080" }, "issuer", "must use https"},
		{"issuer plain http localhost lookalike", func(c *Config) { c.Issuer = "http://localhost.example.gov.vn" }, "issuer", "must use https"},

		// server
		{"server max connections too few", func(c *Config) { c.Server.MaxConnections = 15 }, "server.max_connections", "at least 16"},
		{"server max connections zero", func(c *Config) { c.Server.MaxConnections = 0 }, "server.max_connections", "at least 16"},
		{"server header timeout zero", func(c *Config) { c.Server.ReadHeaderTimeout = 0 }, "server.read_header_timeout", "greater than zero"},
		{"server header timeout beyond read timeout", func(c *Config) { c.Server.ReadHeaderTimeout = Duration(time.Minute) }, "server.read_header_timeout", "longer than server.read_timeout"},
		{"server read timeout negative", func(c *Config) { c.Server.ReadTimeout = Duration(-time.Second) }, "server.read_timeout", "greater than zero"},
		{"server write timeout zero", func(c *Config) { c.Server.WriteTimeout = 0 }, "server.write_timeout", "greater than zero"},
		{"server idle timeout zero", func(c *Config) { c.Server.IdleTimeout = 0 }, "server.idle_timeout", "greater than zero"},
		{"server header bytes too few", func(c *Config) { c.Server.MaxHeaderBytes = 1024 }, "server.max_header_bytes", "from 4096 to 1048576"},
		{"server header bytes too many", func(c *Config) { c.Server.MaxHeaderBytes = 2 << 20 }, "server.max_header_bytes", "from 4096 to 1048576"},

		// metrics, retention, eviction
		{"metrics listen without port", func(c *Config) { c.Metrics.Listen = "127.0.0.1" }, "metrics.listen", "host:port"},
		{"metrics listen named port", func(c *Config) { c.Metrics.Listen = "127.0.0.1:prom" }, "metrics.listen", "from 0 to 65535"},
		{"metrics listen is the public one", func(c *Config) { c.Metrics.Listen = c.Listen }, "metrics.listen", "address of its own"},
		{"agency without a name", func(c *Config) { c.Admin.Agencies = []Agency{{Name: " "}} }, "admin.agencies", "no name"},
		{"agency listed twice", func(c *Config) { c.Admin.Agencies = []Agency{{Name: "Sở Y tế"}, {Name: "Sở Y tế"}} },
			"admin.agencies", "listed twice"},
		{"agency parent not listed", func(c *Config) { c.Admin.Agencies = []Agency{{Name: "Sở Y tế", Parent: "UBND"}} },
			"admin.agencies", "is not listed"},
		{"agency parents in a cycle", func(c *Config) {
			c.Admin.Agencies = []Agency{{Name: "A", Parent: "B"}, {Name: "B", Parent: "A"}}
		}, "admin.agencies", "cycle"},
		{"audit retention negative", func(c *Config) { c.Audit.Retention = Duration(-time.Hour) }, "audit.retention", "at least 24h"},
		{"audit retention too short", func(c *Config) { c.Audit.Retention = Duration(time.Hour) }, "audit.retention", "at least 24h"},
		{"privacy notice url not https", func(c *Config) { c.Privacy.NoticeURLVI = "http://tinh.gov.vn/bao-mat" }, "privacy.notice_url_vi", "https"},
		{"privacy notice url relative", func(c *Config) { c.Privacy.NoticeURLVI = "/bao-mat" }, "privacy.notice_url_vi", "https"},
		{"privacy english notice alone", func(c *Config) { c.Privacy.NoticeURLEN = "https://tinh.gov.vn/privacy" }, "privacy.notice_url_en", "notice_url_vi"},
		{"privacy notice version empty", func(c *Config) { c.Privacy.NoticeVersion = "" }, "privacy.notice_version", "1 to 64"},
		{"privacy notice version control", func(c *Config) { c.Privacy.NoticeVersion = "v\n2" }, "privacy.notice_version", "1 to 64"},
		{"closed account retention short", func(c *Config) { c.Privacy.ClosedAccountAuditRetention = Duration(time.Hour) }, "privacy.closed_account_audit_retention", "at least 24h"},
		{"audit syslog network unknown", func(c *Config) { c.Audit.Syslog.Network, c.Audit.Syslog.Address = "http", "siem:514" }, "audit.syslog.network", "one of"},
		{"audit syslog without address", func(c *Config) { c.Audit.Syslog.Network = "udp" }, "audit.syslog.address", "host:port"},
		{"audit syslog address without network", func(c *Config) { c.Audit.Syslog.Address = "siem:514" }, "audit.syslog.address", "network is empty"},
		{"audit syslog facility unknown", func(c *Config) { c.Audit.Syslog.Facility = "mail" }, "audit.syslog.facility", "one of"},
		{"audit syslog app name with a space", func(c *Config) { c.Audit.Syslog.AppName = "dinh danh" }, "audit.syslog.app_name", "printable ASCII"},
		{"audit syslog ca file without tls", func(c *Config) {
			c.Audit.Syslog.Network, c.Audit.Syslog.Address, c.Audit.Syslog.CAFile = "tcp", "siem:514", "/etc/ca.pem"
		}, "audit.syslog.ca_file", "tcp+tls"},
		{"logout delivery retention zero", func(c *Config) { c.Session.LogoutDeliveryRetention = 0 }, "session.logout_delivery_retention", "greater than zero"},
		{"allow eviction without redis", func(c *Config) { c.Redis.AllowEviction = true }, "redis.allow_eviction", "redis.addrs is empty"},

		// listen
		{"listen empty", func(c *Config) { c.Listen = "" }, "listen", "host:port"},
		{"listen without port", func(c *Config) { c.Listen = "localhost" }, "listen", "host:port"},
		{"listen bare port", func(c *Config) { c.Listen = "8080" }, "listen", "host:port"},
		{"listen named port", func(c *Config) { c.Listen = "localhost:http" }, "listen", "from 0 to 65535"},
		{"listen port too high", func(c *Config) { c.Listen = ":65536" }, "listen", "from 0 to 65535"},
		{"listen empty port", func(c *Config) { c.Listen = "localhost:" }, "listen", "from 0 to 65535"},
		{"listen signed port", func(c *Config) { c.Listen = "localhost:+80" }, "listen", "from 0 to 65535"},

		{"data dir empty", func(c *Config) { c.DataDir = "" }, "data_dir", "must not be empty"},

		// database
		{"database postgres bad port", func(c *Config) { c.Database.URL = "postgres://idp:secret@db:port/idp" }, "database.url", "not a valid PostgreSQL URL"},
		{"database postgres fragment", func(c *Config) { c.Database.URL = "postgres://db/idp#x" }, "database.url", "fragment"},
		{"database mysql", func(c *Config) { c.Database.URL = "mysql://db/idp" }, "database.url", `scheme "mysql"`},
		{"database bare path", func(c *Config) { c.Database.URL = "/var/lib/dinhdanh/idp.db" }, "database.url", "not a database URL"},
		{"database relative path", func(c *Config) { c.Database.URL = "data/idp.db" }, "database.url", "not a database URL"},
		{"database sqlite without path", func(c *Config) { c.Database.URL = "sqlite:" }, "database.url", "names no file"},
		{"database sqlite slashes without path", func(c *Config) { c.Database.URL = "sqlite://" }, "database.url", "names no file"},
		{"database no connections", func(c *Config) { c.Database.MaxOpenConns = 0 }, "database.max_open_conns", "at least 1"},
		{"statement timeout zero", func(c *Config) { c.Database.StatementTimeout = 0 }, "database.statement_timeout", "between 100ms and 10m"},
		{"statement timeout too long", func(c *Config) { c.Database.StatementTimeout = Duration(time.Hour) }, "database.statement_timeout", "between 100ms and 10m"},

		// redis
		{"redis address without port", func(c *Config) { c.Redis.Addrs = Addresses{"redis.tinh.gov.vn"} }, "redis.addrs", "host:port"},
		{"redis address without host", func(c *Config) { c.Redis.Addrs = Addresses{":6379"} }, "redis.addrs", "host:port"},
		{"redis address port zero", func(c *Config) { c.Redis.Addrs = Addresses{"redis:0"} }, "redis.addrs", "from 1 to 65535"},
		{"redis address named port", func(c *Config) { c.Redis.Addrs = Addresses{"redis:redis"} }, "redis.addrs", "from 1 to 65535"},
		{"redis master without addresses", func(c *Config) { c.Redis.MasterName = "dinhdanh" }, "redis.master_name", "redis.addrs is empty"},
		{"redis cluster without addresses", func(c *Config) { c.Redis.Cluster = true }, "redis.cluster", "redis.addrs is empty"},
		{"redis cluster and sentinel", func(c *Config) {
			c.Redis.Addrs, c.Redis.MasterName, c.Redis.Cluster = Addresses{"s1:26379"}, "dinhdanh", true
		}, "redis.cluster", "either Sentinels or a Cluster"},
		{"redis username without password", func(c *Config) {
			c.Redis.Addrs, c.Redis.Username = Addresses{"redis:6379"}, "dinhdanh"
		}, "redis.password", "with redis.username"},
		{"redis negative db", func(c *Config) { c.Redis.DB = -1 }, "redis.db", "not be negative"},
		{"redis db on a cluster", func(c *Config) { c.Redis.Addrs, c.Redis.DB = Addresses{"a:6379", "b:6379"}, 2 }, "redis.db", "only database 0"},
		{"redis db on a one-seed cluster", func(c *Config) {
			c.Redis.Addrs, c.Redis.Cluster, c.Redis.DB = Addresses{"a:6379"}, true, 1
		}, "redis.db", "only database 0"},
		{"redis empty prefix", func(c *Config) { c.Redis.KeyPrefix = "" }, "redis.key_prefix", "must not be empty"},
		{"redis prefix with hash tag", func(c *Config) { c.Redis.KeyPrefix = "{dd}:" }, "redis.key_prefix", "one Redis Cluster slot"},
		{"redis prefix with space", func(c *Config) { c.Redis.KeyPrefix = "dinh danh:" }, "redis.key_prefix", "white space"},
		{"redis long prefix", func(c *Config) { c.Redis.KeyPrefix = strings.Repeat("x", 65) }, "redis.key_prefix", "at most 64"},
		{"redis dial timeout zero", func(c *Config) { c.Redis.DialTimeout = 0 }, "redis.dial_timeout", "greater than zero"},
		{"redis read timeout negative", func(c *Config) { c.Redis.ReadTimeout = Duration(-time.Second) }, "redis.read_timeout", "greater than zero"},
		{"redis CA without TLS", func(c *Config) { c.Redis.TLSCAFile = "/etc/dinhdanh/redis-ca.pem" }, "redis.tls_ca_file", "redis.tls is false"},

		// keys
		{"algorithm HS256", func(c *Config) { c.Keys.AccessTokenAlgorithm = "HS256" }, "keys.access_token_algorithm", `"ES256", "RS256", "EdDSA"`},
		{"algorithm lower case", func(c *Config) { c.Keys.AccessTokenAlgorithm = "es256" }, "keys.access_token_algorithm", "must be one of"},
		{"algorithm none", func(c *Config) { c.Keys.AccessTokenAlgorithm = "none" }, "keys.access_token_algorithm", "must be one of"},
		{"algorithm empty", func(c *Config) { c.Keys.AccessTokenAlgorithm = "" }, "keys.access_token_algorithm", "must be one of"},
		{"rotation check zero", func(c *Config) { c.Keys.RotationCheckInterval = 0 }, "keys.rotation_check_interval", "greater than zero"},

		// tokens
		{"access token lifespan zero", func(c *Config) { c.Tokens.AccessTokenLifespan = 0 }, "tokens.access_token_lifespan", "greater than zero"},
		{"access token lifespan negative", func(c *Config) { c.Tokens.AccessTokenLifespan = Duration(-time.Minute) }, "tokens.access_token_lifespan", "is -1m"},
		{"id token lifespan zero", func(c *Config) { c.Tokens.IDTokenLifespan = 0 }, "tokens.id_token_lifespan", "greater than zero"},
		{"refresh token lifespan zero", func(c *Config) { c.Tokens.RefreshTokenLifespan = 0 }, "tokens.refresh_token_lifespan", "greater than zero"},
		{"refresh family lifetime zero", func(c *Config) { c.Tokens.RefreshFamilyLifetime = 0 }, "tokens.refresh_family_lifetime", "greater than zero"},
		{"refresh reuse window negative", func(c *Config) { c.Tokens.RefreshReuseWindow = Duration(-time.Second) }, "tokens.refresh_reuse_window", "is -1s"},
		{"refresh reuse window too long", func(c *Config) { c.Tokens.RefreshReuseWindow = Duration(2 * time.Minute) }, "tokens.refresh_reuse_window", "up to 1m"},
		{"refresh family lifetime negative", func(c *Config) { c.Tokens.RefreshFamilyLifetime = Duration(-time.Hour) }, "tokens.refresh_family_lifetime", "is -1h"},
		{"authorize code lifespan zero", func(c *Config) { c.Tokens.AuthorizeCodeLifespan = 0 }, "tokens.authorize_code_lifespan", "greater than zero"},

		// session
		{"cookie name empty", func(c *Config) { c.Session.CookieName = "" }, "session.cookie_name", "must not be empty"},
		{"cookie name with space", func(c *Config) { c.Session.CookieName = "my session" }, "session.cookie_name", "may hold only"},
		{"cookie name with separator", func(c *Config) { c.Session.CookieName = "sess=1" }, "session.cookie_name", "may hold only"},
		{"cookie name not ASCII", func(c *Config) { c.Session.CookieName = "phiên" }, "session.cookie_name", "may hold only"},
		{"cookie name __Host- without Secure", func(c *Config) { c.Session.CookieName = "__Host-sid" }, "session.cookie_name", "only on Secure cookies"},
		{"cookie name __Secure- never Secure", func(c *Config) {
			c.Issuer = "https://sso.example.gov.vn"
			c.Session.CookieName = "__Secure-sid"
			c.Session.SecureCookies = "never"
		}, "session.cookie_name", "only on Secure cookies"},
		{"idle timeout zero", func(c *Config) { c.Session.IdleTimeout = 0 }, "session.idle_timeout", "greater than zero"},
		{"absolute lifetime zero", func(c *Config) { c.Session.AbsoluteLifetime = 0 }, "session.absolute_lifetime", "greater than zero"},
		{"absolute lifetime below idle timeout", func(c *Config) {
			c.Session.IdleTimeout = Duration(time.Hour)
			c.Session.AbsoluteLifetime = Duration(59 * time.Minute)
		}, "session.absolute_lifetime", "shorter than session.idle_timeout (1h)"},
		{"secure cookies unknown", func(c *Config) { c.Session.SecureCookies = "yes" }, "session.secure_cookies", `"auto", "always", "never"`},
		{"secure cookies empty", func(c *Config) { c.Session.SecureCookies = "" }, "session.secure_cookies", "must be one of"},

		// login
		{"flow lifespan zero", func(c *Config) { c.Login.FlowLifespan = 0 }, "login.flow_lifespan", "greater than zero"},

		// password
		{"min length 7", func(c *Config) { c.Password.MinLength = 7 }, "password.min_length", "at least 8"},
		{"memory below 19 MiB", func(c *Config) { c.Password.MemoryKiB = 19455 }, "password.memory_kib", "at least 19456"},
		{"iterations 1", func(c *Config) { c.Password.Iterations = 1 }, "password.iterations", "at least 2"},
		{"parallelism 0", func(c *Config) { c.Password.Parallelism = 0 }, "password.parallelism", "from 1 to 4"},
		{"parallelism 5", func(c *Config) { c.Password.Parallelism = 5 }, "password.parallelism", "from 1 to 4"},

		// brute force
		{"account failures 0", func(c *Config) { c.BruteForce.AccountMaxFailures = 0 }, "brute_force.account_max_failures", "at least 1"},
		{"address failures 0", func(c *Config) { c.BruteForce.AddressMaxFailures = 0 }, "brute_force.address_max_failures", "at least 1"},
		{"window zero", func(c *Config) { c.BruteForce.Window = 0 }, "brute_force.window", "greater than zero"},
		{"lock duration zero", func(c *Config) { c.BruteForce.LockDuration = 0 }, "brute_force.lock_duration", "greater than zero"},
		{"base delay negative", func(c *Config) { c.BruteForce.BaseDelay = Duration(-time.Second) }, "brute_force.base_delay", "must not be negative"},
		{"max delay negative", func(c *Config) {
			c.BruteForce.BaseDelay = 0
			c.BruteForce.MaxDelay = Duration(-time.Second)
		}, "brute_force.max_delay", "must not be negative"},
		{"max delay below base delay", func(c *Config) { c.BruteForce.MaxDelay = Duration(100 * time.Millisecond) }, "brute_force.max_delay", "at least brute_force.base_delay (250ms)"},

		// ui
		{"language fr", func(c *Config) { c.UI.DefaultLanguage = "fr" }, "ui.default_language", `"vi", "en"`},
		{"language upper case", func(c *Config) { c.UI.DefaultLanguage = "VI" }, "ui.default_language", "must be one of"},
		{"language region", func(c *Config) { c.UI.DefaultLanguage = "vi-VN" }, "ui.default_language", "must be one of"},
		{"product name blank", func(c *Config) { c.UI.ProductName = "  " }, "ui.product_name", "must not be empty"},
		{"support email with a name", func(c *Config) { c.UI.SupportContact.Email = "Hỗ trợ <hotro@example.vn>" }, "ui.support_contact.email", "not a bare email address"},
		{"support email without domain", func(c *Config) { c.UI.SupportContact.Email = "hotro" }, "ui.support_contact.email", "not a bare email address"},
		{"support phone with letters", func(c *Config) { c.UI.SupportContact.Phone = "gọi 1022" }, "ui.support_contact.phone", "not a phone number"},
		{"support phone too short", func(c *Config) { c.UI.SupportContact.Phone = "+1" }, "ui.support_contact.phone", "not a phone number"},
		{"support url javascript", func(c *Config) { c.UI.SupportContact.URL = "javascript:alert(1)" }, "ui.support_contact.url", "not an absolute http or https URL"},
		{"support url relative", func(c *Config) { c.UI.SupportContact.URL = "/ho-tro" }, "ui.support_contact.url", "not an absolute http or https URL"},
		{"support text too long", func(c *Config) { c.UI.SupportContact.TextVI = strings.Repeat("ạ", 301) }, "ui.support_contact.text_vi", "at most 300"},

		// log
		{"log level trace", func(c *Config) { c.Log.Level = "trace" }, "log.level", `"debug", "info", "warn", "error"`},
		{"log level warning", func(c *Config) { c.Log.Level = "warning" }, "log.level", "must be one of"},
		{"log format xml", func(c *Config) { c.Log.Format = "xml" }, "log.format", `"text", "json"`},
		{"log format empty", func(c *Config) { c.Log.Format = "" }, "log.format", "must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(c)
			problems := validationProblems(t, c)
			if len(problems) != 1 || problems[0].Key != tt.key {
				t.Fatalf("problems %v, want exactly one for %s", problems, tt.key)
			}
			if !strings.Contains(problems[0].Message, tt.says) {
				t.Errorf("message %q does not say %q", problems[0].Message, tt.says)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
	}{
		{"https issuer", func(c *Config) { c.Issuer = "https://sso.example.gov.vn" }},
		{"https issuer with port and path", func(c *Config) { c.Issuer = "https://sso.example.gov.vn:8443/idp/v1" }},
		{"http issuer on 127.0.0.1", func(c *Config) { c.Issuer = "http://127.0.0.1:8080" }},
		{"http issuer on ::1", func(c *Config) { c.Issuer = "http://[::1]:8080" }},
		{"http issuer on LOCALHOST", func(c *Config) { c.Issuer = "http://LOCALHOST" }},
		{"metrics on an operator listener", func(c *Config) { c.Metrics.Listen = "127.0.0.1:9090" }},
		{"metrics behind a token", func(c *Config) { c.Metrics.TokenFile = "/etc/dinhdanh/metrics.token" }},
		{"audit kept forever", func(c *Config) { c.Audit.Retention = 0 }},
		{"audit to syslog over tls", func(c *Config) {
			c.Audit.Syslog = AuditSyslog{Network: "tcp+tls", Address: "siem.example.gov.vn:6514", AppName: "idp", Facility: "local4", CAFile: "/etc/ca.pem"}
		}},
		{"redis that may evict, acknowledged", func(c *Config) { c.Redis.Addrs, c.Redis.AllowEviction = Addresses{"redis:6379"}, true }},
		{"listen on every interface", func(c *Config) { c.Listen = ":8080" }},
		{"listen on a free port", func(c *Config) { c.Listen = "127.0.0.1:0" }},
		{"listen on IPv6", func(c *Config) { c.Listen = "[::1]:8080" }},
		{"sqlite URL", func(c *Config) { c.Database.URL = "sqlite:/var/lib/dinhdanh/idp.db" }},
		{"sqlite URL with slashes", func(c *Config) { c.Database.URL = "sqlite:///var/lib/dinhdanh/idp.db" }},
		{"postgres URL", func(c *Config) { c.Database.URL = "postgres://idp:secret@db.tinh.gov.vn:5432/idp?sslmode=verify-full" }},
		{"postgresql URL", func(c *Config) { c.Database.URL = "postgresql://db/idp" }},
		{"POSTGRES URL", func(c *Config) { c.Database.URL = "POSTGRES://db/idp" }},
		{"postgres URL with a socket", func(c *Config) { c.Database.URL = "postgres:///idp?host=/var/run/postgresql" }},
		{"one redis server", func(c *Config) { c.Redis.Addrs = Addresses{"redis.tinh.gov.vn:6379"} }},
		{"redis sentinels", func(c *Config) {
			c.Redis.Addrs, c.Redis.MasterName = Addresses{"10.0.0.11:26379", "10.0.0.12:26379", "[2001:db8::13]:26379"}, "dinhdanh"
			c.Redis.DB = 3
		}},
		{"redis cluster", func(c *Config) { c.Redis.Addrs = Addresses{"10.0.0.21:6379", "10.0.0.22:6379"} }},
		{"redis cluster endpoint", func(c *Config) { c.Redis.Addrs, c.Redis.Cluster = Addresses{"cfg.redis:6379"}, true }},
		{"redis with ACL and TLS", func(c *Config) {
			c.Redis.Addrs, c.Redis.Username, c.Redis.Password = Addresses{"redis:6380"}, "dinhdanh", "secret"
			c.Redis.TLS, c.Redis.TLSCAFile = true, "/etc/dinhdanh/redis-ca.pem"
		}},
		{"seal key elsewhere", func(c *Config) { c.Keys.SealKeyFile = "/etc/dinhdanh/seal.key" }},
		{"RS256", func(c *Config) { c.Keys.AccessTokenAlgorithm = "RS256" }},
		{"EdDSA", func(c *Config) { c.Keys.AccessTokenAlgorithm = "EdDSA" }},
		{"absolute lifetime equal to idle timeout", func(c *Config) { c.Session.AbsoluteLifetime = c.Session.IdleTimeout }},
		{"cookies always", func(c *Config) { c.Session.SecureCookies = "always" }},
		{"cookies never", func(c *Config) { c.Session.SecureCookies = "never" }},
		{"__Host- cookie over https", func(c *Config) {
			c.Issuer = "https://sso.example.gov.vn"
			c.Session.CookieName = "__Host-dinhdanh"
		}},
		{"__Host- cookie always Secure", func(c *Config) {
			c.Session.SecureCookies = "always"
			c.Session.CookieName = "__Host-dinhdanh"
		}},
		{"registration off", func(c *Config) { c.Login.AllowRegistration = false }},
		{"stronger argon2id", func(c *Config) {
			c.Password.MinLength = 12
			c.Password.MemoryKiB = 65536
			c.Password.Iterations = 3
			c.Password.Parallelism = 4
		}},
		{"no backoff delay", func(c *Config) {
			c.BruteForce.BaseDelay = 0
			c.BruteForce.MaxDelay = 0
		}},
		{"English, debug, json", func(c *Config) {
			c.UI.DefaultLanguage = "en"
			c.Log.Level = "debug"
			c.Log.Format = "json"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidateDoesNotChangeConfig(t *testing.T) {
	c := Default()
	c.Issuer = "https://sso.example.gov.vn/"
	c.Tokens.IDTokenLifespan = 0
	c.Directories = []Directory{DefaultDirectory()}
	before := *Default()
	before.Issuer, before.Tokens.IDTokenLifespan = c.Issuer, c.Tokens.IDTokenLifespan
	before.Directories = []Directory{DefaultDirectory()}
	_ = c.Validate()
	if !reflect.DeepEqual(*c, before) {
		t.Errorf("Validate changed the config:\n%+v\nwas\n%+v", *c, before)
	}
}

func TestZeroConfigIsInvalid(t *testing.T) {
	if len(validationProblems(t, &Config{})) < 10 {
		t.Error("the zero Config should fail on many settings")
	}
}
