package store_test

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// guarded are the packages of the persistence contracts, as folders of the
// module: they and everything of the module they import, directly or not,
// stay below the protocol library and the application.
var guarded = []string{"store", "store/sqlstore", "store/redisstore", "store/conformance"}

// groundFloor is the one folder of server/ that the contracts may import; it
// imports nothing of the module.
const groundFloor = "server/identity"

// TestContractImports fails when a contract package, its tests, or a package
// of the module that they import (transitively) imports fosite, go-jose, or
// a package of server/ other than server/identity; and when server/identity
// (its tests aside) imports anything of the module. Imports are read from the Go files
// themselves (every file, whatever its build constraints).
func TestContractImports(t *testing.T) {
	root, module := moduleRoot(t)
	for _, dir := range guarded {
		for _, v := range importViolations(t, root, module, dir) {
			t.Errorf("%s must not depend on the protocol library or the application: %s", dir, v)
		}
	}
	files, imports := moduleImports(t, root, module, groundFloor, false)
	if files == 0 {
		t.Fatalf("%s has no Go files", groundFloor)
	}
	for _, imp := range imports {
		t.Errorf("%s is the ground floor and imports nothing of the module, but imports %s", groundFloor, imp)
	}
}

// TestContractImportsCheck shows that the check can fail: the provider,
// which composes fosite, is reported.
func TestContractImportsCheck(t *testing.T) {
	root, module := moduleRoot(t)
	v := importViolations(t, root, module, "server/oauth")
	if !slices.ContainsFunc(v, func(s string) bool { return strings.HasSuffix(s, "imports github.com/ory/fosite") }) {
		t.Fatalf("server/oauth's import of fosite was not reported; reported: %q", v)
	}
	if !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, "imports github.com/go-jose/go-jose/") }) {
		t.Fatalf("server/oauth's import of go-jose was not reported; reported: %q", v)
	}
	if !slices.ContainsFunc(v, func(s string) bool { return strings.HasSuffix(s, "imports "+module+"/server/keys") }) {
		t.Fatalf("server/oauth's import of server/keys was not reported; reported: %q", v)
	}
}

// forbidden reports whether a contract package may not depend on the
// package with import path imp.
func forbidden(module, imp string) bool {
	under := func(prefix string) bool { return imp == prefix || strings.HasPrefix(imp, prefix+"/") }
	switch {
	case under("github.com/ory/fosite"), under("github.com/go-jose"), under("gopkg.in/square/go-jose.v2"),
		under("gopkg.in/go-jose/go-jose.v2"):
		return true
	case under(module + "/server"):
		return !under(module + "/" + groundFloor)
	}
	return false
}

// importViolations walks the packages of the module that the package in
// folder dir (with its tests) imports, transitively (without their tests),
// and returns each forbidden import as "chain imports path".
func importViolations(t *testing.T, root, module, dir string) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{dir: true}
	type step struct {
		dir   string
		chain string
		tests bool
	}
	queue := []step{{dir, dir, true}}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		files, imports := allImports(t, filepath.Join(root, s.dir), s.tests)
		if files == 0 {
			t.Fatalf("%s (reached by %s) has no Go files", s.dir, s.chain)
		}
		for _, imp := range imports {
			if forbidden(module, imp) {
				out = append(out, s.chain+" imports "+imp)
				continue
			}
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok && !seen[rel] {
				seen[rel] = true
				queue = append(queue, step{rel, s.chain + " → " + rel, false})
			}
		}
	}
	return out
}

// moduleImports returns how many Go files the folder dir has and the
// packages of the module they import.
func moduleImports(t *testing.T, root, module, dir string, tests bool) (int, []string) {
	t.Helper()
	files, imports := allImports(t, filepath.Join(root, dir), tests)
	var own []string
	for _, imp := range imports {
		if imp == module || strings.HasPrefix(imp, module+"/") {
			own = append(own, imp)
		}
	}
	return files, own
}

// allImports parses the Go files of the folder (test files too when tests
// is set) and returns how many there are and the paths they import, sorted
// and without repeats.
func allImports(t *testing.T, dir string, tests bool) (int, []string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := 0
	var imports []string
	for _, name := range names {
		if !tests && strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parsing %s: %v", name, err)
		}
		files++
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				t.Fatalf("%s: import %s: %v", name, spec.Path.Value, err)
			}
			imports = append(imports, p)
		}
	}
	slices.Sort(imports)
	return files, slices.Compact(imports)
}

// moduleRoot returns the folder of go.mod above this package and the
// module's path.
func moduleRoot(t *testing.T) (root, module string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("the module's go.mod: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return root, strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	t.Fatalf("no module line in %s", f.Name())
	return "", ""
}
