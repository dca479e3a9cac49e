package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

func (e *cliEnv) accountCommand() *cobra.Command {
	return group("account", "manage accounts of citizens and officials",
		e.accountCreateCommand(false), e.accountCreateCommand(true), e.accountListCommand(), e.accountShowCommand(),
		e.accountLockCommand(true), e.accountLockCommand(false), e.accountSetPasswordCommand(),
		e.accountEndSessionsCommand(), e.accountResetFactorsCommand(), e.accountVerifyCommand(),
		e.accountGrantRoleCommand(), e.accountRevokeRoleCommand(), e.accountRolesCommand())
}

func (e *cliEnv) accountCreateCommand(bootstrap bool) *cobra.Command {
	c := &cobra.Command{Use: "create --kind citizen|official [options]", Short: "create an account", Args: noArgs}
	if bootstrap {
		c.Use, c.Short = "bootstrap-admin --username NAME --name FULL_NAME --agency AGENCY --password-stdin",
			"create the first administrator (once)"
	}
	fs := c.Flags()
	var spec admin.AccountSpec
	kind := fs.String("kind", "", "citizen or official")
	fs.StringVar(&spec.PersonalID, "personal-id", "", "12-digit personal ID (citizens; for an official who is also a citizen, links the two)")
	fs.StringVar(&spec.FullName, "name", "", "full name with Vietnamese diacritics, family name first")
	fs.StringVar(&spec.Birthdate, "birthdate", "", "date of birth, YYYY-MM-DD")
	fs.StringVar(&spec.Gender, "gender", "", "male or female")
	fs.StringVar(&spec.Email, "email", "", "email address")
	fs.StringVar(&spec.Phone, "phone", "", "phone number")
	fs.StringVar(&spec.Username, "username", "", "login name of an official")
	fs.StringVar(&spec.Agency, "agency", "", "agency an official belongs to")
	fs.StringVar(&spec.Department, "department", "", "department of an official")
	fs.StringVar(&spec.Title, "title", "", "job title of an official")
	fs.BoolVar(&spec.Admin, "admin", false, "make the account a super_admin (every administrative role over the whole province; see grant-role for narrower ones)")
	evidenceFlags(fs, &spec.Evidence, "proof of --personal-id (without it the ID is recorded unverified): ")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		return e.accountCreate(c.Context(), spec, *kind, *pwStdin, *asJSON, bootstrap)
	}
	return c
}

func (e *cliEnv) accountCreate(ctx context.Context, spec admin.AccountSpec, kind string, pwStdin, asJSON, bootstrap bool) error {
	spec.Kind = identity.Capacity(kind)
	if bootstrap {
		spec.Kind, spec.Admin = identity.CapacityOfficial, true
	}
	if pwStdin {
		pw, err := e.readPassword()
		if err != nil {
			return err
		}
		spec.Password = pw
	}
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	if bootstrap {
		if has, err := a.svc.HasAdmin(ctx); err != nil {
			return err
		} else if has {
			return fmt.Errorf("an administrator already exists: bootstrap is only for the first one (use 'account create --admin')")
		}
		if spec.Password == "" {
			return usageError("the first administrator needs a password: --password-stdin")
		}
	}
	acct, linked, err := a.svc.CreateAccount(ctx, spec, time.Now())
	if err != nil {
		return err
	}
	if asJSON {
		return e.printJSON(map[string]any{"sub": acct.ID, "linked": linked})
	}
	if linked {
		fmt.Fprintf(e.stdout, "added the official capacity to the existing person %s\n", acct.ID)
		return nil
	}
	fmt.Fprintf(e.stdout, "created account %s\n", acct.ID)
	if spec.Password == "" {
		fmt.Fprintln(e.stdout, "it has no password yet: set one with 'dinhdanh account set-password --password-stdin "+acct.ID+"'")
	}
	return nil
}

// evidenceFlags declares --evidence, --document, --by and --source into ev.
func evidenceFlags(fs *pflag.FlagSet, ev *admin.Evidence, prefix string) {
	fs.StringVar(&ev.Method, "evidence", "", prefix+"in-person or authoritative-source")
	fs.StringVar(&ev.Document, "document", "", "in-person: the identity document shown (cccd, passport, …)")
	fs.StringVar(&ev.By, "by", "", "in-person: the official who saw the person and the document")
	fs.StringVar(&ev.Source, "source", "", "authoritative-source: the HR or directory source held authoritative")
}

func (e *cliEnv) accountVerifyCommand() *cobra.Command {
	c := &cobra.Command{Use: "verify --personal-id ID --evidence in-person --document cccd --by OFFICIAL [ACCOUNT]",
		Short: "record the proof of a personal ID; the account that proves it gets it",
		Long: "Records that the person holds the personal ID, on the evidence given. ACCOUNT is the person's account " +
			"(subject, email, phone, username); without it, the account that holds the ID is verified. Another account " +
			"that asserted the ID without proof loses it: its sessions end and its tokens are revoked.",
		Args: cobra.MaximumNArgs(1)}
	fs := c.Flags()
	pid := fs.String("personal-id", "", "the 12-digit personal ID proven (required)")
	var ev admin.Evidence
	evidenceFlags(fs, &ev, "what proves it: ")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	c.RunE = func(c *cobra.Command, args []string) error {
		ctx := c.Context()
		if *pid == "" {
			return usageError("give the personal ID with --personal-id")
		}
		if ev.Method == "" {
			return usageError("give the evidence with --evidence in-person (and --document, --by) or --evidence authoritative-source (and --source)")
		}
		a, err := e.openAdmin(ctx, e.cfgPath)
		if err != nil {
			return err
		}
		defer a.Close()
		ref := *pid
		if len(args) == 1 {
			ref = args[0]
		}
		acct, err := e.findAccount(ctx, a, ref)
		if err != nil {
			return err
		}
		acct, displaced, err := a.svc.VerifyPersonalID(ctx, acct, *pid, ev, time.Now())
		if err != nil {
			return err
		}
		if *asJSON {
			return e.printJSON(map[string]any{"sub": acct.ID, "personal_id": string(acct.PersonalID),
				"method": string(acct.Proofing.Method), "displaced": displaced})
		}
		fmt.Fprintf(e.stdout, "personal ID %s of %s verified (%s)\n", acct.PersonalID.Masked(), acct.ID, acct.Proofing.Method)
		if displaced != "" {
			fmt.Fprintf(e.stdout, "account %s had asserted it without proof: it lost it, its sessions ended and its tokens are revoked\n", displaced)
		}
		return nil
	}
	return c
}

func (e *cliEnv) accountListCommand() *cobra.Command {
	c := &cobra.Command{Use: "list [--kind citizen|official] [--query TEXT] [--limit N] [--json]", Short: "list accounts", Args: noArgs}
	fs := c.Flags()
	kind := fs.String("kind", "", "citizen or official")
	query := fs.String("query", "", "words of a name (the last may be begun), or part of an email, phone or username; beginning of a personal ID")
	limit := fs.Int("limit", 100, "at most this many")
	offset := fs.Int("offset", 0, "skip this many")
	asJSON := fs.Bool("json", false, "print as JSON")
	c.RunE = func(c *cobra.Command, _ []string) error {
		return e.accountList(c.Context(), *kind, *query, *limit, *offset, *asJSON)
	}
	return c
}

func (e *cliEnv) accountList(ctx context.Context, kind, query string, limit, offset int, asJSON bool) error {
	if kind != "" && kind != "citizen" && kind != "official" {
		return usageError("--kind must be citizen or official")
	}
	a, err := e.openAdmin(ctx, e.cfgPath)
	if err != nil {
		return err
	}
	defer a.Close()
	as, err := a.db.ListAccounts(ctx, store.AccountFilter{Capacity: identity.Capacity(kind), Query: query, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	if asJSON {
		out := []map[string]any{}
		for _, x := range as {
			out = append(out, accountJSON(x))
		}
		return e.printJSON(out)
	}
	if len(as) == 0 {
		fmt.Fprintln(e.stdout, "no accounts")
		return nil
	}
	fmt.Fprintf(e.stdout, "%-26s %-17s %-14s %-8s %s\n", "SUBJECT", "KIND", "PERSONAL ID", "STATE", "NAME")
	for _, x := range as {
		var caps []string
		for _, c := range x.Capacities() {
			caps = append(caps, string(c))
		}
		if x.Admin {
			caps = append(caps, "admin")
		}
		state := "active"
		if x.Disabled {
			state = "locked"
		}
		pid := "-"
		if x.PersonalID != "" {
			pid = x.PersonalID.Masked()
		}
		fmt.Fprintf(e.stdout, "%-26s %-17s %-14s %-8s %s\n", x.ID, strings.Join(caps, ","), pid, state, x.FullName)
	}
	return nil
}

func accountJSON(a *identity.Account) map[string]any {
	m := map[string]any{"sub": a.ID, "name": a.FullName, "capacities": a.Capacities(), "admin": a.Admin,
		"disabled": a.Disabled, "created_at": fmtTime(a.CreatedAt)}
	if a.PersonalID != "" {
		m["personal_id"] = string(a.PersonalID)
		m["personal_id_proofing"] = proofingJSON(a.Proofing)
	}
	if a.Email != "" {
		m["email"] = a.Email
	}
	if a.Phone != "" {
		m["phone"] = a.Phone
	}
	if a.Birthdate != "" {
		m["birthdate"] = a.Birthdate
	}
	if a.Gender != "" {
		m["gender"] = a.Gender
	}
	if a.Official != nil {
		m["official"] = map[string]any{"username": a.Official.Username, "agency": a.Official.Agency,
			"department": a.Official.Department, "title": a.Official.Title, "directory": a.Official.Directory}
	}
	if a.DisabledReason != "" {
		m["disabled_reason"] = a.DisabledReason
	}
	return m
}

// proofingJSON is how "account show --json" prints the proof of a personal ID.
func proofingJSON(p identity.Proofing) map[string]any {
	if !p.Verified() {
		return map[string]any{"state": string(identity.ProofingUnverified)}
	}
	m := map[string]any{"state": string(p.State), "method": string(p.Method), "at": fmtTime(p.At)}
	for k, v := range map[string]string{"provider": p.Provider, "assurance": p.Assurance, "document": p.Document, "by": p.By} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (e *cliEnv) findAccount(ctx context.Context, a *adminEnv, ref string) (*identity.Account, error) {
	acct, err := a.svc.FindAccount(ctx, ref)
	if admin.IsNotFound(err) {
		return nil, fmt.Errorf("no account matches %q", ref)
	}
	return acct, err
}

func (e *cliEnv) accountShowCommand() *cobra.Command {
	c := &cobra.Command{Use: "show [--json] SUBJECT|PERSONAL_ID|EMAIL|PHONE|USERNAME", Short: "show an account",
		Args: oneArg("account")}
	asJSON := c.Flags().Bool("json", false, "print as JSON")
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		return e.accountShow(ctx, a, acct, *asJSON)
	})
	return c
}

func (e *cliEnv) accountShow(ctx context.Context, a *adminEnv, acct *identity.Account, asJSON bool) error {
	st, err := a.svc.Status(ctx, acct)
	if err != nil {
		return err
	}
	reps, err := a.db.Representations(ctx, acct.ID)
	if err != nil {
		return err
	}
	if asJSON {
		m := accountJSON(acct)
		m["temporarily_locked"] = st.TemporarilyLocked
		m["recent_failures"] = st.Failures
		var bs []map[string]string
		for _, r := range reps {
			bs = append(bs, map[string]string{"tax_code": string(r.TaxCode), "name": r.BusinessName, "role": string(r.Role)})
		}
		m["businesses"] = bs
		return e.printJSON(m)
	}
	fmt.Fprintf(e.stdout, "subject:      %s\nname:         %s\n", acct.ID, acct.FullName)
	var caps []string
	for _, c := range acct.Capacities() {
		caps = append(caps, string(c))
	}
	fmt.Fprintf(e.stdout, "capacities:   %s\nadmin:        %v\n", strings.Join(caps, ", "), acct.Admin)
	if acct.PersonalID != "" {
		fmt.Fprintf(e.stdout, "personal_id:  %s\nbirthdate:    %s\ngender:       %s\n", acct.PersonalID, acct.Birthdate, acct.Gender)
		if p := acct.Proofing; p.Verified() {
			fmt.Fprintf(e.stdout, "proofing:     verified (%s%s) on %s\n", p.Method, proofDetail(p), fmtTime(p.At))
		} else {
			fmt.Fprintln(e.stdout, "proofing:     unverified (asserted; prove it with 'dinhdanh account verify')")
		}
	}
	if acct.Email != "" {
		fmt.Fprintf(e.stdout, "email:        %s\n", acct.Email)
	}
	if acct.Phone != "" {
		fmt.Fprintf(e.stdout, "phone:        %s\n", acct.Phone)
	}
	if o := acct.Official; o != nil {
		fmt.Fprintf(e.stdout, "username:     %s\nagency:       %s\n", o.Username, o.Agency)
		if o.Department != "" {
			fmt.Fprintf(e.stdout, "department:   %s\n", o.Department)
		}
		if o.Title != "" {
			fmt.Fprintf(e.stdout, "title:        %s\n", o.Title)
		}
	}
	for _, r := range reps {
		fmt.Fprintf(e.stdout, "represents:   %s %s (%s)\n", r.TaxCode, r.BusinessName, r.Role)
	}
	state := "active"
	if st.Disabled {
		state = "locked by an administrator"
		if st.DisabledReason != "" {
			state += ": " + st.DisabledReason
		}
	}
	fmt.Fprintf(e.stdout, "state:        %s\n", state)
	if len(st.TemporarilyLocked) > 0 {
		fmt.Fprintf(e.stdout, "temporary lock after failed logins on: %s (lift with 'dinhdanh account unlock')\n", strings.Join(st.TemporarilyLocked, ", "))
	}
	if len(st.Failures) > 0 {
		names := make([]string, 0, len(st.Failures))
		for k := range st.Failures {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(e.stdout, "recent failed logins by %s: %d\n", k, st.Failures[k])
		}
	}
	fmt.Fprintf(e.stdout, "created:      %s\n", fmtTime(acct.CreatedAt))
	return nil
}

func (e *cliEnv) accountLockCommand(lock bool) *cobra.Command {
	c := &cobra.Command{Use: "unlock ACCOUNT", Short: "lift the administrative and temporary locks of an account",
		Args: oneArg("account")}
	var reason *string
	if lock {
		c.Use, c.Short = "lock [--reason TEXT] ACCOUNT", "lock an account: end its sessions and revoke its refresh tokens"
		reason = c.Flags().String("reason", "", "why the account is locked (shown to administrators)")
	}
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		if lock {
			if err := a.svc.Lock(ctx, acct, *reason); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "locked %s: its sessions ended and its refresh tokens are revoked\n", acct.ID)
			return nil
		}
		if err := a.svc.Unlock(ctx, acct); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "unlocked %s (administrative and temporary locks lifted)\n", acct.ID)
		return nil
	})
	return c
}

func (e *cliEnv) accountSetPasswordCommand() *cobra.Command {
	c := &cobra.Command{Use: "set-password --password-stdin ACCOUNT", Short: "set the password of an account and end its sessions",
		Args: oneArg("account")}
	pwStdin := c.Flags().Bool("password-stdin", false, "read the new password from standard input (required)")
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		if !*pwStdin {
			return usageError("give the password on standard input with --password-stdin")
		}
		pw, err := e.readPassword()
		if err != nil {
			return err
		}
		if err := a.svc.SetPassword(ctx, acct, pw); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "password set for %s; its sessions ended\n", acct.ID)
		return nil
	})
	return c
}

func (e *cliEnv) accountEndSessionsCommand() *cobra.Command {
	c := &cobra.Command{Use: "end-sessions ACCOUNT", Short: "end every session of an account", Args: oneArg("account")}
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		n, err := a.svc.EndSessions(ctx, acct.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "ended %d session(s) of %s; their applications will be notified by back-channel logout, and its refresh tokens are revoked\n", n, acct.ID)
		return nil
	})
	return c
}

func (e *cliEnv) accountResetFactorsCommand() *cobra.Command {
	c := &cobra.Command{Use: "reset-factors ACCOUNT", Short: "remove the second factors of an account and end its sessions",
		Args: oneArg("account")}
	c.RunE = e.onAccount(func(ctx context.Context, a *adminEnv, acct *identity.Account) error {
		n, err := a.svc.ResetFactors(ctx, acct)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "removed %d second factor(s) of %s and ended its sessions; it will be asked to enrol again when a second factor is needed\n", n, acct.ID)
		return nil
	})
	return c
}

// proofDetail is the evidence of p after its method, for "account show".
func proofDetail(p identity.Proofing) string {
	var parts []string
	for _, v := range []string{p.Provider, p.Assurance, p.Document} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	if p.By != "" {
		parts = append(parts, "by "+p.By)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}
