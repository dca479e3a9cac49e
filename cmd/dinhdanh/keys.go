package main

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/keys"
)

func (e *cliEnv) keysCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("keys list|rotate")
	}
	fs, cfgPath := e.flags("keys "+args[0], "keys list | keys rotate [--alg RS256|ES256|EdDSA]")
	alg := fs.String("alg", "", "algorithm to rotate (default: every algorithm in use)")
	if err := e.parse(fs, args[1:]); err != nil {
		return err
	}
	// Like a first start, "keys" writes the seal key when there is none.
	a, err := e.open(ctx, *cfgPath, app.OpenOptions{CreateSealKey: true})
	if err != nil {
		return err
	}
	defer a.Close()
	set := a.app.Keys
	switch args[0] {
	case "list":
		fmt.Fprintf(e.stdout, "%-32s %-6s %-8s %-20s %s\n", "KID", "ALG", "STATE", "CREATED", "RETIRED")
		for _, k := range set.Keys() {
			state := "current"
			if !k.RetiredAt.IsZero() {
				state = "retired"
			}
			fmt.Fprintf(e.stdout, "%-32s %-6s %-8s %-20s %s\n", k.ID, k.Algorithm, state, fmtTime(k.CreatedAt), fmtTime(k.RetiredAt))
		}
		return nil
	case "rotate":
		algs := []string{}
		if *alg != "" {
			if !keys.Supported(*alg) {
				return usageError("--alg must be RS256, ES256 or EdDSA")
			}
			algs = append(algs, *alg)
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
	return usageError("unknown keys command %q", args[0])
}
