package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func (e *cliEnv) businessCommand() *cobra.Command {
	link := &cobra.Command{Use: "link --tax-code MST [--name BUSINESS_NAME] --role legal_representative|authorised_staff ACCOUNT",
		Short: "make an account a representative of a business", Args: oneArg("account")}
	taxCode := link.Flags().String("tax-code", "", "tax code (10 digits, or branch form NNNNNNNNNN-NNN)")
	name := link.Flags().String("name", "", "business name (creates or renames the business)")
	role := link.Flags().String("role", "", "legal_representative or authorised_staff")
	link.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		rep, err := a.svc.LinkRepresentative(ctx, acct, *taxCode, *name, *role)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s now represents %s %s as %s\n", acct.ID, rep.TaxCode, rep.BusinessName, rep.Role)
		return nil
	})

	unlink := &cobra.Command{Use: "unlink --tax-code MST ACCOUNT", Short: "end an account's representation of a business",
		Args: oneArg("account")}
	unlinkTax := unlink.Flags().String("tax-code", "", "tax code")
	unlink.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		if err := a.svc.UnlinkRepresentative(ctx, acct, *unlinkTax); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s no longer represents %s\n", acct.ID, *unlinkTax)
		return nil
	})

	show := &cobra.Command{Use: "show TAX_CODE", Short: "show a business", Args: oneArg("tax code"),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			tc, err := identity.ParseTaxCode(args[0])
			if err != nil {
				return err
			}
			a, err := e.openAdmin(ctx, e.cfgPath)
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := a.db.GetBusiness(ctx, tc)
			if err != nil {
				return fmt.Errorf("no business %s", tc)
			}
			fmt.Fprintf(e.stdout, "tax_code: %s\nname:     %s\ncreated:  %s\n", b.TaxCode, b.Name, fmtTime(b.CreatedAt))
			return nil
		}}
	return group("business", "link citizens to businesses as representatives", link, unlink, show)
}
