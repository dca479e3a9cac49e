package oauth

import (
	"context"

	"github.com/ory/fosite"
)

// grantOnly asks a token endpoint handler to populate a response only for
// the requests it handles. fosite calls PopulateTokenEndpointResponse of
// every handler for every token request; a handler that does not handle the
// grant returns errorsx.WithStack(fosite.ErrUnknownRequest), which captures a
// stack trace: five of them per token request, on the hottest endpoint.
// fosite skips a handler that answers fosite.ErrUnknownRequest whether it
// carries a stack or not, so answering the bare error for a request the
// handler cannot handle changes nothing but the cost.
type grantOnly struct{ fosite.TokenEndpointHandler }

var _ fosite.TokenEndpointHandler = grantOnly{}

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler.
func (h grantOnly) PopulateTokenEndpointResponse(ctx context.Context, r fosite.AccessRequester, resp fosite.AccessResponder) error {
	if !h.CanHandleTokenEndpointRequest(ctx, r) {
		return fosite.ErrUnknownRequest
	}
	return h.TokenEndpointHandler.PopulateTokenEndpointResponse(ctx, r, resp)
}

// tokenEndpointHandlers wraps each handler in grantOnly.
func tokenEndpointHandlers(hs ...fosite.TokenEndpointHandler) fosite.TokenEndpointHandlers {
	out := make(fosite.TokenEndpointHandlers, len(hs))
	for i, h := range hs {
		out[i] = grantOnly{h}
	}
	return out
}
