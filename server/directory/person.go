package directory

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// Person is what a directory entry says about an official.
type Person struct {
	DN             string
	Username       string // the username attribute's value, lower case
	FullName       string
	Email          string
	Phone          string
	Title          string
	Department     string
	EmployeeNumber string
	PersonalID     identity.PersonalID // "" when the directory holds none (or an invalid one)
	Groups         []string            // names of the groups (nested ones included when configured), sorted
	Roles          []string            // roles mapped from Groups, sorted, without duplicates
	Disabled       bool                // the directory disabled or locked the entry, or it is outside the required group
	DisabledReason string              // why, for administrators
	Modified       string              // the modified attribute's value, as written by the directory
	memberOf       []string
	memberValue    string // the value memberUid lists
}

// Attributes of account state read from every entry.
const (
	attrUserAccountControl   = "userAccountControl"   // Active Directory
	attrPwdAccountLockedTime = "pwdAccountLockedTime" // OpenLDAP ppolicy
	uacAccountDisable        = 0x2
	uacLockout               = 0x10
)

// personAttributes lists the attributes read for a person.
func (d *Directory) personAttributes() []string {
	a := d.cfg.Users.Attributes
	var out []string
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
				out = append(out, n)
			}
		}
	}
	add(d.cfg.Users.LoginAttributes...)
	add(d.username, a.FullName, a.GivenName, a.FamilyName, a.Email, a.Phone, a.Title, a.Department,
		a.EmployeeNumber, a.PersonalID, d.cfg.Sync.ModifiedAttribute, attrUserAccountControl, attrPwdAccountLockedTime)
	if d.cfg.Groups.BaseDN != "" {
		switch d.cfg.Groups.Membership {
		case "memberOf":
			add("memberOf")
		case "memberUid":
			add(d.cfg.Groups.UserAttribute)
		}
	}
	return out
}

// NormalizeInput prepares what a person typed: surrounding white space
// removed and the text in Unicode NFC (the form directories store), so that
// a decomposed "Ánh" typed on some keyboards finds the entry.
func NormalizeInput(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// UserFilter returns the filter that finds the person who logs in with
// value: the configured users filter and value equal to one of the login
// attributes. value is escaped here, once, with ldap.EscapeFilter: nothing
// before this point escapes it and nothing after does.
//
//	(&(objectClass=inetOrgPerson)(|(uid=nguy\c3\aa\cc\83n)(mail=nguy\c3\aa\cc\83n)))
func (d *Directory) UserFilter(values ...string) string {
	var b strings.Builder
	b.WriteString("(&")
	b.WriteString(d.cfg.Users.Filter)
	b.WriteString("(|")
	for _, attr := range d.cfg.Users.LoginAttributes {
		for _, v := range values {
			b.WriteString("(" + attr + "=" + ldap.EscapeFilter(v) + ")")
		}
	}
	b.WriteString("))")
	return b.String()
}

// ModifiedFilter returns the filter of people changed at or after highWater.
func (d *Directory) ModifiedFilter(highWater string) string {
	return "(&" + d.cfg.Users.Filter + "(" + d.cfg.Sync.ModifiedAttribute + ">=" + ldap.EscapeFilter(highWater) + "))"
}

// errNoEntry: no entry matches the input.
var errNoEntry = errors.New("directory: no entry")

// errAmbiguous: several entries match the input.
var errAmbiguous = errors.New("directory: several entries match")

// findPerson searches for the one entry whose login attribute equals one of values.
func (d *Directory) findPerson(ctx context.Context, values ...string) (*ldap.Entry, error) {
	req := ldap.NewSearchRequest(d.cfg.Users.BaseDN, scope(d.cfg.Users.Scope), ldap.NeverDerefAliases, 2,
		int(d.cfg.Timeout.D().Seconds()), false, d.UserFilter(values...), d.attrs, nil)
	var entries []*ldap.Entry
	err := d.withConn(ctx, true, func(c *conn) error {
		res, err := d.search(c, req, 0)
		if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return errAmbiguous
		}
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return misconfigured("users.base_dn %s does not exist", d.cfg.Users.BaseDN)
		}
		if err != nil {
			return err
		}
		entries = res.Entries
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(entries) == 0:
		return nil, errNoEntry
	case len(entries) > 1:
		return nil, errAmbiguous
	}
	return entries[0], nil
}

func misconfigured(format string, args ...any) error {
	return errors.Join(errMisconfigured, fmt.Errorf(format, args...))
}

// person maps an entry to a Person, without groups.
func (d *Directory) person(e *ldap.Entry) *Person {
	a := d.cfg.Users.Attributes
	get := func(attr string) string {
		if attr == "" {
			return ""
		}
		return strings.TrimSpace(norm.NFC.String(e.GetEqualFoldAttributeValue(attr)))
	}
	p := &Person{DN: e.DN, Username: strings.ToLower(get(d.username)), Title: get(a.Title),
		Department: get(a.Department), EmployeeNumber: get(a.EmployeeNumber), Modified: get(d.cfg.Sync.ModifiedAttribute)}
	name := get(a.FullName)
	if name == "" {
		name = strings.TrimSpace(get(a.FamilyName) + " " + get(a.GivenName))
	}
	if n, err := identity.NormalizeFullName(name); err == nil {
		name = n
	}
	p.FullName = name
	if email := get(a.Email); email != "" {
		if e, err := identity.NormalizeEmail(email); err == nil {
			p.Email = e
		}
	}
	if phone := get(a.Phone); phone != "" {
		if ph, err := identity.NormalizePhone(phone); err == nil {
			p.Phone = ph
		}
	}
	if pid := get(a.PersonalID); pid != "" {
		if v, err := identity.ParsePersonalID(pid); err == nil {
			p.PersonalID = v
		} else {
			d.log.Warn("directory entry has an invalid personal ID; ignored", "dn", e.DN)
		}
	}
	if uac := e.GetEqualFoldAttributeValue(attrUserAccountControl); uac != "" {
		if n, err := strconv.ParseInt(uac, 10, 64); err == nil && n&(uacAccountDisable|uacLockout) != 0 {
			p.Disabled, p.DisabledReason = true, "directory: disabled in "+d.cfg.Name+" (userAccountControl)"
		}
	}
	if e.GetEqualFoldAttributeValue(attrPwdAccountLockedTime) != "" {
		p.Disabled, p.DisabledReason = true, "directory: locked in "+d.cfg.Name+" (pwdAccountLockedTime)"
	}
	if d.cfg.Groups.BaseDN != "" {
		switch d.cfg.Groups.Membership {
		case "memberOf":
			p.memberOf = e.GetEqualFoldAttributeValues("memberOf")
		case "memberUid":
			p.memberValue = strings.ToLower(e.GetEqualFoldAttributeValue(d.cfg.Groups.UserAttribute))
		}
	}
	return p
}

// adData finds the sub-code Active Directory puts in the diagnostic message
// of a failed bind: "80090308: LdapErr: DSID-0C09044E, comment:
// AcceptSecurityContext error, data 533, v4563".
var adData = regexp.MustCompile(`\bdata ([0-9a-fA-F]{3,8})\b`)

// bindState tells what a failed or successful bind said about the account
// beyond the password: nil, or ErrAccountDisabled / ErrPasswordExpired.
func bindState(res *ldap.SimpleBindResult, err error) error {
	if res != nil {
		for _, c := range res.Controls {
			pp, ok := c.(*ldap.ControlBeheraPasswordPolicy)
			if !ok {
				continue
			}
			switch pp.Error {
			case 0, 2: // passwordExpired, changeAfterReset
				return errPasswordExpired
			case 1: // accountLocked
				return errAccountDisabled
			}
		}
	}
	var le *ldap.Error
	if errors.As(err, &le) && le.Err != nil {
		if m := adData.FindStringSubmatch(le.Err.Error()); m != nil {
			switch strings.ToLower(m[1]) {
			case "532", "773": // password expired, must be reset
				return errPasswordExpired
			case "530", "531", "533", "701", "775": // logon hours, workstation, disabled, expired, locked
				return errAccountDisabled
			}
		}
	}
	return nil
}

// Sentinel states of bind; Authenticator turns them into the authn errors.
var (
	errAccountDisabled = errors.New("directory: account disabled")
	errPasswordExpired = errors.New("directory: password expired")
)

// bind checks the password of the entry dn. ok is false for a wrong
// password; err is an outage, or errAccountDisabled / errPasswordExpired
// for a state the server reported (only after the password was checked, or
// when the server reports it whatever the password).
func (d *Directory) bind(ctx context.Context, dn, password string) (ok bool, err error) {
	if password == "" {
		// An empty password is an unauthenticated bind, which most servers accept.
		return false, nil
	}
	req := &ldap.SimpleBindRequest{Username: dn, Password: password,
		Controls: []ldap.Control{ldap.NewControlBeheraPasswordPolicy()}}
	err = d.withConn(ctx, false, func(c *conn) error {
		res, err := c.SimpleBind(req)
		if state := bindState(res, err); state != nil {
			ok = err == nil
			return state
		}
		switch {
		case err == nil:
			ok = true
			return nil
		case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
			return nil
		}
		return err
	})
	return ok, err
}
