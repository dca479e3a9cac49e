package login

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStepsNeverImportEachOther: a step hands its flow back to the
// dispatcher; it never reaches into another step. Steps may import the
// shared package flow only.
func TestStepsNeverImportEachOther(t *testing.T) {
	const module = "github.com/dinhdanh/dinhdanh/server/login/"
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "flow" || e.Name() == "testdata" {
			continue
		}
		steps++
		if _, err := os.Stat(filepath.Join(e.Name(), "doc.go")); err != nil {
			t.Errorf("step %s has no doc.go", e.Name())
		}
		files, err := filepath.Glob(filepath.Join(e.Name(), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range file.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if rest, ok := strings.CutPrefix(path, module); ok && rest != "flow" {
					t.Errorf("%s imports the step %s", f, rest)
				}
			}
		}
	}
	if steps < 9 {
		t.Errorf("found %d step packages, want the nine steps", steps)
	}
}
