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
	rotate := &cobra.Command{Use: "rotate [--alg RS256|ES256|EdDSA]", Short: "rotate the signing keys",
		Long: "Rotate adds a new signing key per algorithm. It is published in the JWKS at once and starts signing\n" +
			"when the JWKS max-age plus keys.rotation_check_interval has passed; the previous key stops signing\n" +
			"then and stays published until every token it signed has expired.", Args: noArgs}
	alg := rotate.Flags().String("alg", "", "algorithm to rotate (default: every algorithm in use)")
	rotate.RunE = func(c *cobra.Command, _ []string) error { return e.keysRotate(c.Context(), *alg) }
	rotateSeal := &cobra.Command{Use: "rotate-seal", Short: "replace the seal key and seal every secret again under the new key",
		Long: "rotate-seal writes a new seal key next to the current one (<seal key file>.next), seals the private\n" +
			"signing keys and the authenticator-app secrets again under it in one transaction, then keeps the old key\n" +
			"as <seal key file>.retired-<key id> and puts the new key in the seal key file. Interrupted, it is run\n" +
			"again. Restart the nodes afterwards, with the new key file on each.", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return e.keysRotateSeal(c.Context()) }}
	return group("keys", "list and rotate signing keys and the seal key", list, rotate, rotateSeal)
}

func (e *cliEnv) keysRotateSeal(ctx context.Context) error {
	cfg, err := loadConfig(e.cfgPath)
	if err != nil {
		return err
	}
	r, err := app.RotateSealKey(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sealed %d value(s) again under the new seal key %s (was %s)\n", r.Resealed, r.NewID, r.OldID)
	fmt.Fprintf(e.stdout, "the old key is in %s: no node reads it; keep it with the backups made before now, away from the server\n", r.Retired)
	fmt.Fprintf(e.stdout, "restart every node (copy %s to each node that has its own copy first)\n", cfg.SealKeyPath())
	return nil
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
	set := a.app.Keys
	fmt.Fprintf(e.stdout, "%-32s %-6s %-8s %-20s %s\n", "KID", "ALG", "STATE", "CREATED", "RETIRED")
	for _, k := range set.Keys() {
		state := set.State(k)
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
		fmt.Fprintf(e.stdout, "new %s key %s: published now, it signs from %s; the previous one stays published for %s after that so tokens it signed still verify\n",
			al, k.ID, fmtTime(k.CreatedAt.Add(set.PublicationDelay())), app.KeyGrace(a.cfg))
	}
	fmt.Fprintf(e.stdout, "running nodes publish the new keys within %s and switch to them by themselves when the publication delay (%s) has passed\n",
		a.cfg.Keys.RotationCheckInterval.D(), set.PublicationDelay())
	return nil
}
