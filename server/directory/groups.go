package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// groupIndex is every group of a directory, read with one paged search, with
// membership indexed both ways. Logins reuse it for a while (Options.GroupCacheTTL);
// a synchronisation reads it anew.
type groupIndex struct {
	byDN     map[string]*group   // normalised DN → group
	byMember map[string][]*group // normalised member DN, or memberUid value → groups listing it directly
	loadedAt time.Time
	digest   string // SHA-256 of every group's DN, name and links, to tell whether groups changed
}

// group is one group entry.
type group struct {
	dn       string
	name     string
	parents  []*group // groups this group is a direct member of
	memberOf []string // memberOf values, resolved into parents once all groups are read
}

// normDN returns a comparable form of a DN: attribute types and values in
// lower case, no spaces around separators. A DN that does not parse is
// only lowered.
func normDN(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	var b strings.Builder
	for i, rdn := range parsed.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, a := range rdn.Attributes {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.ToLower(a.Type))
			b.WriteByte('=')
			b.WriteString(strings.ToLower(a.Value))
		}
	}
	return b.String()
}

// groupFilter returns the configured group filter, or the one implied by the membership kind.
func (d *Directory) groupFilter() string {
	g := d.cfg.Groups
	if g.Filter != "" {
		return g.Filter
	}
	switch g.Membership {
	case "uniqueMember":
		return "(objectClass=groupOfUniqueNames)"
	case "memberUid":
		return "(objectClass=posixGroup)"
	}
	return "(objectClass=groupOfNames)"
}

// loadGroups reads every group.
func (d *Directory) loadGroups(ctx context.Context) (*groupIndex, error) {
	g := d.cfg.Groups
	attrs := []string{g.NameAttribute}
	memberAttr := g.Membership
	if memberAttr == "memberOf" {
		attrs = append(attrs, "memberOf")
	} else {
		attrs = append(attrs, memberAttr)
	}
	req := ldap.NewSearchRequest(g.BaseDN, scope(g.Scope), ldap.NeverDerefAliases, 0, 0, false, d.groupFilter(), attrs, nil)
	var entries []*ldap.Entry
	err := d.withConn(ctx, true, func(c *conn) error {
		res, err := d.search(c, req, uint32(d.cfg.Sync.PageSize))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return misconfigured("groups.base_dn %s does not exist", g.BaseDN)
		}
		if err != nil {
			return err
		}
		entries = res.Entries
		return nil
	})
	if err != nil {
		return nil, err
	}
	ix := &groupIndex{byDN: map[string]*group{}, byMember: map[string][]*group{}, loadedAt: d.now()}
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		links := slices.Clone(e.GetEqualFoldAttributeValues(attrs[1]))
		for i, l := range links {
			links[i] = normDN(l)
		}
		slices.Sort(links)
		lines = append(lines, normDN(e.DN)+"\x00"+e.GetEqualFoldAttributeValue(g.NameAttribute)+"\x00"+strings.Join(links, "\x00"))
		gr := &group{dn: e.DN, name: e.GetEqualFoldAttributeValue(g.NameAttribute)}
		if gr.name == "" {
			gr.name = e.DN
		}
		ix.byDN[normDN(e.DN)] = gr
		switch memberAttr {
		case "memberOf":
			gr.memberOf = e.GetEqualFoldAttributeValues("memberOf")
		case "memberUid":
			for _, v := range e.GetEqualFoldAttributeValues(memberAttr) {
				k := strings.ToLower(v)
				ix.byMember[k] = append(ix.byMember[k], gr)
			}
		default:
			for _, v := range e.GetEqualFoldAttributeValues(memberAttr) {
				k := normDN(v)
				ix.byMember[k] = append(ix.byMember[k], gr)
			}
		}
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	ix.digest = hex.EncodeToString(sum[:])
	// Parents: the groups a group belongs to, from either side of the link.
	for k, gr := range ix.byDN {
		if memberAttr == "memberOf" {
			for _, p := range gr.memberOf {
				if parent := ix.byDN[normDN(p)]; parent != nil {
					gr.parents = append(gr.parents, parent)
				}
			}
		} else {
			gr.parents = ix.byMember[k]
		}
	}
	return ix, nil
}

// cachedGroups returns the group index, reading it when missing or older than the TTL.
func (d *Directory) cachedGroups(ctx context.Context) (*groupIndex, error) {
	d.groupsMu.Lock()
	defer d.groupsMu.Unlock()
	if d.groups != nil && d.now().Sub(d.groups.loadedAt) < d.groupTTL {
		return d.groups, nil
	}
	ix, err := d.loadGroups(ctx)
	if err != nil {
		return nil, err
	}
	d.groups = ix
	return ix, nil
}

// setGroups replaces the cached index (after a synchronisation read it).
func (d *Directory) setGroups(ix *groupIndex) {
	d.groupsMu.Lock()
	d.groups = ix
	d.groupsMu.Unlock()
}

// direct returns the groups p is a direct member of.
func (ix *groupIndex) direct(p *Person, membership string) []*group {
	switch membership {
	case "memberOf":
		var out []*group
		for _, dn := range p.memberOf {
			if g := ix.byDN[normDN(dn)]; g != nil {
				out = append(out, g)
			}
		}
		return out
	case "memberUid":
		return ix.byMember[p.memberValue]
	}
	return ix.byMember[normDN(p.DN)]
}

// memberships returns the names of p's groups: the direct ones and, when
// nested, every group reachable through parents. Each group is visited once,
// so a cycle of groups ends where it closes.
func (ix *groupIndex) memberships(p *Person, membership string, nested bool) []string {
	seen := map[*group]bool{}
	queue := slices.Clone(ix.direct(p, membership))
	var names []string
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		if seen[g] {
			continue
		}
		seen[g] = true
		names = append(names, g.name)
		if nested {
			queue = append(queue, g.parents...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// applyGroups sets p's groups and roles from the index, and disables p when
// a required group is configured and p is not in it.
func (d *Directory) applyGroups(p *Person, ix *groupIndex) {
	g := d.cfg.Groups
	if g.BaseDN == "" || ix == nil {
		return
	}
	p.Groups = ix.memberships(p, g.Membership, g.Nested)
	var roles []string
	for _, name := range p.Groups {
		for group, rs := range g.Roles {
			if strings.EqualFold(group, name) {
				roles = append(roles, rs...)
			}
		}
	}
	slices.Sort(roles)
	p.Roles = slices.Compact(roles)
	if g.Required != "" && !slices.ContainsFunc(p.Groups, func(n string) bool { return strings.EqualFold(n, g.Required) }) && !p.Disabled {
		p.Disabled, p.DisabledReason = true, "directory: not a member of "+g.Required+" in "+d.cfg.Name
	}
}
