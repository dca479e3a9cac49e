package config

import "strings"

// Admin configures delegated administration (the admin console and API, and the roles of
// "dinhdanh account grant-role").
type Admin struct {
	// Agencies lists the province's agencies (cơ quan, đơn vị) with their parent, so that a role granted with
	// sub_units reaches the agency's sub-units at any depth. Name is the agency as officials' records carry it
	// (an LDAP directory's agency, an official's --agency) and as roles name it. An agency not listed has no
	// sub-units and no parent; a role in it covers it alone. Default: none ([]).
	Agencies []Agency `yaml:"agencies"`
}

// Agency is one agency of the tree of Admin.Agencies.
type Agency struct {
	// Name is the agency's name, unique among agencies, at most 200 characters. Required; no default.
	Name string `yaml:"name"`
	// Parent is the name of the agency it is a sub-unit of, one of Admin.Agencies; "" for a top-level agency.
	// Parents must not form a cycle. Default "".
	Parent string `yaml:"parent"`
}

// AgencyParents returns the parent of each listed agency, by name.
func (a Admin) AgencyParents() map[string]string {
	m := make(map[string]string, len(a.Agencies))
	for _, x := range a.Agencies {
		m[strings.TrimSpace(x.Name)] = strings.TrimSpace(x.Parent)
	}
	return m
}

func (c *Config) validateAdmin(v *validator) {
	parents := map[string]string{}
	for i, a := range c.Admin.Agencies {
		name := strings.TrimSpace(a.Name)
		switch _, dup := parents[name]; {
		case name == "":
			v.add("admin.agencies", "entry %d has no name", i+1)
		case len(name) > 200:
			v.add("admin.agencies", "entry %d: the name is longer than 200 characters", i+1)
		case dup:
			v.add("admin.agencies", "%q is listed twice", name)
		}
		parents[name] = strings.TrimSpace(a.Parent)
	}
	cycle := false
	for _, a := range c.Admin.Agencies {
		name := strings.TrimSpace(a.Name)
		parent := parents[name]
		if _, ok := parents[parent]; parent != "" && !ok {
			v.add("admin.agencies", "the parent %q of %q is not listed", parent, name)
		}
		seen := map[string]bool{name: true}
		for p := parent; p != "" && !cycle; p = parents[p] {
			if seen[p] {
				v.add("admin.agencies", "%q is its own ancestor: parents form a cycle", name)
				cycle = true // one report for the whole cycle
			}
			seen[p] = true
		}
	}
}
