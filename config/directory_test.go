package config

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// docExamples returns the YAML examples of Directory's doc comment.
func docExamples(t *testing.T) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "directory.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	ast.Inspect(file, func(n ast.Node) bool {
		if gd, ok := n.(*ast.GenDecl); ok && len(gd.Specs) == 1 {
			if ts, ok := gd.Specs[0].(*ast.TypeSpec); ok && ts.Name.Name == "Directory" {
				doc = gd.Doc.Text()
			}
		}
		return true
	})
	var examples []string
	var cur []string
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "\t"):
			cur = append(cur, strings.TrimPrefix(line, "\t"))
		case len(cur) > 0:
			examples = append(examples, strings.Join(cur, "\n")+"\n")
			cur = nil
		}
	}
	if len(examples) != 2 {
		t.Fatalf("Directory's doc comment has %d YAML examples, want 2 (OpenLDAP and Active Directory)", len(examples))
	}
	return examples
}

func TestDirectoryDocExamplesAreValid(t *testing.T) {
	for i, ex := range docExamples(t) {
		path := writeFile(t, ex)
		if err := os.WriteFile(path+".secret", []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := mustLoad(t, path, nil)
		if err := c.Validate(); err != nil {
			t.Errorf("example %d: %v", i, err)
		}
		if len(c.Directories) != 1 {
			t.Fatalf("example %d: %d directories", i, len(c.Directories))
		}
	}
}

// TestExampleFileDirectoryIsValid checks the commented directory of dinhdanh.example.yaml: with the comment
// marks taken away it loads, lists every key of Directory, and is valid.
func TestExampleFileDirectoryIsValid(t *testing.T) {
	var lines []string
	in := false
	for _, line := range strings.Split(string(Example()), "\n") {
		if strings.HasPrefix(line, "# directories:") {
			in = true
		}
		if in && !strings.HasPrefix(line, "#") {
			break
		}
		if in {
			lines = append(lines, strings.TrimPrefix(line, "# "))
		}
	}
	if len(lines) == 0 {
		t.Fatal("dinhdanh.example.yaml has no commented directories example")
	}
	c := mustLoad(t, writeFile(t, strings.Join(lines, "\n")), nil)
	if err := c.Validate(); err != nil {
		t.Fatalf("the example directory is invalid: %v", err)
	}
	text := strings.Join(lines, "\n")
	var walk func(rt reflect.Type)
	walk = func(rt reflect.Type) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			name := f.Tag.Get("yaml")
			if !strings.Contains(text, " "+name+":") {
				t.Errorf("the example directory lacks key %s", name)
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeFor[Directory]())
}

func TestDirectoryDefaults(t *testing.T) {
	c := mustLoad(t, writeFile(t, `
directories:
  - name: ad
    agency: Văn phòng UBND tỉnh
    urls: [ldaps://dc1.tinh.gov.vn]
    bind_dn: cn=svc
    bind_password: s
    users:
      base_dn: ou=staff,dc=tinh
      attributes:
        phone: mobile
    groups:
      nested: false
`), nil)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := DefaultDirectory()
	want.Name, want.Agency, want.URLs, want.BindDN, want.BindPassword = "ad", "Văn phòng UBND tỉnh", []string{"ldaps://dc1.tinh.gov.vn"}, "cn=svc", "s"
	want.Users.BaseDN, want.Users.Attributes.Phone, want.Groups.Nested = "ou=staff,dc=tinh", "mobile", false
	if !reflect.DeepEqual(c.Directories[0], want) {
		t.Errorf("got  %+v\nwant %+v", c.Directories[0], want)
	}
	d := DefaultDirectory()
	if d.ConnectTimeout.D() != 5*time.Second || d.Timeout.D() != 10*time.Second || d.MaxIdleConns != 4 ||
		d.Users.Filter != "(objectClass=inetOrgPerson)" || !slices.Equal(d.Users.LoginAttributes, []string{"uid"}) ||
		d.Sync.Interval.D() != 15*time.Minute || d.Sync.FullInterval.D() != 24*time.Hour || d.Sync.PageSize != 500 ||
		d.Sync.ModifiedAttribute != "modifyTimestamp" || d.Groups.Membership != "member" || !d.Groups.Nested ||
		d.Breaker.Failures != 5 || d.Breaker.CoolDown.D() != 30*time.Second {
		t.Errorf("DefaultDirectory() = %+v", d)
	}
}

func TestDirectoryUnknownKeys(t *testing.T) {
	_, err := Load(writeFile(t, `
directories:
  - name: a
    agnecy: x
    users:
      base_dn: dc=x
      atributes: {}
`), nil)
	if err == nil {
		t.Fatal("Load accepted unknown keys")
	}
	for _, want := range []string{"line 4: unknown key directories[].agnecy", "line 7: unknown key directories[].users.atributes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDirectoriesHaveNoVariable(t *testing.T) {
	_, err := Load("", []string{"DINHDANH_DIRECTORIES=[]"})
	var ee *EnvError
	if !errors.As(err, &ee) || len(ee.Problems) != 1 || !strings.Contains(ee.Problems[0].Message, "configuration file") {
		t.Fatalf("Load with DINHDANH_DIRECTORIES = %v", err)
	}
}

func TestValidateDirectories(t *testing.T) {
	good := func() Directory {
		d := DefaultDirectory()
		d.Name, d.Agency, d.URLs, d.BindDN, d.BindPassword = "so-tttt", "Sở TT&TT", []string{"ldaps://ldap.tinh.gov.vn"}, "cn=svc,dc=tinh", "s"
		d.Users.BaseDN = "ou=people,dc=tinh"
		return d
	}
	for _, tc := range []struct {
		name   string
		change func(d *Directory)
		keys   []string
	}{
		{"valid", func(d *Directory) {}, nil},
		{"loopback ldap without StartTLS", func(d *Directory) { d.URLs = []string{"ldap://127.0.0.1:3890"} }, nil},
		{"empty", func(d *Directory) { *d = Directory{} }, []string{
			"directories[0].name", "directories[0].agency", "directories[0].urls", "directories[0].connect_timeout",
			"directories[0].timeout", "directories[0].max_idle_conns", "directories[0].breaker.failures",
			"directories[0].breaker.cool_down", "directories[0].bind_dn", "directories[0].bind_password",
			"directories[0].users.base_dn", "directories[0].users.scope", "directories[0].users.filter",
			"directories[0].users.login_attributes", "directories[0].users.attributes.full_name", "directories[0].groups.scope",
			"directories[0].groups.membership", "directories[0].groups.name_attribute", "directories[0].sync.full_interval",
			"directories[0].sync.page_size", "directories[0].sync.modified_attribute"}},
		{"bad name", func(d *Directory) { d.Name = "Sở" }, []string{"directories[0].name"}},
		{"clear text", func(d *Directory) { d.URLs = []string{"ldap://ldap.tinh.gov.vn"} }, []string{"directories[0].urls"}},
		{"StartTLS on ldaps", func(d *Directory) { d.StartTLS = true }, []string{"directories[0].start_tls"}},
		{"bad URLs", func(d *Directory) { d.URLs = []string{"http://x", "ldap://", "ldaps://h/dc=x?uid"} },
			[]string{"directories[0].urls", "directories[0].urls", "directories[0].urls"}},
		{"both passwords", func(d *Directory) { d.BindPasswordFile = "/x" }, []string{"directories[0].bind_password"}},
		{"bad filter", func(d *Directory) { d.Users.Filter = "(uid=*))(" }, []string{"directories[0].users.filter"}},
		{"bad attribute", func(d *Directory) { d.Users.LoginAttributes = []string{"u id"} }, []string{"directories[0].users.login_attributes"}},
		{"roles without groups", func(d *Directory) {
			d.Groups.Roles = map[string][]string{"a": {"r"}}
			d.Groups.Required = "a"
		}, []string{"directories[0].groups.roles", "directories[0].groups.required"}},
		{"bad membership", func(d *Directory) { d.Groups.Membership = "members" }, []string{"directories[0].groups.membership"}},
		{"negative interval", func(d *Directory) { d.Sync.Interval = Duration(-time.Second) }, []string{"directories[0].sync.interval"}},
		{"disable share over 100", func(d *Directory) { d.Sync.MaxDisablePercent = 101 }, []string{"directories[0].sync.max_disable_percent"}},
		{"negative disable share", func(d *Directory) { d.Sync.MaxDisablePercent = -1 }, []string{"directories[0].sync.max_disable_percent"}},
		{"breaker that never opens", func(d *Directory) { d.Breaker.Failures = 0 }, []string{"directories[0].breaker.failures"}},
		{"breaker without cool-down", func(d *Directory) { d.Breaker.CoolDown = 0 }, []string{"directories[0].breaker.cool_down"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			d := good()
			tc.change(&d)
			c.Directories = []Directory{d}
			if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, tc.keys) {
				t.Errorf("problems %v, want %v", got, tc.keys)
			}
		})
	}
	t.Run("duplicates", func(t *testing.T) {
		c := Default()
		a, b := good(), good()
		a.Domains, b.Domains = []string{"TINH"}, []string{"tinh"}
		c.Directories = []Directory{a, b}
		if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, []string{"directories[1].name", "directories[1].domains"}) {
			t.Errorf("problems %v", got)
		}
	})
}
