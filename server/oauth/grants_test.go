package oauth

import (
	"context"
	"errors"
	"testing"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/pkce"
)

func TestGrantOnlySkipsOtherGrants(t *testing.T) {
	ctx := context.Background()
	cfg := &fosite.Config{}
	cc := &oauth2.ClientCredentialsGrantHandler{Config: cfg}
	h := grantOnly{cc}

	// A refresh request: the client-credentials handler is not asked, and
	// fosite sees the error it skips.
	r := fosite.NewAccessRequest(&Session{})
	r.GrantTypes = fosite.Arguments{"refresh_token"}
	err := h.PopulateTokenEndpointResponse(ctx, r, fosite.NewAccessResponse())
	if !errors.Is(err, fosite.ErrUnknownRequest) {
		t.Fatalf("refresh_token: got %v, want ErrUnknownRequest", err)
	}

	// A client-credentials request reaches the handler: with a client that
	// may not use the grant, it answers its own error.
	r = fosite.NewAccessRequest(&Session{})
	r.GrantTypes = fosite.Arguments{"client_credentials"}
	r.Client = &fosite.DefaultClient{ID: "c", GrantTypes: fosite.Arguments{"authorization_code"}}
	err = h.PopulateTokenEndpointResponse(ctx, r, fosite.NewAccessResponse())
	if !errors.Is(err, fosite.ErrUnauthorizedClient) {
		t.Fatalf("client_credentials: got %v, want the handler's ErrUnauthorizedClient", err)
	}

	// Every other method is the handler's own.
	if !h.CanHandleTokenEndpointRequest(ctx, r) || h.CanSkipClientAuth(ctx, r) {
		t.Fatal("CanHandleTokenEndpointRequest / CanSkipClientAuth are not the handler's")
	}
}

func TestGrantOnlyKeepsNoOpHandlers(t *testing.T) {
	// The PKCE handler populates nothing: for its own grant it still answers nil.
	h := grantOnly{&pkce.Handler{Config: &fosite.Config{}}}
	r := fosite.NewAccessRequest(&Session{})
	r.GrantTypes = fosite.Arguments{"authorization_code"}
	if err := h.PopulateTokenEndpointResponse(context.Background(), r, fosite.NewAccessResponse()); err != nil {
		t.Fatalf("authorization_code: got %v, want nil", err)
	}
}
