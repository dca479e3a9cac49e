package harness

import (
	"encoding/json"
	"strings"
	"testing"
)

// ClientSpec describes a client to register with "dinhdanh client create".
// Empty fields keep the command's defaults.
type ClientSpec struct {
	ID           string
	Name         string
	Public       bool
	FirstParty   bool
	RedirectURIs []string
	Grants       []string
	Scopes       []string
	Audience     []string
	// IDTokenAlg is RS256, ES256 or EdDSA.
	IDTokenAlg string
	// AccessTokenFormat is jwt or opaque.
	AccessTokenFormat string
	// AuthMethod is client_secret_basic or client_secret_post.
	AuthMethod string
	// PostLogoutRedirectURIs are where RP-initiated logout may return the browser.
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI receives logout tokens (OpenID Connect Back-Channel Logout 1.0).
	BackchannelLogoutURI string
	// FrontchannelLogoutURI is loaded in a frame of the logout page (Front-Channel Logout 1.0).
	FrontchannelLogoutURI string
	// MinACR is the lowest assurance level of a login for the client (LoA1, LoA2, LoA3).
	MinACR string
	// ClaimProfile is the client's claim profile ("dvcqg"); "" is standard.
	ClaimProfile string
	// PurposeVI, PurposeEN, PrivacyURLVI and PrivacyURLEN are the purpose
	// statements and privacy notices the consent page shows.
	PurposeVI, PurposeEN, PrivacyURLVI, PrivacyURLEN string
}

// Args returns the command line that registers the client, printing JSON.
func (c ClientSpec) Args() []string {
	args := []string{"client", "create", "--json", "--name", c.Name}
	if c.ID != "" {
		args = append(args, "--id", c.ID)
	}
	if c.Public {
		args = append(args, "--public")
	}
	if c.FirstParty {
		args = append(args, "--first-party")
	}
	for _, u := range c.RedirectURIs {
		args = append(args, "--redirect-uri", u)
	}
	if len(c.Grants) > 0 {
		args = append(args, "--grant", strings.Join(c.Grants, ","))
	}
	if len(c.Scopes) > 0 {
		args = append(args, "--scope", strings.Join(c.Scopes, ","))
	}
	if len(c.Audience) > 0 {
		args = append(args, "--audience", strings.Join(c.Audience, ","))
	}
	if c.IDTokenAlg != "" {
		args = append(args, "--id-token-alg", c.IDTokenAlg)
	}
	if c.AccessTokenFormat != "" {
		args = append(args, "--access-token-format", c.AccessTokenFormat)
	}
	if c.AuthMethod != "" {
		args = append(args, "--auth-method", c.AuthMethod)
	}
	for _, u := range c.PostLogoutRedirectURIs {
		args = append(args, "--post-logout-redirect-uri", u)
	}
	args = appendIf(args, "--backchannel-logout-uri", c.BackchannelLogoutURI)
	args = appendIf(args, "--frontchannel-logout-uri", c.FrontchannelLogoutURI)
	args = appendIf(args, "--min-acr", c.MinACR)
	args = appendIf(args, "--claim-profile", c.ClaimProfile)
	args = appendIf(args, "--purpose-vi", c.PurposeVI)
	args = appendIf(args, "--purpose-en", c.PurposeEN)
	args = appendIf(args, "--privacy-url-vi", c.PrivacyURLVI)
	args = appendIf(args, "--privacy-url-en", c.PrivacyURLEN)
	return args
}

// Client is a registered client, as "client create --json" prints it.
type Client struct {
	ID                string   `json:"client_id"`
	Secret            string   `json:"client_secret"`
	Name              string   `json:"name"`
	Public            bool     `json:"public"`
	FirstParty        bool     `json:"first_party"`
	RedirectURIs      []string `json:"redirect_uris"`
	GrantTypes        []string `json:"grant_types"`
	Scopes            []string `json:"scopes"`
	Audience          []string `json:"audience"`
	IDTokenAlg        string   `json:"id_token_signed_response_alg"`
	AccessTokenFormat string   `json:"access_token_format"`
	AuthMethod        string   `json:"token_endpoint_auth_method"`
	// PostLogoutRedirectURIs, BackchannelLogoutURI and FrontchannelLogoutURI
	// are the client's logout settings.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI   string   `json:"backchannel_logout_uri"`
	FrontchannelLogoutURI  string   `json:"frontchannel_logout_uri"`
	// ClaimProfile is the client's claim profile, "" for standard.
	ClaimProfile string `json:"claim_profile"`
	// The purpose statements and privacy notices.
	PurposeVI    string `json:"purpose_vi"`
	PurposeEN    string `json:"purpose_en"`
	PrivacyURLVI string `json:"privacy_url_vi"`
	PrivacyURLEN string `json:"privacy_url_en"`
}

// RedirectURI returns the client's first redirect URI.
func (c *Client) RedirectURI() string {
	if len(c.RedirectURIs) == 0 {
		return ""
	}
	return c.RedirectURIs[0]
}

// CreateClient registers a client and returns it with its secret.
func (s *Server) CreateClient(t testing.TB, spec ClientSpec) *Client {
	t.Helper()
	out := s.CLI(t, "", spec.Args()...)
	var c Client
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("client create --json printed %q: %v", out, err)
	}
	if c.ID == "" {
		t.Fatalf("client create --json printed no client_id: %s", out)
	}
	if !c.Public && c.Secret == "" {
		t.Fatalf("client create --json printed no secret for a confidential client: %s", out)
	}
	return &c
}

// Citizen is a citizen account to create.
type Citizen struct {
	PersonalID string
	Name       string // full name, family name first
	Birthdate  string // YYYY-MM-DD
	Gender     string // male or female
	Email      string
	Phone      string
	Password   string
}

// Official is an official's account to create. With a PersonalID that
// belongs to an existing citizen, the official capacity is added to that
// person instead.
type Official struct {
	Username   string
	Name       string
	Agency     string
	Department string
	Title      string
	PersonalID string
	Email      string
	Phone      string
	Admin      bool
	Password   string
}

// accountResult is what "account create --json" prints.
type accountResult struct {
	Sub    string `json:"sub"`
	Linked bool   `json:"linked"`
}

func (s *Server) createAccount(t testing.TB, password string, args []string) accountResult {
	t.Helper()
	stdin := ""
	if password != "" {
		args = append(args, "--password-stdin")
		stdin = password + "\n"
	}
	out := s.CLI(t, stdin, append(args, "--json")...)
	var r accountResult
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Sub == "" {
		t.Fatalf("account create --json printed %q (%v)", out, err)
	}
	return r
}

// fixtureEvidence proves the personal ID of the fixtures' people: the
// operator's register of them is their authoritative source. A person whose
// ID is only asserted registers through /register.
var fixtureEvidence = []string{"--evidence", "authoritative-source", "--source", "test fixtures"}

// CreateCitizen creates a citizen, with a proven personal ID, and returns
// the subject.
func (s *Server) CreateCitizen(t testing.TB, c Citizen) string {
	t.Helper()
	args := []string{"account", "create", "--kind", "citizen", "--personal-id", c.PersonalID, "--name", c.Name,
		"--birthdate", c.Birthdate, "--gender", c.Gender}
	args = appendIf(args, "--email", c.Email)
	args = appendIf(args, "--phone", c.Phone)
	args = append(args, fixtureEvidence...)
	return s.createAccount(t, c.Password, args).Sub
}

// CreateOfficial creates an official (or adds the official capacity to the
// citizen with the same personal ID, reported by linked) and returns the
// subject. A personal ID given is proven, as CreateCitizen's.
func (s *Server) CreateOfficial(t testing.TB, o Official) (sub string, linked bool) {
	t.Helper()
	args := []string{"account", "create", "--kind", "official", "--username", o.Username, "--name", o.Name,
		"--agency", o.Agency}
	args = appendIf(args, "--department", o.Department)
	args = appendIf(args, "--title", o.Title)
	if o.PersonalID != "" {
		args = append(append(args, "--personal-id", o.PersonalID), fixtureEvidence...)
	}
	args = appendIf(args, "--email", o.Email)
	args = appendIf(args, "--phone", o.Phone)
	if o.Admin {
		args = append(args, "--admin")
	}
	r := s.createAccount(t, o.Password, args)
	return r.Sub, r.Linked
}

// LinkBusiness makes the account (subject, personal ID, email, …) a
// representative of the business with the tax code.
func (s *Server) LinkBusiness(t testing.TB, account, taxCode, businessName, role string) {
	t.Helper()
	s.CLI(t, "", "business", "link", "--tax-code", taxCode, "--name", businessName, "--role", role, account)
}

// RotateKeys runs "dinhdanh keys rotate --alg ALG" and returns its output.
func (s *Server) RotateKeys(t testing.TB, alg string) string {
	t.Helper()
	return s.CLI(t, "", "keys", "rotate", "--alg", alg)
}

func appendIf(args []string, flag, value string) []string {
	if value == "" {
		return args
	}
	return append(args, flag, value)
}
