package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/store"
)

func (e *cliEnv) client(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("client create|list|show|delete|rotate-secret")
	}
	switch args[0] {
	case "create":
		return e.clientCreate(ctx, args[1:])
	case "list":
		return e.clientList(ctx, args[1:])
	case "show":
		return e.clientShow(ctx, args[1:])
	case "delete":
		return e.clientDelete(ctx, args[1:])
	case "rotate-secret":
		return e.clientRotate(ctx, args[1:])
	}
	return usageError("unknown client command %q", args[0])
}

func (e *cliEnv) clientCreate(ctx context.Context, args []string) error {
	fs, cfgPath := e.flags("client create", "client create --name NAME [--id ID] [--public] [--redirect-uri URI]… [options]")
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
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	spec.RedirectURIs, spec.GrantTypes, spec.Scopes, spec.Audience = redirects, grants, scopes, audience
	spec.PostLogoutRedirectURIs = postLogout
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	c, secret, err := a.svc.CreateClient(ctx, spec)
	if err != nil {
		return err
	}
	if *asJSON {
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
	fmt.Fprintf(e.stdout, "id_token_alg:         %s\naccess_token_format:  %s\nauth_method:          %s\ncreated_at:           %s\n",
		c.IDTokenAlgorithm, c.AccessTokenFormat, c.AuthMethod(), fmtTime(c.CreatedAt))
}

func (e *cliEnv) oneArg(fs interface{ NArg() int }, what string) error {
	if fs.NArg() != 1 {
		return usageError("give exactly one %s", what)
	}
	return nil
}

func (e *cliEnv) clientList(ctx context.Context, args []string) error {
	fs, cfgPath := e.flags("client list", "client list [--json]")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	cs, err := a.db.ListClients(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
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

func (e *cliEnv) clientShow(ctx context.Context, args []string) error {
	fs, cfgPath := e.flags("client show", "client show [--json] CLIENT_ID")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.oneArg(fs, "client id"); err != nil {
		return err
	}
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.db.GetClient(ctx, fs.Arg(0))
	if admin.IsNotFound(err) {
		return fmt.Errorf("no client %q", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(clientJSON(c))
	}
	e.printClient(c)
	return nil
}

func (e *cliEnv) clientDelete(ctx context.Context, args []string) error {
	fs, cfgPath := e.flags("client delete", "client delete CLIENT_ID")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.oneArg(fs, "client id"); err != nil {
		return err
	}
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.svc.DeleteClient(ctx, fs.Arg(0)); admin.IsNotFound(err) {
		return fmt.Errorf("no client %q", fs.Arg(0))
	} else if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deleted client %s with its consents and tokens\n", fs.Arg(0))
	return nil
}

func (e *cliEnv) clientRotate(ctx context.Context, args []string) error {
	fs, cfgPath := e.flags("client rotate-secret", "client rotate-secret [--json] CLIENT_ID")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.oneArg(fs, "client id"); err != nil {
		return err
	}
	a, err := e.openAdmin(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	secret, err := a.svc.RotateSecret(ctx, fs.Arg(0))
	if admin.IsNotFound(err) {
		return fmt.Errorf("no client %q", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return e.printJSON(map[string]string{"client_id": fs.Arg(0), "client_secret": secret})
	}
	fmt.Fprintf(e.stdout, "client_secret: %s\n\nThe new secret is shown only now; running nodes stop accepting the old one within seconds.\n", secret)
	return nil
}
