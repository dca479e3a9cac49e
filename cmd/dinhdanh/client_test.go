package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientEdit edits an application through "client edit": only the
// settings given change, the secret stays valid, bad input changes nothing.
func TestClientEdit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dinhdanh.yaml")
	if err := os.WriteFile(cfgPath, []byte("issuer: http://localhost:8080\ndata_dir: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cli := func(args ...string) (map[string]any, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		full := append([]string{args[0], args[1], "--config", cfgPath, "--json"}, args[2:]...)
		err := run(ctx, full, strings.NewReader(""), &out, &errOut)
		var m map[string]any
		if err == nil {
			if jerr := json.Unmarshal(out.Bytes(), &m); jerr != nil {
				t.Fatalf("dinhdanh %s printed %q", strings.Join(args, " "), out.String())
			}
		}
		return m, err
	}
	if _, err := cli("client", "create", "--id", "qlvb", "--name", "QLVB", "--redirect-uri", "https://qlvb.example/cb",
		"--scope", "openid", "--scope", "profile"); err != nil {
		t.Fatal(err)
	}
	got, err := cli("client", "edit", "qlvb", "--name", "Quản lý văn bản", "--scope", "openid", "--scope", "admin.read",
		"--min-acr", "LoA2")
	if err != nil {
		t.Fatal(err)
	}
	if got["name"] != "Quản lý văn bản" || got["minimum_acr"] != "LoA2" || len(got["redirect_uris"].([]any)) != 1 ||
		len(got["scopes"].([]any)) != 2 {
		t.Fatalf("client edit printed %v", got)
	}
	if _, err := cli("client", "edit", "qlvb", "--min-acr", "LoA9", "--name", ""); err == nil ||
		!strings.Contains(err.Error(), "min_acr") || !strings.Contains(err.Error(), "name") {
		t.Fatalf("bad edit: %v", err)
	}
	show, _ := cli("client", "show", "qlvb")
	if show["name"] != "Quản lý văn bản" || show["minimum_acr"] != "LoA2" {
		t.Fatalf("a refused edit changed the client: %v", show)
	}
	if _, err := cli("client", "edit", "khong-co", "--name", "x"); err == nil {
		t.Fatal("edit of an unknown client succeeded")
	}
	if _, err := cli("client", "edit", "qlvb"); err == nil {
		t.Fatal("edit with nothing to change succeeded")
	}
}
