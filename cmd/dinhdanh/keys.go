package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/keys"
)

func (e *cliEnv) keysCommand() *cobra.Command {
	list := &cobra.Command{Use: "list", Short: "list the signing keys", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return e.keysList(c.Context()) }}
	rotate := &cobra.Command{Use: "rotate [--alg RS256|ES256|EdDSA]", Short: "rotate the signing keys", Args: noArgs}
	alg := rotate.Flags().String("alg", "", "algorithm to rotate (default: every algorithm in use)")
	rotate.RunE = func(c *cobra.Command, _ []string) error { return e.keysRotate(c.Context(), *alg) }
	return group("keys", "list and rotate signing keys", list, rotate)
}

// openKeys opens the services for a keys command. Like a first start, it
// writes the seal key when there is none.
func (e *cliEnv) openKeys(ctx context.Context) (*adminEnv, error) {
	return e.open(ctx, e.cfgPath, app.OpenOptions{CreateSealKey: true})
}

func (e *cliEnv) keysList(ctx context.Context) error {
	a, err := e.openKeys(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(e.stdout, "%-32s %-6s %-8s %-20s %s\n", "KID", "ALG", "STATE", "CREATED", "RETIRED")
	for _, k := range a.app.Keys.Keys() {
		state := "current"
		if !k.RetiredAt.IsZero() {
			state = "retired"
		}
		fmt.Fprintf(e.stdout, "%-32s %-6s %-8s %-20s %s\n", k.ID, k.Algorithm, state, fmtTime(k.CreatedAt), fmtTime(k.RetiredAt))
	}
	return nil
}

func (e *cliEnv) keysRotate(ctx context.Context, alg string) error {
	if alg != "" && !keys.Supported(alg) {
		return usageError("--alg must be RS256, ES256 or EdDSA")
	}
	a, err := e.openKeys(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	set := a.app.Keys
	algs := []string{}
	if alg != "" {
		algs = append(algs, alg)
	} else {
		for _, a := range keys.Algorithms {
			if set.Current(a) != nil {
				algs = append(algs, a)
			}
		}
	}
	for _, al := range algs {
		k, err := set.Rotate(ctx, al)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "new %s key %s; the previous one stays published for %s so tokens it signed still verify\n",
			al, k.ID, app.KeyGrace(a.cfg))
	}
	fmt.Fprintf(e.stdout, "running nodes pick up the new keys within %s\n", a.cfg.Keys.RotationCheckInterval.D())
	return nil
}
