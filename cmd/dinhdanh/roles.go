package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

func (e *cliEnv) accountGrantRoleCommand() *cobra.Command {
	c := &cobra.Command{Use: "grant-role --role ROLE [--agency AGENCY [--sub-units]] ACCOUNT",
		Short: "give an account an administrative role (super_admin, agency_admin, helpdesk, auditor)",
		Args:  oneArg("account")}
	var spec admin.GrantSpec
	fs := c.Flags()
	fs.StringVar(&spec.Role, "role", "", "super_admin, agency_admin, helpdesk or auditor")
	fs.StringVar(&spec.Agency, "agency", "", "the agency the role is held in (none for super_admin; none for an auditor of the whole province)")
	fs.BoolVar(&spec.SubUnits, "sub-units", false, "the role also covers the agency's sub-units (admin.agencies)")
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		g, err := a.svc.GrantRole(ctx, acct, spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s now holds %s\n", acct.ID, grantText(g))
		return nil
	})
	return c
}

func (e *cliEnv) accountRevokeRoleCommand() *cobra.Command {
	c := &cobra.Command{Use: "revoke-role --role ROLE [--agency AGENCY] ACCOUNT",
		Short: "take an administrative role away from an account", Args: oneArg("account")}
	role := c.Flags().String("role", "", "the role to take away")
	agency := c.Flags().String("agency", "", "the agency it is held in")
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		if err := a.svc.RevokeRole(ctx, acct, *role, *agency); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s no longer holds %s\n", acct.ID, grantText(&store.RoleGrant{Role: *role, Agency: *agency}))
		return nil
	})
	return c
}

func (e *cliEnv) accountRolesCommand() *cobra.Command {
	c := &cobra.Command{Use: "roles [--json] ACCOUNT", Short: "list the administrative roles of an account",
		Args: oneArg("account")}
	asJSON := c.Flags().Bool("json", false, "print as JSON")
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		grants, err := a.svc.RolesOf(ctx, acct)
		if err != nil {
			return err
		}
		if *asJSON {
			out := []map[string]any{}
			for _, g := range grants {
				out = append(out, map[string]any{"role": g.Role, "agency": g.Agency, "sub_units": g.SubUnits,
					"granted_by": g.GrantedBy, "granted_at": g.GrantedAt})
			}
			return e.printJSON(out)
		}
		if len(grants) == 0 {
			fmt.Fprintf(e.stdout, "%s holds no administrative role\n", acct.ID)
		}
		for _, g := range grants {
			fmt.Fprintf(e.stdout, "%s (granted by %s on %s)\n", grantText(g), g.GrantedBy, fmtTime(g.GrantedAt))
		}
		return nil
	})
	return c
}

// grantText names a grant: "helpdesk in Sở Tư pháp (and its sub-units)".
func grantText(g *store.RoleGrant) string {
	switch {
	case g.Agency == "":
		return g.Role + " over the whole province"
	case g.SubUnits:
		return g.Role + " in " + g.Agency + " and its sub-units"
	}
	return g.Role + " in " + g.Agency
}
