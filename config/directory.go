package config

import (
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Directory is one LDAP staff directory whose officials log in with their directory password and whose
// entries are synchronised into dinhdanh's accounts: the province-wide Active Directory, or the OpenLDAP server
// of a department or district. Directories are configured in the file only (a list of sections has no
// DINHDANH_* variable). A key left out of an entry keeps the default its field states.
//
// Login: the login page takes "user", "DOMAIN\user" or "user@domain". A DOMAIN or domain listed in Domains
// picks this directory; otherwise the directory already linked to the person's account is tried first, then
// every directory in the order of this list. dinhdanh binds as BindDN, searches Users.BaseDN for
// (&<users.filter>(|(<login attribute>=<input>)…)) with the input escaped once, requires exactly one entry,
// then binds as that entry's DN with the password. An empty password is refused before any bind.
//
// Synchronisation: every Sync.Interval, and with "dinhdanh directory sync NAME", dinhdanh reads the entries
// changed since the last run (Sync.ModifiedAttribute), and every Sync.FullInterval all entries with a paged
// search; it creates and updates accounts, agencies, titles, groups and roles, and disables (ending their
// sessions) the accounts whose entry is gone, disabled or outside Groups.Required.
//
// An OpenLDAP directory (inetOrgPerson people, groupOfNames groups, nested groups, ppolicy):
//
//	directories:
//	  - name: so-tttt
//	    agency: Sở Thông tin và Truyền thông
//	    domains: [sotttt]
//	    urls: [ldap://ldap1.sotttt.tinh.gov.vn, ldap://ldap2.sotttt.tinh.gov.vn]
//	    start_tls: true
//	    ca_file: /etc/dinhdanh/sotttt-ca.pem
//	    bind_dn: cn=dinhdanh,ou=services,dc=sotttt,dc=tinh,dc=gov,dc=vn
//	    bind_password_file: /etc/dinhdanh/sotttt-bind.secret
//	    users:
//	      base_dn: ou=people,dc=sotttt,dc=tinh,dc=gov,dc=vn
//	      filter: (objectClass=inetOrgPerson)
//	      login_attributes: [uid, mail]
//	      attributes:
//	        personal_id: employeeNumber
//	        employee_number: ""
//	    groups:
//	      base_dn: ou=groups,dc=sotttt,dc=tinh,dc=gov,dc=vn
//	      membership: member
//	      roles:
//	        van-thu: [qlvb.van_thu]
//	        lanh-dao: [qlvb.lanh_dao, mcdt.phe_duyet]
//	      required: can-bo
//
// The province's Active Directory (sAMAccountName or userPrincipalName logins, memberOf groups, disabled
// accounts from userAccountControl, incremental sync on whenChanged):
//
//	directories:
//	  - name: ad-tinh
//	    agency: Văn phòng UBND tỉnh
//	    domains: [TINH, tinh.gov.vn]
//	    urls: [ldaps://dc1.tinh.gov.vn, ldaps://dc2.tinh.gov.vn]
//	    ca_file: /etc/dinhdanh/ad-ca.pem
//	    bind_dn: CN=svc-dinhdanh,OU=Service Accounts,DC=tinh,DC=gov,DC=vn
//	    bind_password_file: /etc/dinhdanh/ad-bind.secret
//	    users:
//	      base_dn: OU=Staff,DC=tinh,DC=gov,DC=vn
//	      filter: (&(objectCategory=person)(objectClass=user))
//	      login_attributes: [sAMAccountName, userPrincipalName]
//	      attributes:
//	        full_name: displayName
//	        phone: mobile
//	        department: department
//	        employee_number: employeeID
//	    groups:
//	      base_dn: OU=Groups,DC=tinh,DC=gov,DC=vn
//	      filter: (objectClass=group)
//	      membership: memberOf
//	      roles:
//	        GG-QLVB-VanThu: [qlvb.van_thu]
//	    sync:
//	      modified_attribute: whenChanged
type Directory struct {
	// Name identifies the directory in accounts, logs and commands ("dinhdanh directory sync NAME"): 1 to 32
	// lower-case letters, digits, '.', '_' or '-', unique among directories. Renaming a directory orphans the
	// accounts linked to the old name. Required; no default.
	Name string `yaml:"name"`

	// Agency is the agency (cơ quan) the directory serves, released as the "organization" claim of its
	// officials. Required; no default.
	Agency string `yaml:"agency"`

	// Domains lists the names a person may put before a backslash ("TINH\nva") or after an at sign
	// ("nva@tinh.gov.vn") to pick this directory, compared without regard to case; each belongs to one
	// directory only. A login attribute such as userPrincipalName or mail is searched with the whole input.
	// Default: none (input is matched against every directory in order).
	Domains []string `yaml:"domains"`

	// PersonalIDAuthoritative marks the directory as an HR source the operator holds authoritative for
	// personal IDs: a personal ID it provides for an official (users.attributes.personal_id) is recorded as
	// verified (method authoritative_source, source the directory's name), taking it from an account that
	// had only asserted it; an ID another account has proven is not recorded (logged and audited). Default
	// false: the ID is copied unverified.
	PersonalIDAuthoritative bool `yaml:"personal_id_authoritative"`

	// URLs lists the servers, tried in this order: the next one is used when one cannot be reached or times
	// out. Each is "ldap://host[:port]" (port 389) or "ldaps://host[:port]" (port 636, TLS from the first
	// byte). A plain ldap:// URL to a host other than the loopback needs StartTLS. Required; no default.
	URLs []string `yaml:"urls"`

	// StartTLS upgrades ldap:// connections with the StartTLS operation before anything else is sent; a
	// connection whose StartTLS fails is closed and the server counts as unreachable. It must be false with
	// ldaps:// URLs. Default false.
	StartTLS bool `yaml:"start_tls"`

	// CAFile is a PEM file of the certificate authorities trusted for the servers' TLS certificates (ldaps://
	// and StartTLS). Default "": the system's roots.
	CAFile string `yaml:"ca_file"`

	// ServerName is the name checked against the servers' certificates. Default "": the host of each URL.
	ServerName string `yaml:"server_name"`

	// ConnectTimeout bounds opening one connection: TCP connect, TLS handshake or StartTLS, and the service
	// bind; greater than zero. Default "5s".
	ConnectTimeout Duration `yaml:"connect_timeout"`

	// Timeout bounds every operation on an open connection (search, bind, each page of a paged search);
	// greater than zero. Default "10s".
	Timeout Duration `yaml:"timeout"`

	// MaxIdleConns is how many open connections per server URL are kept for reuse, for searches and for
	// password binds each; at least 1. Default 4.
	MaxIdleConns int `yaml:"max_idle_conns"`

	// BindDN is the DN of the service account that searches the directory. Required; no default.
	BindDN string `yaml:"bind_dn"`

	// BindPassword is the service account's password. Give exactly one of bind_password and
	// bind_password_file. Default "".
	BindPassword string `yaml:"bind_password"`

	// BindPasswordFile is a file holding the service account's password (one line; a final newline is
	// ignored), read at start. Default "".
	BindPasswordFile string `yaml:"bind_password_file"`

	// Users says where people are and which attributes hold what. See DirectoryUsers.
	// Default: inetOrgPerson entries below base_dn, logging in with uid.
	Users DirectoryUsers `yaml:"users"`

	// Groups says how group membership is read and mapped to roles. See DirectoryGroups.
	// Default: no groups.
	Groups DirectoryGroups `yaml:"groups"`

	// Sync says when and how entries are synchronised into accounts. See DirectorySync.
	// Default: changed entries every 15m, all entries every 24h.
	Sync DirectorySync `yaml:"sync"`

	// Breaker is the directory's circuit breaker: after breaker.failures consecutive requests to the directory
	// failed (every URL unreachable or too slow), the directory is not asked for breaker.cool_down; logins that
	// need it are answered at once with "the staff directory is unavailable" (503), and logins that do not need
	// it (citizens, local accounts, other directories) never wait for it. Then one request probes it: an
	// answer closes the breaker, a failure opens it again. See DirectoryBreaker. Default: 5 failures, 30s.
	Breaker DirectoryBreaker `yaml:"breaker"`
}

// DirectoryBreaker is the circuit breaker of one directory (of all its URLs together), held by each node.
type DirectoryBreaker struct {
	// Failures is how many consecutive failed requests open the breaker; at least 1. Default 5.
	Failures int `yaml:"failures"`

	// CoolDown is how long an open breaker refuses requests before one probe is let through; greater than
	// zero. Default "30s".
	CoolDown Duration `yaml:"cool_down"`
}

// DirectoryUsers says where a directory's people are and how their attributes map to an official's account.
type DirectoryUsers struct {
	// BaseDN is the DN below which people are searched. Required; no default.
	BaseDN string `yaml:"base_dn"`

	// Scope is "sub" (the whole subtree below base_dn) or "one" (its direct children only). Default "sub".
	Scope string `yaml:"scope"`

	// Filter is an LDAP filter, in parentheses, that every person's entry matches; login and sync add their
	// own conditions to it. Default "(objectClass=inetOrgPerson)".
	Filter string `yaml:"filter"`

	// LoginAttributes lists the attributes a person may log in with, such as uid, sAMAccountName, mail or
	// userPrincipalName: the input must equal one of them in exactly one entry. Default [uid].
	LoginAttributes []string `yaml:"login_attributes"`

	// Attributes maps the account's fields to attribute names. See DirectoryAttributes.
	// Default: inetOrgPerson names.
	Attributes DirectoryAttributes `yaml:"attributes"`
}

// DirectoryAttributes names the attribute that holds each field of an official's account. An empty name
// means the directory does not hold that field (except username, whose default is described below).
type DirectoryAttributes struct {
	// Username is the attribute whose value, in lower case, is the official's username in dinhdanh, whatever
	// login attribute the person typed. Default "": the first of login_attributes.
	Username string `yaml:"username"`

	// FullName holds the full name, family name first. When the entry has none, the name is made of
	// family_name and given_name. Default "cn".
	FullName string `yaml:"full_name"`

	// GivenName holds the given name (tên). Default "givenName".
	GivenName string `yaml:"given_name"`

	// FamilyName holds the family name (họ). Default "sn".
	FamilyName string `yaml:"family_name"`

	// Email holds the e-mail address. Default "mail".
	Email string `yaml:"email"`

	// Phone holds the phone number. Default "telephoneNumber".
	Phone string `yaml:"phone"`

	// Title holds the job title (chức vụ). Default "title".
	Title string `yaml:"title"`

	// Department holds the department (phòng, ban). Default "departmentNumber".
	Department string `yaml:"department"`

	// EmployeeNumber holds the staff number, kept with the directory link and shown by "dinhdanh directory".
	// Default "employeeNumber".
	EmployeeNumber string `yaml:"employee_number"`

	// PersonalID holds the 12-digit personal ID (số định danh cá nhân), when the directory keeps it. It is
	// copied unverified, or proven when the directory is personal_id_authoritative; an official is never
	// merged into another account that holds the same ID (the official gets an account of its own without
	// it). Default "": not held.
	PersonalID string `yaml:"personal_id"`
}

// DirectoryGroups says how a directory's groups are read and mapped to roles. Groups are read only when
// base_dn is set.
type DirectoryGroups struct {
	// BaseDN is the DN below which groups are searched; "" turns groups (and roles and required) off.
	// Default "".
	BaseDN string `yaml:"base_dn"`

	// Scope is "sub" or "one", as for users. Default "sub".
	Scope string `yaml:"scope"`

	// Filter is an LDAP filter that every group matches. Default "": (objectClass=groupOfNames) for
	// membership member and memberOf, (objectClass=groupOfUniqueNames) for uniqueMember,
	// (objectClass=posixGroup) for memberUid.
	Filter string `yaml:"filter"`

	// Membership says where membership is written: "member" or "uniqueMember" (the group lists member DNs),
	// "memberUid" (the group lists the value of the people's user_attribute), or "memberOf" (each person and
	// group lists the DNs of its groups, as Active Directory does). Default "member".
	Membership string `yaml:"membership"`

	// UserAttribute is the attribute of a person that memberUid lists. Default "uid".
	UserAttribute string `yaml:"user_attribute"`

	// NameAttribute holds a group's name: what roles and required refer to and what the "groups" claim
	// lists. Default "cn".
	NameAttribute string `yaml:"name_attribute"`

	// Nested counts the groups of a person's groups as theirs too, however deep, visiting each group once
	// (a cycle of groups ends there). Default true.
	Nested bool `yaml:"nested"`

	// Roles maps a group name (compared without regard to case) to the application roles its members get,
	// released with the "roles" scope. Default: none.
	Roles map[string][]string `yaml:"roles"`

	// Required is the name of a group a person must belong to (directly or, when nested, through other
	// groups) to log in; others are treated as disabled. Default "": everyone found may log in.
	Required string `yaml:"required"`
}

// DirectorySync says when a directory's entries are synchronised into accounts.
type DirectorySync struct {
	// Interval is how often each node reads the entries changed since the previous run; "0s" turns the
	// scheduled synchronisation off (logins still update accounts). It must not be negative. Default "15m".
	Interval Duration `yaml:"interval"`

	// FullInterval is how often a scheduled run reads every entry instead, which also finds entries that
	// were removed; greater than zero. Default "24h".
	FullInterval Duration `yaml:"full_interval"`

	// PageSize is the number of entries asked for per page of a paged search; from 1 to 10000. Default 500.
	PageSize int `yaml:"page_size"`

	// ModifiedAttribute is the attribute holding an entry's last change time, for incremental runs:
	// modifyTimestamp (OpenLDAP) or whenChanged (Active Directory). Default "modifyTimestamp".
	ModifiedAttribute string `yaml:"modified_attribute"`

	// MaxDisablePercent is the largest share, in percent of the directory's enabled officials, that one full run
	// may disable because their entries are gone; from 0 to 100. A run that would disable more (or any, when the
	// search returned no entry at all) changes nothing: it fails with a message, a log line and an audit record,
	// and "dinhdanh directory sync NAME --full --force" applies it. One account may always go. Default 10.
	MaxDisablePercent int `yaml:"max_disable_percent"`
}

// DefaultDirectory returns the settings of a directory entry whose keys are all left out.
func DefaultDirectory() Directory {
	return Directory{
		ConnectTimeout: Duration(5 * time.Second),
		Timeout:        Duration(10 * time.Second),
		MaxIdleConns:   4,
		Users: DirectoryUsers{
			Scope:           "sub",
			Filter:          "(objectClass=inetOrgPerson)",
			LoginAttributes: []string{"uid"},
			Attributes: DirectoryAttributes{
				FullName:       "cn",
				GivenName:      "givenName",
				FamilyName:     "sn",
				Email:          "mail",
				Phone:          "telephoneNumber",
				Title:          "title",
				Department:     "departmentNumber",
				EmployeeNumber: "employeeNumber",
			},
		},
		Groups: DirectoryGroups{
			Scope:         "sub",
			Membership:    "member",
			UserAttribute: "uid",
			NameAttribute: "cn",
			Nested:        true,
		},
		Sync: DirectorySync{
			Interval:          Duration(15 * time.Minute),
			FullInterval:      Duration(24 * time.Hour),
			PageSize:          500,
			ModifiedAttribute: "modifyTimestamp",
			MaxDisablePercent: 10,
		},
		Breaker: DirectoryBreaker{Failures: 5, CoolDown: Duration(30 * time.Second)},
	}
}

// UnmarshalYAML decodes one directory entry over DefaultDirectory, so that a key left out keeps its default,
// and rejects unknown keys with their line.
func (d *Directory) UnmarshalYAML(value *yaml.Node) error {
	if value.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{
			fmt.Sprintf("line %d: expected a directory (a mapping of settings), found a %s", value.Line, nodeKindName(value.Kind)),
		}}
	}
	if errs := unknownKeys(value, reflect.TypeFor[Directory](), "directories[]."); len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	type plain Directory
	def := DefaultDirectory()
	p := (*plain)(&def)
	if err := value.Decode(p); err != nil {
		return err
	}
	*d = def
	return nil
}

// unknownKeys reports the keys of the mapping n, and of its nested mappings that decode into structs, that t
// has no field for.
func unknownKeys(n *yaml.Node, t reflect.Type, prefix string) []string {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		fields[name] = f.Type
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: unknown key %s%s", k.Line, prefix, k.Value))
			continue
		}
		if ft.Kind() == reflect.Struct && v.Kind == yaml.MappingNode && ft != reflect.TypeFor[Duration]() {
			errs = append(errs, unknownKeys(v, ft, prefix+k.Value+".")...)
		}
	}
	return errs
}

// Allowed values of directory settings.
var (
	directoryScopes      = []string{"sub", "one"}
	directoryMemberships = []string{"member", "uniqueMember", "memberUid", "memberOf"}
	directoryNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)
	// attributePattern is an attribute description: a name or a numeric OID, with options.
	attributePattern = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(;[A-Za-z0-9-]+)*$`)
)

// validateDirectories checks every directory, naming each problem by its position: directories[0].urls.
func (c *Config) validateDirectories(v *validator) {
	names := map[string]int{}
	domains := map[string]int{}
	for i := range c.Directories {
		d := &c.Directories[i]
		key := func(k string) string { return fmt.Sprintf("directories[%d].%s", i, k) }
		switch {
		case d.Name == "":
			v.add(key("name"), "must not be empty")
		case !directoryNamePattern.MatchString(d.Name):
			v.add(key("name"), "is %q; it must be 1 to 32 lower-case letters, digits, '.', '_' or '-'", d.Name)
		default:
			if j, dup := names[d.Name]; dup {
				v.add(key("name"), "%q is also the name of directories[%d]", d.Name, j)
			}
			names[d.Name] = i
		}
		if strings.TrimSpace(d.Agency) == "" {
			v.add(key("agency"), "must not be empty: name the agency the directory serves")
		}
		for _, dom := range d.Domains {
			j, taken := domains[strings.ToLower(dom)]
			switch {
			case strings.TrimSpace(dom) == "" || strings.ContainsAny(dom, `\@ `):
				v.add(key("domains"), "%q is not a domain name: write it without '\\', '@' or spaces", dom)
			case taken && j != i:
				v.add(key("domains"), "%q is also a domain of directories[%d]", dom, j)
			default:
				domains[strings.ToLower(dom)] = i
			}
		}
		d.validateURLs(v, key)
		v.positive(key("connect_timeout"), d.ConnectTimeout)
		v.positive(key("timeout"), d.Timeout)
		v.atLeast(key("max_idle_conns"), int64(d.MaxIdleConns), 1)
		v.atLeast(key("breaker.failures"), int64(d.Breaker.Failures), 1)
		v.positive(key("breaker.cool_down"), d.Breaker.CoolDown)
		if strings.TrimSpace(d.BindDN) == "" {
			v.add(key("bind_dn"), "must not be empty: give the service account that searches the directory")
		}
		switch {
		case d.BindPassword == "" && d.BindPasswordFile == "":
			v.add(key("bind_password"), "must be set, or bind_password_file")
		case d.BindPassword != "" && d.BindPasswordFile != "":
			v.add(key("bind_password"), "and bind_password_file are both set; give one")
		}

		u := &d.Users
		validateDN(v, key("users.base_dn"), u.BaseDN, true)
		v.oneOf(key("users.scope"), u.Scope, directoryScopes)
		validateFilter(v, key("users.filter"), u.Filter, true)
		if len(u.LoginAttributes) == 0 {
			v.add(key("users.login_attributes"), "must list at least one attribute, such as uid or sAMAccountName")
		}
		for _, a := range u.LoginAttributes {
			validateAttribute(v, key("users.login_attributes"), a, true)
		}
		at := &u.Attributes
		for _, f := range []struct{ name, value string }{
			{"username", at.Username}, {"full_name", at.FullName}, {"given_name", at.GivenName},
			{"family_name", at.FamilyName}, {"email", at.Email}, {"phone", at.Phone}, {"title", at.Title},
			{"department", at.Department}, {"employee_number", at.EmployeeNumber}, {"personal_id", at.PersonalID},
		} {
			validateAttribute(v, key("users.attributes."+f.name), f.value, false)
		}
		if at.FullName == "" && (at.FamilyName == "" || at.GivenName == "") {
			v.add(key("users.attributes.full_name"), "is empty, and so is family_name or given_name: a name cannot be made")
		}

		g := &d.Groups
		validateDN(v, key("groups.base_dn"), g.BaseDN, false)
		v.oneOf(key("groups.scope"), g.Scope, directoryScopes)
		validateFilter(v, key("groups.filter"), g.Filter, false)
		v.oneOf(key("groups.membership"), g.Membership, directoryMemberships)
		validateAttribute(v, key("groups.user_attribute"), g.UserAttribute, g.Membership == "memberUid")
		validateAttribute(v, key("groups.name_attribute"), g.NameAttribute, true)
		if g.BaseDN == "" && len(g.Roles) > 0 {
			v.add(key("groups.roles"), "needs groups.base_dn: without it no group is read")
		}
		if g.BaseDN == "" && g.Required != "" {
			v.add(key("groups.required"), "needs groups.base_dn: without it no group is read")
		}
		for _, group := range slices.Sorted(maps.Keys(g.Roles)) {
			for _, r := range g.Roles[group] {
				if strings.TrimSpace(r) == "" || strings.ContainsAny(r, " \t\n") {
					v.add(key("groups.roles"), "group %q: role %q must be a word without spaces", group, r)
				}
			}
		}

		s := &d.Sync
		if s.Interval < 0 {
			v.add(key("sync.interval"), "is %s; it must not be negative (0s turns the scheduled sync off)", s.Interval)
		}
		v.positive(key("sync.full_interval"), s.FullInterval)
		if s.PageSize < 1 || s.PageSize > 10000 {
			v.add(key("sync.page_size"), "is %d; it must be from 1 to 10000", s.PageSize)
		}
		validateAttribute(v, key("sync.modified_attribute"), s.ModifiedAttribute, true)
		if s.MaxDisablePercent < 0 || s.MaxDisablePercent > 100 {
			v.add(key("sync.max_disable_percent"), "is %d; it must be from 0 to 100", s.MaxDisablePercent)
		}
	}
}

func (d *Directory) validateURLs(v *validator, key func(string) string) {
	if len(d.URLs) == 0 {
		v.add(key("urls"), "must list at least one server, such as \"ldaps://ldap.example.gov.vn\"")
		return
	}
	for _, raw := range d.URLs {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			v.add(key("urls"), "%q is not a URL: %v", raw, unwrapURLError(err))
		case u.Scheme != "ldap" && u.Scheme != "ldaps":
			v.add(key("urls"), "%q must start with ldap:// or ldaps://", raw)
		case u.Host == "" || u.Hostname() == "":
			v.add(key("urls"), "%q has no host", raw)
		case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
			v.add(key("urls"), "%q must be only scheme, host and port", raw)
		case u.Scheme == "ldaps" && d.StartTLS:
			v.add(key("start_tls"), "is true, but %q is already TLS: StartTLS applies to ldap:// URLs", raw)
		case u.Scheme == "ldap" && !d.StartTLS && !isLoopbackName(u.Hostname()):
			v.add(key("urls"), "%q would send passwords in clear text: set start_tls: true or use ldaps://", raw)
		}
	}
}

func validateDN(v *validator, key, dn string, required bool) {
	switch {
	case dn == "" && required:
		v.add(key, "must not be empty")
	case dn != "" && !strings.Contains(dn, "="):
		v.add(key, "%q is not a DN, such as \"ou=people,dc=example,dc=gov,dc=vn\"", dn)
	}
}

func validateFilter(v *validator, key, filter string, required bool) {
	if filter == "" {
		if required {
			v.add(key, "must not be empty: write a filter such as \"(objectClass=inetOrgPerson)\"")
		}
		return
	}
	depth := 0
	ok := strings.HasPrefix(filter, "(") && strings.HasSuffix(filter, ")")
	for i := 0; ok && i < len(filter); i++ {
		switch filter[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(filter)-1 {
				ok = false
			}
		}
		ok = ok && depth >= 0
	}
	if !ok || depth != 0 {
		v.add(key, "%q is not one LDAP filter in parentheses, such as \"(objectClass=inetOrgPerson)\"", filter)
	}
}

func validateAttribute(v *validator, key, name string, required bool) {
	switch {
	case name == "" && required:
		v.add(key, "must not be empty")
	case name != "" && !attributePattern.MatchString(name):
		v.add(key, "%q is not an attribute name", name)
	}
}
