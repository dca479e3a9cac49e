package ui

import (
	"io/fs"
	"strings"
	"testing"
)

// TestSigningAssetsAreCSPSafe holds the signing adapters to the rules of
// app.js: nothing a Content Security Policy without 'unsafe-inline' and
// 'unsafe-eval' would block, and no markup built from strings.
func TestSigningAssetsAreCSPSafe(t *testing.T) {
	names, err := fs.Glob(content, "assets/signing/*.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"adapters.js", "vgca.js", "signing.js"} {
		found := false
		for _, n := range names {
			found = found || strings.HasSuffix(n, "/"+want)
		}
		if !found {
			t.Errorf("assets/signing/%s is missing", want)
		}
	}
	for _, name := range names {
		js := string(readEmbedded(t, name))
		for _, bad := range []string{"eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML",
			"setAttribute(\"style", ".style.", "document.write", "setTimeout(\"", "setTimeout('"} {
			if strings.Contains(js, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		if !strings.Contains(js, `"use strict"`) {
			t.Errorf("%s is not strict", name)
		}
	}
}
