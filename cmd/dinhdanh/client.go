package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/store"
)

func (e *cliEnv) clientCommand() *cobra.Command {
	return group("client", "register and manage applications",
		e.clientCreateCommand(), e.clientListCommand(), e.clientShowCommand(), e.clientDeleteCommand(), e.clientRotateCommand(), e.clientEditCommand())
}

func (e *cliEnv) clientCreateCommand() *cobra.Command {
	c := &cobra.Command{Use: "create --name NAME [--id ID] [--public] [--redirect-uri URI]… [options]",
		Short: "register an application", Args: noArgs}
	fs := c.Flags()
	var spec admin.ClientSpec
	var redirects, grants, scopes, audience stringList
	fs.StringVar(&spec.ID, "id", "", "client id (default: generated)")
	fs.StringVar(&spec.Name, "name", "", "name shown to people on the login and consent pages (required)")
	fs.BoolVar(&spec.Public, "public", false, "public client (browser or mobile app): no secret, PKCE S256 required")
	fs.BoolVar(&spec.FirstParty, "first-party", false, "one of the province's own systems: no consent page")
	fs.Var(&redirects, "redirect-uri", "redirect URI, matched exactly (repeatable)")
	fs.Var(&grants, "grant", "grant type: authorization_code, refresh_token, client_credentials (repeatable; default authorization_code,refresh_token)")
	fs.Var(&scopes, "scope", "scope the client may request (repeatable; default openid,profile,email,phone)")
	fs.Var(&audience, "audience", "audience the client may request for access tokens (repeatable)")
	fs.StringVar(&spec.IDTokenAlgorithm, "id-token-alg", "RS256", "ID-token signing algorithm: RS256, ES256 or EdDSA")
	fs.StringVar(&spec.AccessTokenFormat, "access-token-format", "jwt", "access tokens: jwt (verified locally by resource servers) or opaque (introspected)")
	fs.StringVar(&spec.TokenEndpointAuthMethod, "auth-method", "", "client_secret_basic (default) or client_secret_post")
	var postLogout stringList
	fs.Var(&postLogout, "post-logout-redirect-uri", "where RP-initiated logout may return the browser, matched exactly (repeatable)")
	fs.StringVar(&spec.BackchannelLogoutURI, "backchannel-logout-uri", "", "URI that receives logout tokens when a session the client used ends")
	fs.StringVar(&spec.FrontchannelLogoutURI, "frontchannel-logout-uri", "", "URI loaded in a frame of the logout page (with iss and sid)")
	fs.StringVar(&spec.MinimumACR, "min-acr", "", "lowest assurance level of a login for this client: LoA1, LoA2 (second factor) or LoA3")
	fs.StringVar(&spec.ClaimProfile, "claim-profile", "", "claim names besides the standard ones: standard (default) or dvcqg (the national public-service portal's SoDinhDanh, HoVaTen, …)")
	fs.StringVar(&spec.Agency, "agency", "", "the agency that owns the application, whose agency_admin manages it (none: a province-wide application)")
	fs.StringVar(&spec.PurposeVI, "purpose-vi", "", "why the application processes personal data, in Vietnamese (shown on the consent page)")
	fs.StringVar(&spec.PurposeEN, "purpose-en", "", "the same purpose in English")
	fs.StringVar(&spec.PrivacyURLVI, "privacy-url-vi", "", "the application's privacy notice in Vietnamese (https URL, linked from the consent page)")
	fs.StringVar(&spec.PrivacyURLEN, "privacy-url-en", "", "the application's privacy notice in English (https URL)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		spec.RedirectURIs, spec.GrantTypes, spec.Scopes, spec.Audience = redirects, grants, scopes, audience
		spec.PostLogoutRedirectURIs = postLogout
		return e.clientCreate(c.Context(), spec, *asJSON)
	}
	return c
}

func (e *cliEnv) clientCreate(ctx context.Context, spec admin.ClientSpec, asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	c, secret, err := a.svc.CreateClient(ctx, spec)
	if err != nil {
		return err
	}
	if asJSON {
		out := clientJSON(c)
		if secret != "" {
			out["client_secret"] = secret
		}
		return e.printJSON(out)
	}
	e.printClient(c)
	if secret != "" {
		fmt.Fprintf(e.stdout, "client_secret:        %s\n\nThe secret is shown only now: store it in the application's configuration.\n", secret)
	}
	return nil
}

func clientJSON(c *store.Client) map[string]any {
	return map[string]any{
		"client_id": c.ID, "name": c.Name, "public": c.Public, "first_party": c.FirstParty,
		"redirect_uris": c.RedirectURIs, "grant_types": c.GrantTypes, "scopes": c.Scopes, "audience": c.Audience,
		"id_token_signed_response_alg": c.IDTokenAlgorithm, "access_token_format": c.AccessTokenFormat,
		"token_endpoint_auth_method": c.AuthMethod(), "created_at": fmtTime(c.CreatedAt),
		"post_logout_redirect_uris": c.PostLogoutRedirectURIs, "backchannel_logout_uri": c.BackchannelLogoutURI,
		"frontchannel_logout_uri": c.FrontchannelLogoutURI, "minimum_acr": c.MinimumACR,
		"claim_profile": c.ClaimProfile, "agency": c.Agency,
		"purpose_vi": c.PurposeVI, "purpose_en": c.PurposeEN, "privacy_url_vi": c.PrivacyURLVI, "privacy_url_en": c.PrivacyURLEN,
	}
}

func (e *cliEnv) printClient(c *store.Client) {
	kind := "confidential"
	if c.Public {
		kind = "public"
	}
	fmt.Fprintf(e.stdout, "client_id:            %s\nname:                 %s\ntype:                 %s\nfirst_party:          %v\n",
		c.ID, c.Name, kind, c.FirstParty)
	fmt.Fprintf(e.stdout, "redirect_uris:        %s\ngrant_types:          %s\nscopes:               %s\n",
		strings.Join(c.RedirectURIs, " "), strings.Join(c.GrantTypes, " "), strings.Join(c.Scopes, " "))
	if len(c.PostLogoutRedirectURIs) > 0 {
		fmt.Fprintf(e.stdout, "post_logout_uris:     %s\n", strings.Join(c.PostLogoutRedirectURIs, " "))
	}
	if c.BackchannelLogoutURI != "" {
		fmt.Fprintf(e.stdout, "backchannel_logout:   %s\n", c.BackchannelLogoutURI)
	}
	if c.FrontchannelLogoutURI != "" {
		fmt.Fprintf(e.stdout, "frontchannel_logout:  %s\n", c.FrontchannelLogoutURI)
	}
	if len(c.Audience) > 0 {
		fmt.Fprintf(e.stdout, "audience:             %s\n", strings.Join(c.Audience, " "))
	}
	if c.MinimumACR != "" {
		fmt.Fprintf(e.stdout, "minimum_acr:          %s\n", c.MinimumACR)
	}
	if c.ClaimProfile != "" {
		fmt.Fprintf(e.stdout, "claim_profile:        %s\n", c.ClaimProfile)
	}
	if c.Agency != "" {
		fmt.Fprintf(e.stdout, "agency:               %s\n", c.Agency)
	}
	for _, f := range []struct{ name, value string }{{"purpose_vi:           ", c.PurposeVI}, {"purpose_en:           ", c.PurposeEN},
		{"privacy_url_vi:       ", c.PrivacyURLVI}, {"privacy_url_en:       ", c.PrivacyURLEN}} {
		if f.value != "" {
			fmt.Fprintf(e.stdout, "%s%s\n", f.name, f.value)
		}
	}
	fmt.Fprintf(e.stdout, "id_token_alg:         %s\naccess_token_format:  %s\nauth_method:          %s\ncreated_at:           %s\n",
		c.IDTokenAlgorithm, c.AccessTokenFormat, c.AuthMethod(), fmtTime(c.CreatedAt))
}

func (e *cliEnv) clientListCommand() *cobra.Command {
	c := &cobra.Command{Use: "list [--json]", Short: "list the registered applications", Args: noArgs}
	asJSON := c.Flags().Bool("json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error { return e.clientList(c.Context(), *asJSON) }
	return c
}

func (e *cliEnv) clientList(ctx context.Context, asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	cs, err := a.db.ListClients(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := []map[string]any{}
		for _, c := range cs {
			out = append(out, clientJSON(c))
		}
		return e.printJSON(out)
	}
	if len(cs) == 0 {
		fmt.Fprintln(e.stdout, "no clients")
		return nil
	}
	fmt.Fprintf(e.stdout, "%-24s %-12s %-6s %s\n", "CLIENT ID", "TYPE", "1ST", "NAME")
	for _, c := range cs {
		kind := "confidential"
		if c.Public {
			kind = "public"
		}
		fmt.Fprintf(e.stdout, "%-24s %-12s %-6v %s\n", c.ID, kind, c.FirstParty, c.Name)
	}
	return nil
}

func (e *cliEnv) clientShowCommand() *cobra.Command {
	c := &cobra.Command{Use: "show [--json] CLIENT_ID", Short: "show an application", Args: oneArg("client id")}
	asJSON := c.Flags().Bool("json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, args []string) error { return e.clientShow(c.Context(), args[0], *asJSON) }
	return c
}

func (e *cliEnv) clientShow(ctx context.Context, id string, asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.db.GetClient(ctx, id)
	if admin.IsNotFound(err) {
		return fmt.Errorf("no client %q", id)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return e.printJSON(clientJSON(c))
	}
	e.printClient(c)
	return nil
}

func (e *cliEnv) clientDeleteCommand() *cobra.Command {
	return &cobra.Command{Use: "delete CLIENT_ID", Short: "delete an application with its consents and tokens",
		Args: oneArg("client id"), RunE: func(c *cobra.Command, args []string) error {
			ctx, id := c.Context(), args[0]
			a, err := e.openAdmin(ctx, e.cfgPath)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.svc.DeleteClient(ctx, id); admin.IsNotFound(err) {
				return fmt.Errorf("no client %q", id)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "deleted client %s with its consents and tokens\n", id)
			return nil
		}}
}

func (e *cliEnv) clientRotateCommand() *cobra.Command {
	c := &cobra.Command{Use: "rotate-secret [--json] CLIENT_ID", Short: "replace the secret of a confidential application",
		Args: oneArg("client id")}
	asJSON := c.Flags().Bool("json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, args []string) error { return e.clientRotate(c.Context(), args[0], *asJSON) }
	return c
}

func (e *cliEnv) clientRotate(ctx context.Context, id string, asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	secret, err := a.svc.RotateSecret(ctx, id)
	if admin.IsNotFound(err) {
		return fmt.Errorf("no client %q", id)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return e.printJSON(map[string]string{"client_id": id, "client_secret": secret})
	}
	fmt.Fprintf(e.stdout, "client_secret: %s\n\nThe new secret is shown only now; running nodes stop accepting the old one within seconds.\n", secret)
	return nil
}

func (e *cliEnv) clientEditCommand() *cobra.Command {
	c := &cobra.Command{Use: "edit CLIENT_ID [options]", Short: "change the settings of an application (its secret stays)",
		Long: "Edit changes only the settings given; a repeatable option given once or more replaces the whole list\n" +
			"(--redirect-uri '' empties it). The options are those of \"client create\", except --id and --public.",
		Args: oneArg("client id")}
	fs := c.Flags()
	var name, idAlg, atFormat, authMethod, backchannel, frontchannel, minACR, profile, agency string
	var firstParty bool
	var redirects, grants, scopes, audience, postLogout stringList
	fs.StringVar(&name, "name", "", "name shown to people on the login and consent pages")
	fs.BoolVar(&firstParty, "first-party", false, "one of the province's own systems: no consent page (--first-party=false to ask consent)")
	fs.Var(&redirects, "redirect-uri", "redirect URI, matched exactly (repeatable: replaces the list)")
	fs.Var(&grants, "grant", "grant type: authorization_code, refresh_token, client_credentials (repeatable: replaces the list)")
	fs.Var(&scopes, "scope", "scope the client may request (repeatable: replaces the list)")
	fs.Var(&audience, "audience", "audience the client may request for access tokens (repeatable: replaces the list)")
	fs.StringVar(&idAlg, "id-token-alg", "", "ID-token signing algorithm: RS256, ES256 or EdDSA")
	fs.StringVar(&atFormat, "access-token-format", "", "access tokens: jwt or opaque")
	fs.StringVar(&authMethod, "auth-method", "", "client_secret_basic or client_secret_post")
	fs.Var(&postLogout, "post-logout-redirect-uri", "where RP-initiated logout may return the browser (repeatable: replaces the list)")
	fs.StringVar(&backchannel, "backchannel-logout-uri", "", "URI that receives logout tokens ('' removes it)")
	fs.StringVar(&frontchannel, "frontchannel-logout-uri", "", "URI loaded in a frame of the logout page ('' removes it)")
	fs.StringVar(&minACR, "min-acr", "", "lowest assurance level of a login for this client: LoA1, LoA2 or LoA3 ('' for none)")
	fs.StringVar(&profile, "claim-profile", "", "claim names besides the standard ones: standard or dvcqg")
	fs.StringVar(&agency, "agency", "", "the agency that owns the application ('' : province-wide)")
	var purposeVI, purposeEN, privacyVI, privacyEN string
	fs.StringVar(&purposeVI, "purpose-vi", "", "why the application asks for personal data, in Vietnamese (shown on the consent page)")
	fs.StringVar(&purposeEN, "purpose-en", "", "the same in English")
	fs.StringVar(&privacyVI, "privacy-url-vi", "", "the application's privacy notice in Vietnamese (https)")
	fs.StringVar(&privacyEN, "privacy-url-en", "", "the same in English")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		list := func(l stringList) []string {
			var out []string
			for _, x := range l {
				if x != "" {
					out = append(out, x)
				}
			}
			return out
		}
		changed := 0
		for _, f := range []string{"name", "first-party", "redirect-uri", "grant", "scope", "audience", "id-token-alg",
			"access-token-format", "auth-method", "post-logout-redirect-uri", "backchannel-logout-uri",
			"frontchannel-logout-uri", "min-acr", "claim-profile", "agency", "purpose-vi", "purpose-en",
			"privacy-url-vi", "privacy-url-en"} {
			if fs.Changed(f) {
				changed++
			}
		}
		if changed == 0 {
			return usageError("client edit: give at least one setting to change")
		}
		change := func(s *admin.ClientSpec) {
			set := func(flag string, apply func()) {
				if fs.Changed(flag) {
					apply()
				}
			}
			set("name", func() { s.Name = name })
			set("first-party", func() { s.FirstParty = firstParty })
			set("redirect-uri", func() { s.RedirectURIs = list(redirects) })
			set("grant", func() { s.GrantTypes = list(grants) })
			set("scope", func() { s.Scopes = list(scopes) })
			set("audience", func() { s.Audience = list(audience) })
			set("id-token-alg", func() { s.IDTokenAlgorithm = idAlg })
			set("access-token-format", func() { s.AccessTokenFormat = atFormat })
			set("auth-method", func() { s.TokenEndpointAuthMethod = authMethod })
			set("post-logout-redirect-uri", func() { s.PostLogoutRedirectURIs = list(postLogout) })
			set("backchannel-logout-uri", func() { s.BackchannelLogoutURI = backchannel })
			set("frontchannel-logout-uri", func() { s.FrontchannelLogoutURI = frontchannel })
			set("min-acr", func() { s.MinimumACR = minACR })
			set("claim-profile", func() { s.ClaimProfile = profile })
			set("agency", func() { s.Agency = agency })
			set("purpose-vi", func() { s.PurposeVI = purposeVI })
			set("purpose-en", func() { s.PurposeEN = purposeEN })
			set("privacy-url-vi", func() { s.PrivacyURLVI = privacyVI })
			set("privacy-url-en", func() { s.PrivacyURLEN = privacyEN })
		}
		return e.clientEdit(c.Context(), args[0], change, *asJSON)
	}
	return c
}

// clientEdit applies change through the service's PatchClient, as the
// admin API's PATCH does.
func (e *cliEnv) clientEdit(ctx context.Context, id string, change func(*admin.ClientSpec), asJSON bool) error {
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.svc.PatchClient(ctx, id, change)
	if admin.IsNotFound(err) {
		return fmt.Errorf("no client %q", id)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return e.printJSON(clientJSON(c))
	}
	e.printClient(c)
	return nil
}
