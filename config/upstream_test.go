package config

import (
	"slices"
	"testing"
	"time"
)

func TestValidateUpstreams(t *testing.T) {
	good := func() Upstream {
		return Upstream{Name: "vneid", DisplayName: map[string]string{"vi": "VNeID"}, Issuer: "https://sso.dancuquocgia.gov.vn",
			ClientID: "dinhdanh-tinh", ClientSecretFile: "/etc/dinhdanh/vneid.secret", ProvesPersonalID: true}
	}
	for _, tc := range []struct {
		name   string
		change func(u *Upstream)
		keys   []string
	}{
		{"valid", func(u *Upstream) {}, nil},
		{"loopback http issuer", func(u *Upstream) { u.Issuer = "http://127.0.0.1:9998" }, nil},
		{"empty", func(u *Upstream) { *u = Upstream{} }, []string{"upstreams[0].name", "upstreams[0].issuer",
			"upstreams[0].client_id", "upstreams[0].client_secret_file"}},
		{"bad name", func(u *Upstream) { u.Name = "VNeID" }, []string{"upstreams[0].name"}},
		{"clear-text issuer", func(u *Upstream) { u.Issuer = "http://sso.dancuquocgia.gov.vn" }, []string{"upstreams[0].issuer"}},
		{"issuer with a query", func(u *Upstream) { u.Issuer = "https://sso.example.vn/?x=1" }, []string{"upstreams[0].issuer"}},
		{"both secrets", func(u *Upstream) { u.ClientSecret = "s" }, []string{"upstreams[0].client_secret_file"}},
		{"private_key_jwt", func(u *Upstream) { u.ClientSecretFile, u.PrivateKeyFile = "", "/etc/dinhdanh/vneid.key" }, nil},
		{"client_secret_post", func(u *Upstream) { u.ClientAuth = "client_secret_post" }, nil},
		{"private_key_jwt without a key", func(u *Upstream) { u.ClientSecretFile, u.ClientAuth = "", "private_key_jwt" },
			[]string{"upstreams[0].private_key_file"}},
		{"private_key_jwt and a secret", func(u *Upstream) { u.PrivateKeyFile = "/etc/dinhdanh/vneid.key" },
			[]string{"upstreams[0].client_secret_file"}},
		{"a key for a secret method", func(u *Upstream) {
			u.ClientAuth, u.PrivateKeyFile = "client_secret_basic", "/etc/dinhdanh/vneid.key"
		}, []string{"upstreams[0].private_key_file"}},
		{"unknown client_auth", func(u *Upstream) { u.ClientAuth = "tls_client_auth" }, []string{"upstreams[0].client_auth"}},
		{"bad language", func(u *Upstream) { u.DisplayName["fr"] = "VNeID" }, []string{"upstreams[0].display_name"}},
		{"bad assurance", func(u *Upstream) { u.Assurance = "LoA4" }, []string{"upstreams[0].assurance"}},
		{"acr mapped to no level", func(u *Upstream) { u.ACRMap = map[string]string{"https://vneid/loa/2": "high"} }, []string{"upstreams[0].acr_map"}},
		{"acr map", func(u *Upstream) { u.ACRMap = map[string]string{"https://vneid/loa/2": "LoA3"} }, nil},
		{"negative timeout", func(u *Upstream) { u.Timeout = Duration(-time.Second) }, []string{"upstreams[0].timeout"}},
		{"bad date format", func(u *Upstream) { u.Claims.BirthdateFormat = "DDMMYY" }, []string{"upstreams[0].claims.birthdate_format"}},
		{"bad gender", func(u *Upstream) { u.Claims.GenderCodes = map[string]string{"1": "nam"} }, []string{"upstreams[0].claims.gender_codes"}},
		{"bad role", func(u *Upstream) { u.Claims.RoleCodes = map[string]string{"1": "director"} }, []string{"upstreams[0].claims.role_codes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			u := good()
			tc.change(&u)
			c.Upstreams = []Upstream{u}
			if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, tc.keys) {
				t.Errorf("problems %v, want %v", got, tc.keys)
			}
		})
	}
	t.Run("duplicate name", func(t *testing.T) {
		c := Default()
		c.Upstreams = []Upstream{good(), good()}
		if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, []string{"upstreams[1].name"}) {
			t.Errorf("problems %v", got)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		u := good().WithDefaults()
		if u.Assurance != "LoA2" || u.Timeout.D() != 10*time.Second || u.Claims.PersonalID != "SoDinhDanh" ||
			u.Claims.Layout() != "20060102" || u.Claims.GenderCodes["2"] != "female" || !slices.Equal(u.Scopes, []string{"openid", "profile"}) {
			t.Errorf("defaults: %+v", u)
		}
	})
}
