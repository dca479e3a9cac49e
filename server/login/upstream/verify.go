package upstream

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// identityClaims is what a provider's checked answer says of the person.
type identityClaims struct {
	sub     string
	sid     string // the ID token's sid, "" when none
	idToken string // the ID token as received
	acr     string // the ID token's acr, "" when none
	amr     []string
	claims  map[string]any // the ID token's claims, then the userinfo's
}

// verify exchanges the code and checks the answer; a failure to reach the
// provider wraps errUnreachable.
func (s *Step) verify(ctx context.Context, p *provider, code string, pend pending) (*identityClaims, error) {
	if code == "" {
		return nil, errors.New("no code")
	}
	ctx, cancel := context.WithTimeout(s.clientContext(ctx), p.Timeout)
	defer cancel()
	oid, err := s.discover(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery: %v", errUnreachable, err)
	}
	conf := s.oauth(p, oid)
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(pend.Verifier)}
	if p.ClientAuth == authPrivateKeyJWT {
		assertion, err := p.PrivateKey.assertion(p.ClientID, conf.Endpoint.TokenURL, p.Issuer, time.Now())
		if err != nil {
			return nil, fmt.Errorf("client assertion: %w", err)
		}
		opts = append(opts, oauth2.SetAuthURLParam("client_assertion_type", clientAssertionType),
			oauth2.SetAuthURLParam("client_assertion", assertion))
	}
	tok, err := conf.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, classify("token", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token response has no ID token")
	}
	// Signature against the provider's keys, iss, aud and expiry.
	idt, err := oid.Verifier(&oidc.Config{ClientID: p.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, classify("ID token", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pend.Nonce)) != 1 {
		return nil, errors.New("the ID token's nonce is not the one sent")
	}
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		return nil, err
	}
	azp, _ := c["azp"].(string)
	if (len(idt.Audience) > 1 || azp != "") && azp != p.ClientID {
		return nil, fmt.Errorf("the ID token's azp %q is not dinhdanh's client", azp)
	}
	if idt.Subject == "" {
		return nil, errors.New("the ID token has no sub")
	}
	out := &identityClaims{sub: idt.Subject, claims: c, idToken: raw}
	out.acr, _ = c["acr"].(string)
	out.sid, _ = c["sid"].(string)
	if amr, ok := c["amr"].([]any); ok {
		for _, v := range amr {
			if s, ok := v.(string); ok && s != "" {
				out.amr = append(out.amr, s)
			}
		}
	}
	if oid.UserInfoEndpoint() == "" {
		return out, nil
	}
	ui, err := oid.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, classify("userinfo", err)
	}
	if ui.Subject != idt.Subject {
		return nil, fmt.Errorf("the userinfo's sub %q is not the ID token's", ui.Subject)
	}
	var u map[string]any
	if err := ui.Claims(&u); err != nil {
		return nil, err
	}
	for k, v := range u {
		if _, ok := c[k]; !ok {
			c[k] = v
		}
	}
	return out, nil
}

// classify marks err as a failure to reach the provider when it is one.
func classify(what string, err error) error {
	var ne net.Error
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%s: %w", what, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne):
		return fmt.Errorf("%w: %s: %v", errUnreachable, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// text returns the claim's value as text ("" when absent): a string, or a
// number written without exponent.
func (c *identityClaims) text(name string) string {
	switch v := c.claims[name].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%.0f", v), ".")
	}
	return ""
}

// birthdate returns the claim parsed by layout as YYYY-MM-DD, "" when absent or malformed.
func (c *identityClaims) birthdate(name, layout string) string {
	v := c.text(name)
	if v == "" {
		return ""
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return ""
	}
	return t.Format("2006-01-02")
}
