package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

// ListClients returns the applications the principal may read
// (client.read): every one for a province-wide role, those of its agencies
// (and sub-units, when the grant says so) for an agency_admin. A principal
// with no role that reads applications is refused.
func (s *Service) ListClients(ctx context.Context) ([]*store.Client, error) {
	if err := s.allowSomewhere(ctx, PermClientRead); err != nil {
		return nil, err
	}
	all, err := s.Store.ListClients(ctx)
	if err != nil {
		return nil, err
	}
	out := []*store.Client{}
	for _, c := range all {
		if s.principal == nil || s.refusal(s.principal, PermClientRead, Target{Agency: c.Agency, Ref: c.ID}) == "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// GetClient returns the application (client.read on its agency). Its
// SecretHash is cleared: nobody reads even the hash of a secret.
func (s *Service) GetClient(ctx context.Context, id string) (*store.Client, error) {
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.Allow(ctx, PermClientRead, Target{Agency: c.Agency, Ref: c.ID}); err != nil {
		return nil, err
	}
	c.SecretHash = nil
	return c, nil
}

// SpecOf returns the settings of c as a ClientSpec, from which an edit
// starts (EditClient replaces every setting with the spec's).
func SpecOf(c *store.Client) ClientSpec {
	return ClientSpec{ID: c.ID, Name: c.Name, Public: c.Public, FirstParty: c.FirstParty,
		RedirectURIs: slices.Clone(c.RedirectURIs), GrantTypes: slices.Clone(c.GrantTypes), Scopes: slices.Clone(c.Scopes),
		Audience: slices.Clone(c.Audience), IDTokenAlgorithm: c.IDTokenAlgorithm, AccessTokenFormat: c.AccessTokenFormat,
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, PostLogoutRedirectURIs: slices.Clone(c.PostLogoutRedirectURIs),
		BackchannelLogoutURI: c.BackchannelLogoutURI, FrontchannelLogoutURI: c.FrontchannelLogoutURI,
		MinimumACR: c.MinimumACR, ClaimProfile: c.ClaimProfile, Agency: c.Agency,
		PurposeVI: c.PurposeVI, PurposeEN: c.PurposeEN, PrivacyURLVI: c.PrivacyURLVI, PrivacyURLEN: c.PrivacyURLEN}
}

// EditClient replaces every setting of the application id with those of
// spec, validated as CreateClient validates them (spec.ID must be "" or id;
// a client cannot turn public or confidential: delete and create it). The
// secret is left as it is. It needs client.write on the application's
// agency and, when spec moves it to another agency, on that one too. The
// change is audited (client.edit) with the before and after of every
// changed field. It returns the client as stored (SecretHash cleared).
func (s *Service) EditClient(ctx context.Context, id string, spec ClientSpec) (*store.Client, error) {
	return s.PatchClient(ctx, id, func(cur *ClientSpec) { *cur = spec })
}

// PatchClient is EditClient with the settings that change(SpecOf(the
// client as stored)) leaves: the fields change does not touch keep their
// stored values even when another edit lands at the same moment (the
// client is read again and change applied again, up to a few times; then
// *store.ErrChanged).
func (s *Service) PatchClient(ctx context.Context, id string, change func(*ClientSpec)) (*store.Client, error) {
	for range 5 {
		c, err := s.patchClient(ctx, id, change)
		if !errors.Is(err, store.ErrChanged) {
			return c, err
		}
	}
	return nil, store.ErrChanged
}

func (s *Service) patchClient(ctx context.Context, id string, change func(*ClientSpec)) (*store.Client, error) {
	old, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.Allow(ctx, PermClientWrite, Target{Agency: old.Agency, Ref: old.ID}); err != nil {
		return nil, err
	}
	spec := SpecOf(old)
	change(&spec)
	var p Problems
	if spec.ID != "" && spec.ID != id {
		p.add("id", "a client's id cannot change")
	}
	spec.ID = id
	if spec.Public != old.Public {
		p.add("public", "a client cannot turn public or confidential: delete it and create it again")
	}
	c, more := clientOf(spec)
	p = append(p, more...)
	if err := p.err(); err != nil {
		return nil, err
	}
	if c.Agency != old.Agency {
		if err := s.Allow(ctx, PermClientWrite, Target{Agency: c.Agency, Ref: c.ID}); err != nil {
			return nil, err
		}
	}
	c.CreatedAt = old.CreatedAt
	changed := clientChanges(old, c)
	if len(changed) == 0 {
		old.SecretHash = nil
		return old, nil
	}
	if err := s.Store.UpdateClientSettings(ctx, c, old.UpdatedAt); err != nil {
		return nil, err
	}
	details := map[string]string{}
	var names []string
	for _, ch := range changed {
		names = append(names, ch.field)
		details["before."+ch.field], details["after."+ch.field] = ch.before, ch.after
	}
	details["changed"] = strings.Join(names, " ")
	s.audit(ctx, audit.ClientEdit, "", c.ID, details)
	return c, nil
}

type fieldChange struct{ field, before, after string }

// clientChanges lists the settings that differ between a and b, by the
// names of the API and the command line. The secret is not a setting.
func clientChanges(a, b *store.Client) []fieldChange {
	list := func(v []string) string { return strings.Join(v, " ") }
	pairs := []fieldChange{
		{"name", a.Name, b.Name},
		{"first_party", fmt.Sprint(a.FirstParty), fmt.Sprint(b.FirstParty)},
		{"redirect_uris", list(a.RedirectURIs), list(b.RedirectURIs)},
		{"grant_types", list(a.GrantTypes), list(b.GrantTypes)},
		{"scopes", list(a.Scopes), list(b.Scopes)},
		{"audience", list(a.Audience), list(b.Audience)},
		{"id_token_alg", a.IDTokenAlgorithm, b.IDTokenAlgorithm},
		{"access_token_format", a.AccessTokenFormat, b.AccessTokenFormat},
		{"auth_method", a.AuthMethod(), b.AuthMethod()},
		{"post_logout_redirect_uris", list(a.PostLogoutRedirectURIs), list(b.PostLogoutRedirectURIs)},
		{"backchannel_logout_uri", a.BackchannelLogoutURI, b.BackchannelLogoutURI},
		{"frontchannel_logout_uri", a.FrontchannelLogoutURI, b.FrontchannelLogoutURI},
		{"min_acr", a.MinimumACR, b.MinimumACR},
		{"claim_profile", a.ClaimProfile, b.ClaimProfile},
		{"agency", a.Agency, b.Agency},
		{"purpose_vi", a.PurposeVI, b.PurposeVI},
		{"purpose_en", a.PurposeEN, b.PurposeEN},
		{"privacy_url_vi", a.PrivacyURLVI, b.PrivacyURLVI},
		{"privacy_url_en", a.PrivacyURLEN, b.PrivacyURLEN},
	}
	var out []fieldChange
	for _, p := range pairs {
		if p.before != p.after {
			out = append(out, p)
		}
	}
	return out
}

// allowSomewhere checks that the principal may act under perm on something
// (a listing that it then narrows to its scope): a role that allows perm,
// and the level (and freshness) Allow asks. Refusals are audited.
func (s *Service) allowSomewhere(ctx context.Context, perm Permission) error {
	p := s.principal
	if p == nil {
		return nil
	}
	for _, g := range p.Grants {
		if Role(g.Role).Allows(perm) {
			// A target in the grant's own agency: covered by the grant, so
			// that only the level and the freshness can refuse.
			return s.Allow(ctx, perm, Target{Agency: g.Agency, Citizen: Role(g.Role) == RoleHelpdesk})
		}
	}
	return s.Allow(ctx, perm, Target{})
}
