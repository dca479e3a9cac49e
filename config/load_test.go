package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// writeFile writes a configuration file in a test directory and returns its path.
func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string, environ []string) *Config {
	t.Helper()
	c, err := Load(path, environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadWithoutFileOrEnvironmentGivesDefaults(t *testing.T) {
	c := mustLoad(t, "", []string{"HOME=/root", "PATH=/bin"})
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(\"\", env) = %+v, want Default()", c)
	}
}

func TestLoadYAMLOverrides(t *testing.T) {
	path := writeFile(t, `
issuer: https://sso.example.gov.vn/
listen: ":9000"
database:
  url: sqlite:///var/lib/dinhdanh/idp.db
keys:
  access_token_algorithm: EdDSA
tokens:
  access_token_lifespan: 5m
  refresh_token_lifespan: 1h30m
login:
  allow_registration: false
password:
  memory_kib: 65536
  parallelism: 2
brute_force:
  base_delay: 0s
ui:
  default_language: en
  product_name: "Cổng định danh"
log:
  format: json
`)
	c := mustLoad(t, path, nil)

	want := Default()
	want.Issuer = "https://sso.example.gov.vn" // one trailing slash stripped
	want.Listen = ":9000"
	want.Database.URL = "sqlite:///var/lib/dinhdanh/idp.db"
	want.Keys.AccessTokenAlgorithm = "EdDSA"
	want.Tokens.AccessTokenLifespan = Duration(5 * time.Minute)
	want.Tokens.RefreshTokenLifespan = Duration(90 * time.Minute)
	want.Login.AllowRegistration = false
	want.Password.MemoryKiB = 65536
	want.Password.Parallelism = 2
	want.BruteForce.BaseDelay = 0
	want.UI.DefaultLanguage = "en"
	want.UI.ProductName = "Cổng định danh"
	want.Log.Format = "json"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadKeepsDefaultsOfAbsentAndNullKeys(t *testing.T) {
	path := writeFile(t, `
tokens:
session:
  idle_timeout:
log:
  level: debug
`)
	c := mustLoad(t, path, nil)
	want := Default()
	want.Log.Level = "debug"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadEmptyFiles(t *testing.T) {
	for _, text := range []string{"", "\n", "# nothing set\n", "---\n"} {
		c := mustLoad(t, writeFile(t, text), nil)
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load(%q) = %+v, want Default()", text, c)
		}
	}
}

func TestLoadEnvironmentOverrides(t *testing.T) {
	env := []string{
		"HOME=/root",
		"DINHDANH_ISSUER=https://sso.example.gov.vn",
		"DINHDANH_DATA_DIR=/var/lib/dinhdanh",
		"DINHDANH_DATABASE_URL=sqlite:idp.db",
		"DINHDANH_DATABASE_MAX_OPEN_CONNS=16",
		"DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN=2m30s",
		"DINHDANH_SESSION_ABSOLUTE_LIFETIME=24h",
		"DINHDANH_LOGIN_ALLOW_REGISTRATION=false",
		"DINHDANH_PASSWORD_MEMORY_KIB=47104",
		"DINHDANH_PASSWORD_PARALLELISM=4",
		"DINHDANH_BRUTE_FORCE_ACCOUNT_MAX_FAILURES=3",
		"DINHDANH_BRUTE_FORCE_MAX_DELAY=8s",
		"DINHDANH_UI_PRODUCT_NAME=Định danh",
		"DINHDANH_CONFIG=/etc/dinhdanh/dinhdanh.yaml", // names the file; not a setting
		"dinhdanh_log_level=nonsense",                 // not our prefix: ignored
	}
	c := mustLoad(t, "", env)

	want := Default()
	want.Issuer = "https://sso.example.gov.vn"
	want.DataDir = "/var/lib/dinhdanh"
	want.Database.URL = "sqlite:idp.db"
	want.Database.MaxOpenConns = 16
	want.Tokens.AccessTokenLifespan = Duration(150 * time.Second)
	want.Session.AbsoluteLifetime = Duration(24 * time.Hour)
	want.Login.AllowRegistration = false
	want.Password.MemoryKiB = 47104
	want.Password.Parallelism = 4
	want.BruteForce.AccountMaxFailures = 3
	want.BruteForce.MaxDelay = Duration(8 * time.Second)
	want.UI.ProductName = "Định danh"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadEnvironmentBooleans(t *testing.T) {
	for text, want := range map[string]bool{"true": true, "1": true, "TRUE": true, "false": false, "0": false, "False": false} {
		yamlSays := !want
		path := writeFile(t, "login:\n  allow_registration: "+map[bool]string{true: "true", false: "false"}[yamlSays]+"\n")
		c := mustLoad(t, path, []string{"DINHDANH_LOGIN_ALLOW_REGISTRATION=" + text})
		if c.Login.AllowRegistration != want {
			t.Errorf("DINHDANH_LOGIN_ALLOW_REGISTRATION=%s: allow_registration = %v, want %v", text, c.Login.AllowRegistration, want)
		}
	}
}

func TestLoadEnvironmentBeatsYAML(t *testing.T) {
	path := writeFile(t, `
issuer: https://from-file.example.gov.vn
tokens:
  id_token_lifespan: 2h
  access_token_lifespan: 20m
log:
  level: warn
`)
	c := mustLoad(t, path, []string{
		"DINHDANH_ISSUER=https://from-env.example.gov.vn/",
		"DINHDANH_TOKENS_ID_TOKEN_LIFESPAN=30m",
		"DINHDANH_LOG_LEVEL=error",
	})
	if c.Issuer != "https://from-env.example.gov.vn" {
		t.Errorf("issuer = %q, want the environment's, without its trailing slash", c.Issuer)
	}
	if c.Tokens.IDTokenLifespan.D() != 30*time.Minute {
		t.Errorf("tokens.id_token_lifespan = %s, want the environment's 30m", c.Tokens.IDTokenLifespan)
	}
	if c.Log.Level != "error" {
		t.Errorf("log.level = %q, want the environment's error", c.Log.Level)
	}
	if c.Tokens.AccessTokenLifespan.D() != 20*time.Minute {
		t.Errorf("tokens.access_token_lifespan = %s, want the file's 20m", c.Tokens.AccessTokenLifespan)
	}
}

func TestLoadLaterVariableWins(t *testing.T) {
	c := mustLoad(t, "", []string{"DINHDANH_LOG_LEVEL=debug", "DINHDANH_LOG_LEVEL=warn"})
	if c.Log.Level != "warn" {
		t.Errorf("log.level = %q, want warn", c.Log.Level)
	}
}

func TestLoadEmptyVariableSetsEmptyString(t *testing.T) {
	path := writeFile(t, "database:\n  url: sqlite:other.db\n")
	c := mustLoad(t, path, []string{"DINHDANH_DATABASE_URL="})
	if c.Database.URL != "" {
		t.Errorf("database.url = %q, want empty", c.Database.URL)
	}
}

func TestLoadStripsOneTrailingSlash(t *testing.T) {
	for in, want := range map[string]string{
		"https://sso.example.gov.vn/":      "https://sso.example.gov.vn",
		"https://sso.example.gov.vn/idp/":  "https://sso.example.gov.vn/idp",
		"https://sso.example.gov.vn//":     "https://sso.example.gov.vn/",
		"https://sso.example.gov.vn/idp":   "https://sso.example.gov.vn/idp",
		"https://sso.example.gov.vn:8443/": "https://sso.example.gov.vn:8443",
	} {
		c := mustLoad(t, "", []string{"DINHDANH_ISSUER=" + in})
		if c.Issuer != want {
			t.Errorf("issuer %q loads as %q, want %q", in, c.Issuer, want)
		}
	}
}

func TestLoadUnknownYAMLKey(t *testing.T) {
	path := writeFile(t, `
issuer: https://sso.example.gov.vn
tokens:
  access_token_lifespan: 5m
  acess_token_lifespan: 5m
colour: blue
`)
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("Load accepted unknown keys")
	}
	for _, want := range []string{path, "line 5: unknown key tokens.acess_token_lifespan", "line 6: unknown key colour"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoadBadYAMLValues(t *testing.T) {
	path := writeFile(t, `
tokens:
  access_token_lifespan: 10
  id_token_lifespan: [1h]
password:
  parallelism: 300
login:
  allow_registration: maybe
`)
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("Load accepted values that do not parse")
	}
	// Every bad value is reported, each with its line.
	for _, want := range []string{"line 3", `"10" is not a duration`, "line 4", "line 6", "300", "line 8", "maybe"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoadRejectsSeveralDocuments(t *testing.T) {
	_, err := Load(writeFile(t, "log:\n  level: debug\n---\nlog:\n  level: warn\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Errorf("Load = %v, want an error about several documents", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := Load(path, nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming the file", err)
	}
}

func TestLoadUnknownVariable(t *testing.T) {
	_, err := Load("", []string{
		"DINHDANH_LOG_LEVEL=debug",
		"DINHDANH_TOKEN_ACCESS_TOKEN_LIFESPAN=5m",
		"DINHDANH_TOKENS=5m",
	})
	var envErr *EnvError
	if !errors.As(err, &envErr) {
		t.Fatalf("Load = %v, want an *EnvError", err)
	}
	if got := problemKeys(envErr.Problems); !reflect.DeepEqual(got, []string{"DINHDANH_TOKEN_ACCESS_TOKEN_LIFESPAN", "DINHDANH_TOKENS"}) {
		t.Errorf("problems name %v", got)
	}
	if !strings.Contains(err.Error(), "unknown variable") {
		t.Errorf("error %q does not say the variable is unknown", err)
	}
}

func TestLoadBadVariableValues(t *testing.T) {
	env := []string{
		"DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN=10",
		"DINHDANH_DATABASE_MAX_OPEN_CONNS=many",
		"DINHDANH_PASSWORD_PARALLELISM=256",
		"DINHDANH_PASSWORD_MEMORY_KIB=-1",
		"DINHDANH_LOGIN_ALLOW_REGISTRATION=yes please",
		"DINHDANH_LOG_LEVEL=debug",
	}
	_, err := Load("", env)
	var envErr *EnvError
	if !errors.As(err, &envErr) {
		t.Fatalf("Load = %v, want an *EnvError", err)
	}
	want := []string{
		"DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN",
		"DINHDANH_DATABASE_MAX_OPEN_CONNS",
		"DINHDANH_PASSWORD_PARALLELISM",
		"DINHDANH_PASSWORD_MEMORY_KIB",
		"DINHDANH_LOGIN_ALLOW_REGISTRATION",
	}
	if got := problemKeys(envErr.Problems); !reflect.DeepEqual(got, want) {
		t.Errorf("problems name %v, want %v", got, want)
	}
	msg := err.Error()
	for _, s := range append(want, "tokens.access_token_lifespan", "from 0 to 255", "from 0 to 4294967295") {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %q", msg, s)
		}
	}
	if n := strings.Count(msg, "\n"); n != len(want) {
		t.Errorf("error has %d problem lines, want %d:\n%s", n, len(want), msg)
	}
}

func TestEveryKeyHasAVariable(t *testing.T) {
	byEnv := leavesByEnv()
	if len(byEnv) != len(leaves()) {
		t.Fatalf("%d variables for %d keys", len(byEnv), len(leaves()))
	}
	for _, l := range leaves() {
		if l.fileOnly {
			// A list of sections is set in the file only; its variable is refused with a message saying so.
			if l.typ.Kind() != reflect.Slice || l.typ.Elem().Kind() != reflect.Struct {
				t.Errorf("%s (%s) is file-only but not a list of sections", l.key, l.typ)
			}
			continue
		}
		if !settable(l.typ) {
			t.Errorf("%s (%s) cannot be set from the environment", l.key, l.typ)
		}
		if want := "DINHDANH_" + strings.ToUpper(strings.ReplaceAll(l.key, ".", "_")); l.env != want {
			t.Errorf("%s: variable %s, want %s", l.key, l.env, want)
		}
	}
	for _, name := range []string{
		"DINHDANH_ISSUER",
		"DINHDANH_DATABASE_URL",
		"DINHDANH_TOKENS_ACCESS_TOKEN_LIFESPAN",
		"DINHDANH_BRUTE_FORCE_ACCOUNT_MAX_FAILURES",
		"DINHDANH_LOGIN_ALLOW_REGISTRATION",
	} {
		if _, ok := byEnv[name]; !ok {
			t.Errorf("no key for %s", name)
		}
	}
}

// TestMarshalledConfigLoadsBack checks that a Config written out with yaml.Marshal (for example to show the
// effective configuration) uses the same keys and value syntax that Load reads.
func TestMarshalledConfigLoadsBack(t *testing.T) {
	c := Default()
	c.Tokens.RefreshTokenLifespan = Duration(36*time.Hour + 30*time.Minute)
	c.Login.AllowRegistration = false
	data, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "refresh_token_lifespan: 36h30m\n") {
		t.Errorf("durations are not written as Go duration text:\n%s", data)
	}
	got := mustLoad(t, writeFile(t, string(data)), nil)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("loaded back\n%+v\nwant\n%+v", got, c)
	}
}

func problemKeys(problems []Problem) []string {
	var keys []string
	for _, p := range problems {
		keys = append(keys, p.Key)
	}
	return keys
}
