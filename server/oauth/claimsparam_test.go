package oauth_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/oauth"
)

func TestParseClaimsParameterACR(t *testing.T) {
	cases := []struct {
		claims    string
		values    []string
		essential bool
		bad       bool
	}{
		{"", nil, false, false},
		{`{"id_token":{"acr":{"essential":true,"values":["LoA2","LoA3"]}}}`, []string{"LoA2", "LoA3"}, true, false},
		{`{"id_token":{"acr":{"essential":true,"value":"LoA3"}}}`, []string{"LoA3"}, true, false},
		{`{"id_token":{"acr":{"values":["LoA2"]}}}`, []string{"LoA2"}, false, false},
		{`{"id_token":{"acr":null}}`, nil, false, false},
		{`{"id_token":{"acr":{"essential":true}}}`, nil, false, false},
		{`{"userinfo":{"acr":{"essential":true,"value":"LoA2"}}}`, nil, false, false},
		{`{"id_token":{"acr":"LoA2"}}`, nil, false, true},
		{`{acr`, nil, false, true},
		{`[]`, nil, false, true},
	}
	for _, c := range cases {
		p, err := oauth.ParseClaimsParameter(c.claims)
		if (err != nil) != c.bad || p.ACREssential != c.essential || !slices.Equal(p.ACR, c.values) {
			t.Errorf("ParseClaimsParameter(%s) = %+v, %v", c.claims, p, err)
		}
	}
}

func TestParseClaimsParameterVerifiedClaims(t *testing.T) {
	all := &identity.VerifiedClaimsRequest{}
	cases := []struct {
		name             string
		claims           string
		idToken, userinf *identity.VerifiedClaimsRequest
		bad              bool
	}{
		{"none", `{"id_token":{"acr":null}}`, nil, nil, false},
		{"null", `{"id_token":{"verified_claims":null}}`, nil, nil, false},
		{"id token, some claims",
			`{"id_token":{"verified_claims":{"verification":{"trust_framework":null},"claims":{"personal_id":null,"birthdate":{"essential":true}}}}}`,
			&identity.VerifiedClaimsRequest{Claims: []string{"birthdate", "personal_id"}}, nil, false},
		{"userinfo, no claims member", `{"userinfo":{"verified_claims":{"verification":{"trust_framework":null}}}}`, nil, all, false},
		{"userinfo, empty claims", `{"userinfo":{"verified_claims":{"claims":{}}}}`, nil, all, false},
		{"array merged",
			`{"userinfo":{"verified_claims":[{"claims":{"name":null}},{"claims":{"personal_id":null,"name":null}}]}}`,
			nil, &identity.VerifiedClaimsRequest{Claims: []string{"name", "personal_id"}}, false},
		{"both", `{"id_token":{"verified_claims":{"claims":{"name":null}}},"userinfo":{"verified_claims":{"claims":{"birthdate":null}}}}`,
			&identity.VerifiedClaimsRequest{Claims: []string{"name"}}, &identity.VerifiedClaimsRequest{Claims: []string{"birthdate"}}, false},
		{"not an object", `{"id_token":{"verified_claims":"yes"}}`, nil, nil, true},
		{"empty array", `{"userinfo":{"verified_claims":[]}}`, nil, nil, true},
		{"claims not an object", `{"userinfo":{"verified_claims":{"claims":["name"]}}}`, nil, nil, true},
	}
	for _, c := range cases {
		p, err := oauth.ParseClaimsParameter(c.claims)
		if (err != nil) != c.bad {
			t.Errorf("%s: error %v, want bad=%v", c.name, err, c.bad)
			continue
		}
		if !reflect.DeepEqual(p.IDTokenVerified, c.idToken) || !reflect.DeepEqual(p.UserinfoVerified, c.userinf) {
			t.Errorf("%s: id_token %+v, userinfo %+v; want %+v, %+v", c.name, p.IDTokenVerified, p.UserinfoVerified, c.idToken, c.userinf)
		}
	}
}
