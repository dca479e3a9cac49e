package oauth_test

import (
	"testing"

	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/store"
)

func TestClientAuthMethod(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client store.Client
		want   string
	}{
		{"public", store.Client{Public: true, TokenEndpointAuthMethod: "client_secret_post"}, "none"},
		{"confidential, default", store.Client{}, "client_secret_basic"},
		{"confidential, post", store.Client{TokenEndpointAuthMethod: "client_secret_post"}, "client_secret_post"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &oauth.Client{Client: &tc.client}
			if got := c.GetTokenEndpointAuthMethod(); got != tc.want {
				t.Fatalf("GetTokenEndpointAuthMethod = %q, want %q", got, tc.want)
			}
			if got := tc.client.AuthMethod(); got != tc.want {
				t.Fatalf("store.Client.AuthMethod = %q, want %q", got, tc.want)
			}
			if c.IsPublic() != tc.client.Public {
				t.Fatalf("IsPublic = %v, want %v", c.IsPublic(), tc.client.Public)
			}
			if oauth.ClientOf(c) != &tc.client {
				t.Fatal("ClientOf does not return the wrapped record")
			}
		})
	}
}
