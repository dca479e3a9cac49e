package config

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestRedisFromYAML(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"list", "redis:\n  addrs: [10.0.0.11:26379, \"[2001:db8::1]:26379\"]\n", []string{"10.0.0.11:26379", "[2001:db8::1]:26379"}},
		{"block list", "redis:\n  addrs:\n    - a:6379\n    - b:6379\n", []string{"a:6379", "b:6379"}},
		{"comma-separated string", "redis:\n  addrs: \"a:6379, b:6379,\"\n", []string{"a:6379", "b:6379"}},
		{"empty list", "redis:\n  addrs: []\n", []string{}},
		{"null", "redis:\n  addrs:\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustLoad(t, writeFile(t, tc.yaml), nil)
			if !slices.Equal(c.Redis.Addrs, tc.want) || c.Redis.Enabled() != (len(tc.want) > 0) {
				t.Fatalf("redis.addrs = %#v, want %#v", c.Redis.Addrs, tc.want)
			}
		})
	}
	_, err := Load(writeFile(t, "redis:\n  addrs:\n    - [a, b]\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Fatalf("Load(nested list) = %v, want an error about host:port addresses", err)
	}
}

func TestRedisFromEnvironment(t *testing.T) {
	c := mustLoad(t, "", []string{
		"DINHDANH_DATABASE_URL=postgres://dinhdanh:secret@db:5432/dinhdanh",
		"DINHDANH_REDIS_ADDRS=10.0.0.11:26379,10.0.0.12:26379, 10.0.0.13:26379",
		"DINHDANH_REDIS_MASTER_NAME=dinhdanh",
		"DINHDANH_REDIS_PASSWORD=bí mật",
		"DINHDANH_REDIS_DB=2",
		"DINHDANH_REDIS_KEY_PREFIX=sso-tinh:",
		"DINHDANH_REDIS_READ_TIMEOUT=500ms",
		"DINHDANH_REDIS_TLS=true",
	})
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r := c.Redis
	if !slices.Equal(r.Addrs, []string{"10.0.0.11:26379", "10.0.0.12:26379", "10.0.0.13:26379"}) || r.MasterName != "dinhdanh" ||
		r.Password != "bí mật" || r.DB != 2 || r.KeyPrefix != "sso-tinh:" || r.ReadTimeout.String() != "500ms" || !r.TLS || !r.Enabled() {
		t.Fatalf("redis = %+v", r)
	}
	if got := c.PostgresURL(); got != "postgres://dinhdanh:secret@db:5432/dinhdanh" {
		t.Fatalf("PostgresURL() = %q", got)
	}
	if c.DatabasePath() != "" {
		t.Fatalf("DatabasePath() = %q for a PostgreSQL URL, want \"\"", c.DatabasePath())
	}
	// An empty variable turns Redis off.
	c = mustLoad(t, writeFile(t, "redis:\n  addrs: [a:6379]\n"), []string{"DINHDANH_REDIS_ADDRS="})
	if c.Redis.Enabled() || c.Redis.Addrs == nil {
		t.Fatalf("redis.addrs = %#v after an empty variable, want an empty list", c.Redis.Addrs)
	}
}

func TestPostgresURL(t *testing.T) {
	for url, want := range map[string]bool{
		"":                          false,
		"sqlite:/var/lib/x.db":      false,
		"postgres://db/x":           true,
		"postgresql://db/x":         true,
		"PostgreSQL://db/x":         true,
		"postgres:db":               false,
		"mysql://db/x":              false,
		"postgres:///x?host=/tmp/s": true,
	} {
		c := Default()
		c.Database.URL = url
		if got := c.PostgresURL() != ""; got != want {
			t.Errorf("PostgresURL(%q) = %q, want a URL: %v", url, c.PostgresURL(), want)
		}
	}
}

func TestAddressesMarshal(t *testing.T) {
	out, err := yaml.Marshal(struct {
		A Addresses `yaml:"a"`
	}{})
	if err != nil || string(out) != "a: []\n" {
		t.Fatalf("yaml.Marshal(empty Addresses) = %q, %v; want \"a: []\"", out, err)
	}
}
