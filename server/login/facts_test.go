package login

import (
	"slices"
	"testing"
)

func TestEssentialACR(t *testing.T) {
	cases := []struct {
		claims    string
		values    []string
		essential bool
		bad       bool
	}{
		{"", nil, false, false},
		{`{"id_token":{"acr":{"essential":true,"values":["LoA2","LoA3"]}}}`, []string{"LoA2", "LoA3"}, true, false},
		{`{"id_token":{"acr":{"essential":true,"value":"LoA3"}}}`, []string{"LoA3"}, true, false},
		{`{"id_token":{"acr":{"values":["LoA2"]}}}`, []string{"LoA2"}, false, false},
		{`{"id_token":{"acr":null}}`, nil, false, false},
		{`{"id_token":{"acr":{"essential":true}}}`, nil, false, false},
		{`{"userinfo":{"acr":{"essential":true,"value":"LoA2"}}}`, nil, false, false},
		{`{"id_token":{"acr":"LoA2"}}`, nil, false, true},
		{`{acr`, nil, false, true},
		{`[]`, nil, false, true},
	}
	for _, c := range cases {
		values, essential, err := essentialACR(c.claims)
		if (err != nil) != c.bad || essential != c.essential || !slices.Equal(values, c.values) {
			t.Errorf("essentialACR(%s) = %v, %v, %v", c.claims, values, essential, err)
		}
	}
}

func TestLowestReachable(t *testing.T) {
	cases := []struct {
		values  []string
		current string
		want    string
	}{
		{[]string{"LoA3", "LoA2"}, "LoA1", "LoA2"},
		{[]string{"LoA3"}, "LoA2", ""},
		{[]string{"LoA3"}, "LoA3", "LoA3"},
		{[]string{"urn:other", "LoA1"}, "", "LoA1"},
		{nil, "LoA1", ""},
	}
	for _, c := range cases {
		if got := (Facts{}).lowestReachable(c.values, c.current); got != c.want {
			t.Errorf("lowestReachable(%v, %q) = %q, want %q", c.values, c.current, got, c.want)
		}
	}
}
