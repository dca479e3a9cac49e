package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/dinhdanh/dinhdanh/server/app"
)

// helpEnv is a real data directory: a node started once (database, seal
// key, signing keys), an administrator and a confidential client, so that every command run by mistake would find something to change.
type helpEnv struct {
	cfgPath, dataDir, listen string
	account, clientID        string
}

func newHelpEnv(t *testing.T) *helpEnv {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	h := &helpEnv{cfgPath: filepath.Join(dir, "dinhdanh.yaml"), dataDir: filepath.Join(dir, "data"), listen: listen}
	text := "issuer: http://" + listen + "\nlisten: " + listen + "\ndata_dir: " + h.dataDir + "\n"
	if err := os.WriteFile(h.cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", h.cfgPath)
	cfg, err := loadConfig(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := app.OpenStore(t.Context(), cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	node, err := app.New(t.Context(), cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	node.Close()
	db.Close()
	cli := func(stdin string, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(t.Context(), args, strings.NewReader(stdin), &out, &errOut); err != nil {
			t.Fatalf("dinhdanh %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String()
	}
	var acct struct{ Sub string }
	if err := json.Unmarshal([]byte(cli("mật-khẩu-dài-đủ-mạnh\n", "account", "create", "--kind", "official", "--username", "tt.an",
		"--name", "Trần Thị An", "--agency", "Sở Nội vụ", "--admin", "--password-stdin", "--json")), &acct); err != nil {
		t.Fatal(err)
	}
	h.account, h.clientID = "tt.an", "portal"
	cli("", "client", "create", "--id", h.clientID, "--name", "Cổng", "--redirect-uri", "https://portal.example/cb")
	return h
}

// snapshot returns the SHA-256 of every file of the data directory.
func (h *helpEnv) snapshot(t *testing.T) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(h.dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 2 {
		t.Fatalf("the data directory holds %d files, want the database and the seal key at least", len(out))
	}
	return out
}

// argsFor returns positional arguments that name real things of the data
// directory, as a person who meant to run the command would give them.
func (h *helpEnv) argsFor(c *cobra.Command) []string {
	use := c.Use
	switch {
	case strings.Contains(use, "ACCOUNT"), strings.Contains(use, "SUBJECT"):
		return []string{h.account}
	case strings.Contains(use, "CLIENT_ID"):
		return []string{h.clientID}
	case strings.Contains(use, "TAX_CODE"):
		return []string{"0101234567"}
	case strings.Contains(use, "NAME") && c.Parent() != nil && c.Parent().Name() == "directory":
		return []string{"so-noi-vu"}
	}
	return nil
}

// runHelp runs args and reports its output, its error and whether the
// configured address accepted a connection while it ran. A command that
// has not returned after a few seconds is stopped and reported.
func (h *helpEnv) runHelp(t *testing.T, stdin string, args []string) (stdout string, err error, listened, finished bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, strings.NewReader(stdin), &out, &errOut) }()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-done:
			return out.String(), err, listened || dialable(h.listen), true
		case <-deadline:
			cancel()
			err := <-done
			return out.String(), err, listened, false
		case <-time.After(20 * time.Millisecond):
			if dialable(h.listen) {
				listened = true
			}
		}
	}
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// TestHelpDoesNothing runs every command of the tree with --help (before
// and after the arguments a real use would give) against a real data
// directory: each prints its help, exits 0, changes no file of the data
// directory (database, seal key) and listens on nothing.
func TestHelpDoesNothing(t *testing.T) {
	h := newHelpEnv(t)
	before := h.snapshot(t)

	root := (&cliEnv{}).rootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		cmds = append(cmds, c)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	if len(cmds) < 30 {
		t.Fatalf("the command tree has %d commands, want every command and subcommand", len(cmds))
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		seen[strings.Join(path, " ")] = true
		pos := h.argsFor(c)
		for _, args := range [][]string{
			append(append(append([]string{}, path...), "--help"), pos...),
			append(append(append([]string{}, path...), pos...), "--help"),
			append(append(append([]string{}, path...), "-h"), pos...),
		} {
			out, err, listened, finished := h.runHelp(t, "mật-khẩu-mới-dài-đủ\n", args)
			name := "dinhdanh " + strings.Join(args, " ")
			switch {
			case !finished:
				t.Errorf("%s: still running after 5 s", name)
			case err != nil:
				t.Errorf("%s: %v", name, err)
			case !strings.Contains(out, "Usage:") || !strings.Contains(out, c.UseLine()):
				t.Errorf("%s printed no help:\n%s", name, out)
			}
			if listened {
				t.Errorf("%s listened on %s", name, h.listen)
			}
			if after := h.snapshot(t); !sameFiles(before, after) {
				t.Fatalf("%s changed the data directory", name)
			}
		}
	}
	for _, want := range []string{"serve", "keys rotate", "keys rotate-seal", "account lock", "client rotate-secret",
		"migrate", "directory sync", "completion bash"} {
		if !seen[want] {
			t.Errorf("the command tree has no %q", want)
		}
	}
}

func sameFiles(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestUsageErrors checks that a wrong command line exits with code 2 and
// a short message, and changes nothing.
func TestUsageErrors(t *testing.T) {
	t.Setenv("DINHDANH_CONFIG", "")
	for _, args := range [][]string{
		{}, {"bogus"}, {"account"}, {"account", "bogus"}, {"account", "lock"}, {"account", "lock", "a", "b"},
		{"account", "lock", "--bogus", "x"}, {"keys", "rotate", "--alg", "HS256"}, {"serve", "extra"},
		{"client", "show"}, {"directory", "sync"}, {"logout", "deliveries", "--state", "lost"},
	} {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append(args, "--config", filepath.Join(t.TempDir(), "none.yaml")), strings.NewReader(""), &out, &errOut)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("dinhdanh %s: %v, want a usage error (exit 2)", strings.Join(args, " "), err)
			continue
		}
		if msg := ee.Error(); msg == "" || strings.Count(msg, "\n") > 0 {
			t.Errorf("dinhdanh %s: message %q, want one short line", strings.Join(args, " "), msg)
		}
	}
}
