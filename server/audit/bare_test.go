package audit_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	modulePath = "github.com/dinhdanh/dinhdanh"
	auditPath  = modulePath + "/server/audit"
	storePath  = modulePath + "/store"
)

// TestNoBareEventNames fails when an audit event is named by a string
// literal instead of an Event constant, or written around the Recorder,
// anywhere in the module's non-test code outside this package.
func TestNoBareEventNames(t *testing.T) {
	root := moduleRoot(t)
	pkgs := map[string][]*ast.File{} // by folder
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" ||
				name == "vendor") || rel == "server/audit" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkgs[filepath.Dir(rel)] = append(pkgs[filepath.Dir(rel)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages under %s: the walk is broken", len(pkgs), root)
	}
	for dir, files := range pkgs {
		for _, p := range bareEvents(fset, files, strings.HasPrefix(dir+"/", "store/")) {
			t.Error(p)
		}
	}
}

// TestBareEventCheck shows that the check finds each form of a bare event
// name, and accepts the constants.
func TestBareEventCheck(t *testing.T) {
	bad := `package p

import (
	au "github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

func f(h *H, db store.Audit, rec *au.Recorder) {
	_ = db.AppendAudit(ctx, &store.AuditEvent{Type: "login.success"})
	_ = store.AuditEvent{Type: string(au.Event("login.success"))}
	rec.FromRequest(r, "mfa.failure", "", "", nil)
	_ = rec.Record(ctx, au.Entry{Event: "session.end"})
	h.note(r, "x", "consent.revoke")
	var ev au.Event = "client.create"
	_ = ev
}

func (h *H) note(r *http.Request, s string, ev au.Event) {}
`
	good := `package p

import (
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/store"
)

func f(h *H, rec *audit.Recorder, ev audit.Event) {
	rec.FromRequest(r, audit.MFAFailure, "", "", map[string]string{"reason": "x.y"})
	rec.FromRequest(r, ev, "", "", nil)
	_ = rec.Record(ctx, audit.Entry{Event: audit.SessionEnd, Actor: "cli"})
	h.note(r, "x", audit.ConsentRevoke)
	_ = store.Client{ID: "a.b"}
	var e audit.Event = audit.ClientCreate
	_ = e
}

func (h *H) note(r *http.Request, s string, ev audit.Event) {}
`
	check := func(src string) []string {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "p.go", src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		return bareEvents(fset, []*ast.File{f}, false)
	}
	found := check(bad)
	for _, want := range []string{"p.go:9:", "p.go:10:", "p.go:11:", "p.go:12:", "p.go:13:", "p.go:14:"} {
		if !slices.ContainsFunc(found, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("nothing found at %s; found:\n%s", want, strings.Join(found, "\n"))
		}
	}
	if got := check(good); len(got) != 0 {
		t.Errorf("constants reported as bare names:\n%s", strings.Join(got, "\n"))
	}
}

// bareEvents reports, in the files of one package:
//   - a store.AuditEvent literal whose Type is not string(audit.Constant),
//     and a call of AppendAudit, unless store is true: audit writes go
//     through the Recorder;
//   - a string literal given as an event: in audit.Entry's Event, in
//     audit.Event(…), in a variable declared audit.Event, or as the argument
//     of Recorder.FromRequest or of any function of the package whose
//     parameter at that place is an audit.Event.
func bareEvents(fset *token.FileSet, files []*ast.File, store bool) []string {
	var found []string
	report := func(n ast.Node, format string, args ...any) {
		found = append(found, fset.Position(n.Pos()).String()+": "+fmt.Sprintf(format, args...))
	}
	// eventParams: the positions of audit.Event parameters, by function name.
	eventParams := map[string][]int{"FromRequest": {1}}
	for _, f := range files {
		auditName := importName(f, auditPath)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || auditName == "" {
				continue
			}
			i := 0
			for _, p := range fd.Type.Params.List {
				n := max(len(p.Names), 1)
				if isSelector(p.Type, auditName, "Event") {
					for k := range n {
						eventParams[fd.Name.Name] = append(eventParams[fd.Name.Name], i+k)
					}
				}
				i += n
			}
		}
	}
	for _, f := range files {
		auditName, storeName := importName(f, auditPath), importName(f, storePath)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				switch {
				case storeName != "" && isSelector(n.Type, storeName, "AuditEvent") && !store:
					typ := field(n, "Type")
					call, ok := typ.(*ast.CallExpr)
					if typ == nil || !ok || !isIdent(call.Fun, "string") || len(call.Args) != 1 ||
						!isAuditConstant(call.Args[0], auditName) {
						report(n, "store.AuditEvent written without an audit constant: use audit.Recorder")
					}
				case auditName != "" && isSelector(n.Type, auditName, "Entry"):
					if ev := field(n, "Event"); ev != nil && hasStringLiteral(ev) {
						report(ev, "audit.Entry with a bare event name")
					}
				}
			case *ast.ValueSpec:
				if auditName != "" && isSelector(n.Type, auditName, "Event") {
					for _, v := range n.Values {
						if hasStringLiteral(v) {
							report(v, "audit.Event variable set to a bare event name")
						}
					}
				}
			case *ast.CallExpr:
				if auditName != "" && isSelector(n.Fun, auditName, "Event") && len(n.Args) == 1 && hasStringLiteral(n.Args[0]) {
					report(n, "audit.Event conversion of a bare event name")
				}
				name := ""
				switch fun := n.Fun.(type) {
				case *ast.Ident:
					name = fun.Name
				case *ast.SelectorExpr:
					name = fun.Sel.Name
				}
				if name == "AppendAudit" && !store {
					report(n, "AppendAudit called directly: use audit.Recorder")
				}
				for _, i := range eventParams[name] {
					if i < len(n.Args) && hasStringLiteral(n.Args[i]) {
						report(n.Args[i], "bare event name given to %s", name)
					}
				}
			}
			return true
		})
	}
	return found
}

// importName is the name under which f imports path, or "" when it does not.
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == path {
			if im.Name != nil {
				return im.Name.Name
			}
			return path[strings.LastIndex(path, "/")+1:]
		}
	}
	return ""
}

func field(lit *ast.CompositeLit, name string) ast.Expr {
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, name) {
			return kv.Value
		}
	}
	return nil
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isSelector reports whether e (or *e) is pkg.name.
func isSelector(e ast.Expr, pkg, name string) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	sel, ok := e.(*ast.SelectorExpr)
	return ok && pkg != "" && isIdent(sel.X, pkg) && sel.Sel.Name == name
}

// isAuditConstant reports whether e is an exported name of package audit.
func isAuditConstant(e ast.Expr, auditName string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && auditName != "" && isIdent(sel.X, auditName) && sel.Sel.IsExported() && sel.Sel.Name != "Event"
}

func hasStringLiteral(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
			found = true
		}
		return !found
	})
	return found
}

func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}
