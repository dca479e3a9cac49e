package login

import (
	"testing"
)

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
