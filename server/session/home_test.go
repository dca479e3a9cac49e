package session

import (
	"testing"

	"github.com/dinhdanh/dinhdanh/store"
)

func TestClientHome(t *testing.T) {
	for _, tc := range []struct {
		uris []string
		want string
	}{
		{[]string{"https://dichvucong.example.vn/oidc/callback?x=1", "https://other.example/cb"}, "https://dichvucong.example.vn/"},
		{[]string{"http://127.0.0.1:8081/callback"}, "http://127.0.0.1:8081/"},
		{[]string{"vn.gov.app:/callback"}, ""},
		{[]string{"javascript:alert(1)//x"}, ""},
		{[]string{"https://user:pw@example.vn/cb"}, ""},
		{nil, ""},
	} {
		if got := ClientHome(&store.Client{RedirectURIs: tc.uris}); got != tc.want {
			t.Errorf("ClientHome(%v) = %q, want %q", tc.uris, got, tc.want)
		}
	}
	if ClientHome(nil) != "" {
		t.Error("ClientHome(nil) is not empty")
	}
}
