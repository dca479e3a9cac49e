package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Upstream is an upstream OpenID Connect provider people may log in through: VNeID, or the national public
// service portal (Cổng Dịch vụ công quốc gia). dinhdanh is a strict relying party of it: it reads the
// provider's discovery document, sends the authorization code request with PKCE (S256), a state and a nonce
// bound to the login flow and the acr_values below, and checks the ID token's signature, iss, aud, azp, expiry
// and nonce before it reads the userinfo. Configured in the file only (a list of sections has no DINHDANH_*
// variable).
//
//	upstreams:
//	  - name: vneid
//	    display_name: {vi: VNeID, en: VNeID}
//	    issuer: https://sso.dancuquocgia.gov.vn
//	    client_id: dinhdanh-tinh
//	    client_secret_file: /etc/dinhdanh/vneid.secret
//	    scopes: [openid, profile]
//	    acr_values: [LoA2]
//	    claims: {personal_id: SoDinhDanh, name: HoVaTen, birthdate: NgayThangNamSinh,
//	             birthdate_format: YYYYMMDD, gender: GioiTinh, gender_codes: {"1": male, "2": female}}
//	    assurance: LoA2
//	    acr_map: {"http://eidas.europa.eu/LoA/substantial": LoA2, "http://eidas.europa.eu/LoA/high": LoA3}
//	    proves_personal_id: true
type Upstream struct {
	// Name identifies the provider in URLs (/login/upstream/NAME), the audit log and the proof of a personal
	// ID it proves: 1 to 32 lower-case letters, digits, '.', '_' or '-', unique. Required (default: none).
	Name string `yaml:"name"`
	// DisplayName is the provider's name on the login button ("Đăng nhập bằng VNeID"), per language (vi, en).
	// Default: Name.
	DisplayName map[string]string `yaml:"display_name"`
	// Issuer is the provider's issuer URL (https, or http on a loopback address); its discovery document is
	// Issuer + "/.well-known/openid-configuration", and the iss of its ID tokens must equal it. Required
	// (default: none).
	Issuer string `yaml:"issuer"`
	// ClientID is dinhdanh's client ID registered at the provider. Required (default: none).
	ClientID string `yaml:"client_id"`
	// ClientSecret is dinhdanh's client secret there; set it or ClientSecretFile, exactly one. Default: "".
	ClientSecret string `yaml:"client_secret"`
	// ClientSecretFile is a file holding the client secret (surrounding white space is ignored). Default: "".
	ClientSecretFile string `yaml:"client_secret_file"`
	// ClientAuth is how dinhdanh authenticates at the provider's token endpoint: client_secret_basic (the
	// secret in the Authorization header), client_secret_post (in the form) or private_key_jwt (RFC 7523,
	// OpenID Connect Core 9: a JWT signed with PrivateKeyFile, iss = sub = client_id, aud = the token
	// endpoint and the issuer, valid 60 s, with a random jti). The secret methods need exactly one of
	// ClientSecret and ClientSecretFile, private_key_jwt needs PrivateKeyFile and no secret. Default:
	// private_key_jwt when PrivateKeyFile is set, else the secret, in the header unless the provider asks for
	// it in the form.
	ClientAuth string `yaml:"client_auth"`
	// PrivateKeyFile is a PEM file holding dinhdanh's private key for private_key_jwt (RSA, signing RS256,
	// or EC P-256/P-384/P-521, signing ES256/ES384/ES512; PKCS #8, PKCS #1 or SEC 1); its public key is the
	// one registered at the provider. Default: "".
	PrivateKeyFile string `yaml:"private_key_file"`
	// PrivateKeyID is the kid of the client assertions. Default: the key's JWK thumbprint (RFC 7638,
	// SHA-256, base64url).
	PrivateKeyID string `yaml:"private_key_id"`
	// Scopes are the scopes requested; openid is always sent. Default: [openid, profile].
	Scopes []string `yaml:"scopes"`
	// ACRValues are sent as acr_values. Default: none.
	ACRValues []string `yaml:"acr_values"`
	// Claims says which of the provider's claims give the person's attributes. See UpstreamClaims.
	// Default: the national portal's claim names.
	Claims UpstreamClaims `yaml:"claims"`
	// Assurance is the dinhdanh acr a login through the provider reaches: LoA1, LoA2 or LoA3. Default: LoA2.
	Assurance string `yaml:"assurance"`
	// ACRMap maps the acr values of the provider's ID tokens to dinhdanh's (LoA1, LoA2 or LoA3): a login
	// whose ID token carries an acr found here reaches the mapped level; one whose acr is missing or not
	// found reaches Assurance, never more. Default: empty (every login reaches Assurance).
	ACRMap map[string]string `yaml:"acr_map"`
	// ProvesPersonalID says the provider proves the personal ID it releases (VNeID, the national portal):
	// the ID is then recorded as verified, and it displaces an account that had only asserted it. When
	// false the ID only finds or creates the account, unproven. Default: false.
	ProvesPersonalID bool `yaml:"proves_personal_id"`
	// Timeout bounds every request to the provider (discovery, token, keys, userinfo). Default: 10s.
	Timeout Duration `yaml:"timeout"`
}

// UpstreamClaims maps an upstream provider's claims (ID token, then userinfo) to a person's attributes.
// Default: the national portal's names (SoDinhDanh, HoVaTen, NgayThangNamSinh as YYYYMMDD, GioiTinh with
// 1 = male, 2 = female).
type UpstreamClaims struct {
	// PersonalID is the claim holding the 12-digit personal ID. Default: SoDinhDanh.
	PersonalID string `yaml:"personal_id"`
	// Name is the claim holding the full name. Default: HoVaTen.
	Name string `yaml:"name"`
	// Birthdate is the claim holding the date of birth. Default: NgayThangNamSinh.
	Birthdate string `yaml:"birthdate"`
	// BirthdateFormat is its format, made of YYYY, MM and DD and separators. Default: YYYYMMDD.
	BirthdateFormat string `yaml:"birthdate_format"`
	// Gender is the claim holding the gender. Default: GioiTinh.
	Gender string `yaml:"gender"`
	// GenderCodes maps its values to male, female or other. Default: {"1": male, "2": female}.
	GenderCodes map[string]string `yaml:"gender_codes"`
	// TaxCode is the claim holding the tax code of the organisation the person logs in for (10 or 13 digits,
	// or the 12-digit personal ID of an individual or household business). When the provider releases it
	// and proves the person's personal ID (proves_personal_id), the account is recorded as a verified
	// representative of that business (audited business.link), which the business choice offers. Default:
	// MaSoThue.
	TaxCode string `yaml:"tax_code"`
	// OrganizationName is the claim holding the organisation's name, given to a business not known yet
	// (which is otherwise named by its tax code). Default: "" (not read).
	OrganizationName string `yaml:"organization_name"`
	// OrganizationTechID is the claim holding the organisation's identifier at the provider (its TechID),
	// recorded with the representation. Default: "" (not read).
	OrganizationTechID string `yaml:"organization_techid"`
	// Role is the claim holding the person's role for the organisation. Default: "" (not read).
	Role string `yaml:"role"`
	// RoleCodes maps Role's values to legal_representative or authorised_staff; a value it does not map,
	// or no Role, makes the person authorised_staff. Default: none.
	RoleCodes map[string]string `yaml:"role_codes"`
}

// Layout returns BirthdateFormat as a Go time layout.
func (c UpstreamClaims) Layout() string {
	return strings.NewReplacer("YYYY", "2006", "MM", "01", "DD", "02").Replace(c.BirthdateFormat)
}

// WithDefaults returns u with every field left out set to its default.
func (u Upstream) WithDefaults() Upstream {
	if len(u.Scopes) == 0 {
		u.Scopes = []string{"openid", "profile"}
	}
	if u.Assurance == "" {
		u.Assurance = "LoA2"
	}
	if u.Timeout == 0 {
		u.Timeout = Duration(10 * time.Second)
	}
	if u.ClientAuth == "" && u.PrivateKeyFile != "" {
		u.ClientAuth = "private_key_jwt"
	}
	c := &u.Claims
	for _, d := range []struct {
		f *string
		v string
	}{{&c.PersonalID, "SoDinhDanh"}, {&c.Name, "HoVaTen"},
		{&c.Birthdate, "NgayThangNamSinh"}, {&c.BirthdateFormat, "YYYYMMDD"}, {&c.Gender, "GioiTinh"},
		{&c.TaxCode, "MaSoThue"}} {
		if *d.f == "" {
			*d.f = d.v
		}
	}
	if c.GenderCodes == nil {
		c.GenderCodes = map[string]string{"1": "male", "2": "female"}
	}
	return u
}

var upstreamNamePattern = regexp.MustCompile(`^[a-z0-9._-]{1,32}$`)

func (c *Config) validateUpstreams(v *validator) {
	names := map[string]int{}
	for i := range c.Upstreams {
		u := c.Upstreams[i].WithDefaults()
		key := func(k string) string { return fmt.Sprintf("upstreams[%d].%s", i, k) }
		if !upstreamNamePattern.MatchString(u.Name) {
			v.add(key("name"), "is %q; it must be 1 to 32 lower-case letters, digits, '.', '_' or '-'", u.Name)
		} else if j, dup := names[u.Name]; dup {
			v.add(key("name"), "%q is also the name of upstreams[%d]", u.Name, j)
		} else {
			names[u.Name] = i
		}
		for lang := range u.DisplayName {
			if lang != "vi" && lang != "en" {
				v.add(key("display_name"), "has the language %q; only vi and en are shown", lang)
			}
		}
		if iss, err := url.Parse(u.Issuer); err != nil || iss.Host == "" || iss.RawQuery != "" || iss.Fragment != "" ||
			(iss.Scheme != "https" && !(iss.Scheme == "http" && isLoopbackName(iss.Hostname()))) {
			v.add(key("issuer"), "is %q; it must be an https URL (http only on a loopback address) without query or fragment", u.Issuer)
		}
		if strings.TrimSpace(u.ClientID) == "" {
			v.add(key("client_id"), "must not be empty")
		}
		switch u.ClientAuth {
		case "private_key_jwt":
			if u.PrivateKeyFile == "" {
				v.add(key("private_key_file"), "must be set when client_auth is private_key_jwt")
			}
			if u.ClientSecret != "" || u.ClientSecretFile != "" {
				v.add(key("client_secret_file"), "client_secret and client_secret_file must not be set when client_auth is private_key_jwt")
			}
		case "", "client_secret_basic", "client_secret_post":
			if (u.ClientSecret == "") == (u.ClientSecretFile == "") {
				v.add(key("client_secret_file"), "set exactly one of client_secret and client_secret_file")
			}
			if u.PrivateKeyFile != "" || u.PrivateKeyID != "" {
				v.add(key("private_key_file"), "private_key_file and private_key_id are only for client_auth private_key_jwt")
			}
		default:
			v.add(key("client_auth"), "is %q; it must be client_secret_basic, client_secret_post or private_key_jwt", u.ClientAuth)
		}
		v.oneOf(key("assurance"), u.Assurance, []string{"LoA1", "LoA2", "LoA3"})
		for acr, level := range u.ACRMap {
			if level != "LoA1" && level != "LoA2" && level != "LoA3" {
				v.add(key("acr_map"), "maps %q to %q; it must be LoA1, LoA2 or LoA3", acr, level)
			}
		}
		v.positive(key("timeout"), u.Timeout)
		f := u.Claims.BirthdateFormat
		if !strings.Contains(f, "YYYY") || !strings.Contains(f, "MM") || !strings.Contains(f, "DD") {
			v.add(key("claims.birthdate_format"), "is %q; it must contain YYYY, MM and DD", f)
		}
		if u.Claims.PersonalID == "" && u.ProvesPersonalID {
			v.add(key("claims.personal_id"), "must not be empty when proves_personal_id is true")
		}
		for code, role := range u.Claims.RoleCodes {
			if role != "legal_representative" && role != "authorised_staff" {
				v.add(key("claims.role_codes"), "maps %q to %q; it must be legal_representative or authorised_staff", code, role)
			}
		}
		for code, g := range u.Claims.GenderCodes {
			if g != "male" && g != "female" && g != "other" {
				v.add(key("claims.gender_codes"), "maps %q to %q; it must be male, female or other", code, g)
			}
		}
	}
}
