package audit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The event names are unique, shaped "area.what", and each is listed in the
// package documentation.
func TestEventConstants(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "event.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)
	byValue := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Event" || len(v.Names) != 1 || len(v.Values) != 1 {
				t.Errorf("%s: not one Event constant", fset.Position(v.Pos()))
				continue
			}
			name := v.Names[0].Name
			lit, ok := v.Values[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s is not a string literal", name)
				continue
			}
			value, _ := strconv.Unquote(lit.Value)
			if !shape.MatchString(value) {
				t.Errorf("%s = %q is not shaped area.what", name, value)
			}
			if other, dup := byValue[value]; dup {
				t.Errorf("%s and %s are both %q", name, other, value)
			}
			byValue[value] = name
			if !strings.Contains(string(doc), "["+name+"]") {
				t.Errorf("%s is not listed in doc.go", name)
			}
		}
	}
	if len(byValue) < 47 {
		t.Errorf("%d events, want at least the 47 in use", len(byValue))
	}
}
