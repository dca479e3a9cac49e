package oauth

import (
	"encoding/json"
	"errors"
	"slices"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// ClaimsParameter is what dinhdanh reads of the claims request parameter
// (OpenID Connect Core 5.5): acr requested as an ID-token claim, and
// "verified_claims" (OpenID Connect for Identity Assurance 1.0) requested in
// the ID token or at userinfo. Other requested claims are ignored: the
// scopes decide them.
type ClaimsParameter struct {
	ACR          []string // acr values asked for ("value" first, then "values")
	ACREssential bool     // acr is essential and names at least one value
	// IDTokenVerified and UserinfoVerified are the requests for
	// "verified_claims" in the ID token and at userinfo; nil when none.
	IDTokenVerified  *identity.VerifiedClaimsRequest
	UserinfoVerified *identity.VerifiedClaimsRequest
}

// errClaimsParameter is the error of a claims parameter that cannot be read.
var errClaimsParameter = errors.New("oauth: the claims parameter is not a valid JSON object")

// ParseClaimsParameter parses the claims parameter s. An empty s is an
// empty request. It fails when s is not a JSON object, or when "id_token",
// "userinfo", acr or "verified_claims" do not have the shape the
// specifications give them. "verified_claims" may be one object or an
// array of them (their claims are merged); a request whose "claims" is
// absent, null or empty asks for every verified claim.
func ParseClaimsParameter(s string) (ClaimsParameter, error) {
	var p ClaimsParameter
	if s == "" {
		return p, nil
	}
	var req struct {
		IDToken  map[string]json.RawMessage `json:"id_token"`
		Userinfo map[string]json.RawMessage `json:"userinfo"`
	}
	if err := json.Unmarshal([]byte(s), &req); err != nil {
		return ClaimsParameter{}, errClaimsParameter
	}
	if raw, ok := req.IDToken["acr"]; ok && string(raw) != "null" {
		var acr struct {
			Essential bool     `json:"essential"`
			Value     string   `json:"value"`
			Values    []string `json:"values"`
		}
		if err := json.Unmarshal(raw, &acr); err != nil {
			return ClaimsParameter{}, errClaimsParameter
		}
		if acr.Value != "" {
			acr.Values = append([]string{acr.Value}, acr.Values...)
		}
		p.ACR, p.ACREssential = acr.Values, acr.Essential && len(acr.Values) > 0
	}
	var err error
	if p.IDTokenVerified, err = verifiedRequest(req.IDToken["verified_claims"]); err != nil {
		return ClaimsParameter{}, err
	}
	if p.UserinfoVerified, err = verifiedRequest(req.Userinfo["verified_claims"]); err != nil {
		return ClaimsParameter{}, err
	}
	return p, nil
}

// verifiedRequest reads one "verified_claims" member of a claims request:
// absent or null is no request.
func verifiedRequest(raw json.RawMessage) (*identity.VerifiedClaimsRequest, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	type element struct {
		Claims map[string]json.RawMessage `json:"claims"`
	}
	var list []element
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
			return nil, errClaimsParameter
		}
	} else {
		var one element
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, errClaimsParameter
		}
		list = []element{one}
	}
	r := &identity.VerifiedClaimsRequest{}
	for _, e := range list {
		if len(e.Claims) == 0 {
			return &identity.VerifiedClaimsRequest{}, nil // every claim
		}
		for name := range e.Claims {
			if !slices.Contains(r.Claims, name) {
				r.Claims = append(r.Claims, name)
			}
		}
	}
	slices.Sort(r.Claims)
	return r, nil
}
