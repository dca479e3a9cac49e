package oauth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"github.com/dinhdanh/dinhdanh/store"
)

// The refresh reuse window.
//
// When a rotation commits, the rotated token keeps its successor: the new
// refresh token of that answer, sealed (AES-256-GCM) under
// a key derived from the rotated token itself, which the server does not
// keep (only its signature), with the rotated token's signature and client
// as additional data. Only whoever presents the rotated token can open it.
//
// The same token presented again by the same client within the window
// (Options.RefreshReuseWindow) after the rotation is answered with the same
// refresh token, a new access token of the same family (added beside the
// rotation's own, which the client may hold, rather than replacing it) and a
// new ID token whose at_hash is that access token's, as long as the
// successor is still active: a client whose answer was lost retries without
// losing its family. Another client gets invalid_grant (fosite's client
// check), and changes nothing. After the window, or when the successor was
// itself rotated or revoked, the presentation is reuse: the family is
// revoked. A request that loses a true race (both in flight, the other's
// rotation committed first) is answered with the winner's successor within
// the window, and with invalid_grant otherwise, never with a second
// successor. With the window off (0) the loser is treated as reuse.

// handover is the sealed successor of a rotated refresh token.
type handover struct {
	Refresh string `json:"rt"`
}

// handoverKey derives the sealing key from the presented refresh token.
func handoverKey(presented string) []byte {
	sum := sha256.Sum256([]byte("dinhdanh refresh successor\x00" + presented))
	return sum[:]
}

func handoverAAD(sig, clientID string) []byte { return []byte(sig + "\x00" + clientID) }

// sealHandover seals h for the holder of the presented token with signature
// sig, issued to clientID.
func sealHandover(h *handover, presented, sig, clientID string) ([]byte, error) {
	plain, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(handoverKey(presented))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, handoverAAD(sig, clientID)), nil
}

// openHandover opens what sealHandover sealed; an error when presented is
// not the token it was sealed for.
func openHandover(sealed []byte, presented, sig, clientID string) (*handover, error) {
	block, err := aes.NewCipher(handoverKey(presented))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("oauth: sealed successor too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], handoverAAD(sig, clientID))
	if err != nil {
		return nil, err
	}
	var h handover
	if err := json.Unmarshal(plain, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// PresentRefreshToken tells the token request (TokenExchange) which refresh
// token its client presented: the key to the successor of a token rotated
// within the reuse window.
func (s *Storage) PresentRefreshToken(ctx context.Context, token string) {
	if e := exchangeOf(ctx); e != nil {
		e.presented = token
	}
}

// RefreshGrace returns the refresh token this token request answers with,
// when it presented a token rotated within the reuse window: the successor
// of that rotation. ok is false otherwise.
func (s *Storage) RefreshGrace(ctx context.Context) (refresh string, ok bool) {
	e := exchangeOf(ctx)
	if e == nil || e.grace == nil {
		return "", false
	}
	return e.grace.Refresh, true
}

// RefreshLost reports whether this token request lost the rotation of its
// refresh token to another request and has no successor to answer with:
// it is answered invalid_grant.
func (s *Storage) RefreshLost(ctx context.Context) bool {
	e := exchangeOf(ctx)
	return e != nil && e.refreshLost
}

// graceOf returns the successor of the inactive token t for the token
// request, when t was rotated within the reuse window, the presented token
// opens its seal and the successor is still active; nil otherwise.
func (s *Storage) graceOf(ctx context.Context, t *store.RefreshToken) (*handover, error) {
	e := exchangeOf(ctx)
	if e == nil || s.reuseWindow <= 0 || e.presented == "" || t.RotatedAt.IsZero() || t.Successor == "" ||
		len(t.SuccessorSeal) == 0 || s.now().Sub(t.RotatedAt) > s.reuseWindow {
		return nil, nil
	}
	h, err := openHandover(t.SuccessorSeal, e.presented, t.Signature, t.ClientID)
	if err != nil {
		return nil, nil
	}
	succ, err := s.durable.GetRefreshToken(ctx, t.Successor)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !succ.Active {
		return nil, nil
	}
	return h, nil
}

// withinWindow reports whether t was rotated within the reuse window.
func (s *Storage) withinWindow(t *store.RefreshToken) bool {
	return s.reuseWindow > 0 && !t.RotatedAt.IsZero() && s.now().Sub(t.RotatedAt) <= s.reuseWindow
}
