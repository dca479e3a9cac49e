package main

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func (e *cliEnv) business(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("business link|unlink|show")
	}
	switch args[0] {
	case "link":
		fs, cfgPath := e.flags("business link", "business link --tax-code MST [--name BUSINESS_NAME] --role legal_representative|authorised_staff ACCOUNT")
		taxCode := fs.String("tax-code", "", "tax code (10 digits, or branch form NNNNNNNNNN-NNN)")
		name := fs.String("name", "", "business name (creates or renames the business)")
		role := fs.String("role", "", "legal_representative or authorised_staff")
		return e.onAccount(ctx, fs, cfgPath, args[1:], func(a *adminEnv, acct *identity.Account) error {
			rep, err := a.svc.LinkRepresentative(ctx, acct, *taxCode, *name, *role)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s now represents %s %s as %s\n", acct.ID, rep.TaxCode, rep.BusinessName, rep.Role)
			return nil
		})
	case "unlink":
		fs, cfgPath := e.flags("business unlink", "business unlink --tax-code MST ACCOUNT")
		taxCode := fs.String("tax-code", "", "tax code")
		return e.onAccount(ctx, fs, cfgPath, args[1:], func(a *adminEnv, acct *identity.Account) error {
			if err := a.svc.UnlinkRepresentative(ctx, acct, *taxCode); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s no longer represents %s\n", acct.ID, *taxCode)
			return nil
		})
	case "show":
		fs, cfgPath := e.flags("business show", "business show TAX_CODE")
		if err := e.parse(fs, args[1:]); err != nil {
			return err
		}
		if err := e.oneArg(fs, "tax code"); err != nil {
			return err
		}
		tc, err := identity.ParseTaxCode(fs.Arg(0))
		if err != nil {
			return err
		}
		a, err := e.openAdmin(ctx, *cfgPath)
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
	}
	return usageError("unknown business command %q", args[0])
}
