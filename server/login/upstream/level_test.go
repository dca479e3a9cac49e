package upstream

import "testing"

func TestProviderLevel(t *testing.T) {
	p := &Provider{Assurance: "LoA2", ACRMap: map[string]string{
		"http://eidas.europa.eu/LoA/low": "LoA1", "http://eidas.europa.eu/LoA/high": "LoA3"}}
	for _, c := range []struct{ acr, want string }{
		{"http://eidas.europa.eu/LoA/high", "LoA3"}, // mapped above assurance
		{"http://eidas.europa.eu/LoA/low", "LoA1"},  // mapped below assurance
		{"", "LoA2"},     // missing
		{"LoA3", "LoA2"}, // unmapped, even when it looks like a level
		{"http://eidas.europa.eu/LoA/substantial", "LoA2"}, // unmapped
	} {
		if got := p.Level(c.acr); got != c.want {
			t.Errorf("Level(%q) = %q, want %q", c.acr, got, c.want)
		}
	}
	none := &Provider{Assurance: "LoA1"}
	if got := none.Level("http://eidas.europa.eu/LoA/high"); got != "LoA1" {
		t.Errorf("without acr_map, Level = %q, want the assurance LoA1", got)
	}
}
