package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// SSO is one single sign-on session.
type SSO struct {
	ID        string    `json:"id"`
	AccountID string    `json:"sub"`
	Capacity  string    `json:"cap"`
	AuthTime  time.Time `json:"auth_time"`
	ACR       string    `json:"acr"`
	AMR       []string  `json:"amr"`
	Clients   []string  `json:"clients,omitempty"`
	CreatedAt time.Time `json:"created"`
	LastSeen  time.Time `json:"seen"`
	UserAgent string    `json:"ua,omitempty"`
	Address   string    `json:"addr,omitempty"`
	// Upstream names the upstream provider the login went through ("" for
	// none); UpstreamSub and UpstreamSID are the provider's sub and sid of
	// that login, which its back-channel logout tokens name.
	Upstream    string `json:"up,omitempty"`
	UpstreamSub string `json:"up_sub,omitempty"`
	UpstreamSID string `json:"up_sid,omitempty"`
	// UpstreamIDToken is the provider's ID token of that login, the
	// id_token_hint of the logout sent to the provider.
	UpstreamIDToken string `json:"up_idt,omitempty"`
}

// HasClient reports whether the client received tokens through the session.
func (s *SSO) HasClient(id string) bool {
	for _, c := range s.Clients {
		if c == id {
			return true
		}
	}
	return false
}

// Manager creates, finds and ends sessions.
type Manager struct {
	Store store.Ephemeral
	// Index, when set, keeps a durable trace of every session so that its
	// end can be announced even after the ephemeral store lost it.
	Index      store.SessionIndex
	CookieName string
	// IdleTimeout and AbsoluteLifetime apply to citizens' sessions.
	IdleTimeout      time.Duration
	AbsoluteLifetime time.Duration
	// OfficialIdleTimeout and OfficialAbsoluteLifetime apply to sessions of
	// logins in the official capacity (zero: the citizens' values).
	OfficialIdleTimeout      time.Duration
	OfficialAbsoluteLifetime time.Duration
	Secure                   bool
	Now                      func() time.Time
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// idFromToken derives the public session id from the cookie token.
func idFromToken(token string) string {
	sum := sha256.Sum256([]byte("dinhdanh-sid:" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// limits returns the idle timeout and absolute lifetime of the session's kind.
func (m *Manager) limits(s *SSO) (idle, abs time.Duration) {
	idle, abs = m.IdleTimeout, m.AbsoluteLifetime
	if s.Capacity == "official" {
		if m.OfficialIdleTimeout > 0 {
			idle = m.OfficialIdleTimeout
		}
		if m.OfficialAbsoluteLifetime > 0 {
			abs = m.OfficialAbsoluteLifetime
		}
	}
	return idle, abs
}

// Expiry returns when the session ends unless it is used again.
func (m *Manager) Expiry(s *SSO) time.Time {
	idleFor, absFor := m.limits(s)
	idle := s.LastSeen.Add(idleFor)
	abs := s.CreatedAt.Add(absFor)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

func (m *Manager) put(ctx context.Context, s *SSO) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.Store.PutRecord(ctx, store.KindSSOSession, &store.Record{Key: s.ID, Subject: s.AccountID, Data: data, ExpiresAt: m.Expiry(s)})
}

// index records the session's durable trace.
func (m *Manager) index(ctx context.Context, s *SSO) error {
	if m.Index == nil {
		return nil
	}
	return m.Index.PutSessionRef(ctx, &store.SessionRef{ID: s.ID, Subject: s.AccountID, Clients: s.Clients,
		ExpiresAt: m.Expiry(s), CreatedAt: s.CreatedAt})
}

// Create starts a new session for the login and sets its cookie. A session
// the browser already had is ended first (no session fixation).
func (m *Manager) Create(ctx context.Context, w http.ResponseWriter, r *http.Request, s *SSO) error {
	if old, err := m.Get(ctx, r); err == nil {
		// The replaced session is gone from the browser; its trace stays in
		// the index, so its clients are told when it is swept.
		_ = m.Store.DeleteRecord(ctx, store.KindSSOSession, old.ID)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := m.now().UTC()
	s.ID = idFromToken(token)
	s.CreatedAt, s.LastSeen = now, now
	if err := m.put(ctx, s); err != nil {
		return err
	}
	if err := m.index(ctx, s); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: m.CookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: m.Secure, SameSite: http.SameSiteLaxMode})
	// Later reads in this request (the pages and CSRF tokens of the same
	// answer) see the new session.
	web.SetRequestCookie(r, m.CookieName, token)
	return nil
}

// ErrNoSession is returned when the browser has no live session.
var ErrNoSession = errors.New("no session")

// Get returns the browser's live session and slides its idle expiry.
func (m *Manager) Get(ctx context.Context, r *http.Request) (*SSO, error) {
	c, err := r.Cookie(m.CookieName)
	if err != nil || len(c.Value) < 40 || len(c.Value) > 64 {
		return nil, ErrNoSession
	}
	s, rec, err := m.lookup(ctx, idFromToken(c.Value))
	if err != nil {
		return nil, err
	}
	now := m.now().UTC()
	if now.Sub(s.LastSeen) > m.touchInterval(s) {
		touched := *s
		touched.LastSeen = now
		switch err := m.swap(ctx, rec, &touched); {
		case err == nil:
			s = &touched
		case errors.Is(err, store.ErrChanged):
			// Another request touched or changed the session meanwhile:
			// its use is recorded, and the record is not overwritten.
			return m.Lookup(ctx, s.ID)
		case errors.Is(err, store.ErrNotFound):
			// Ended meanwhile (a logout): a touch never brings it back.
			return nil, ErrNoSession
		default:
			return nil, err
		}
	}
	return s, nil
}

// swap replaces the session's record, as read, with s: store.ErrChanged
// when it changed since it was read, store.ErrNotFound when it is gone.
func (m *Manager) swap(ctx context.Context, old *store.Record, s *SSO) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.Store.CompareAndSwapRecord(ctx, store.KindSSOSession, old,
		&store.Record{Key: s.ID, Subject: s.AccountID, Data: data, ExpiresAt: m.Expiry(s)})
}

// maxUpdateTries bounds the read-change-swap loop of update; each failed
// try means another writer succeeded, so the bound is only reached under a
// pathological storm of writes to one session.
const maxUpdateTries = 50

// update applies change to the live session id and stores it by
// compare-and-swap, reading it again as long as another writer changed it
// meanwhile: concurrent updates of one session lose none of their changes.
// change returns false when there is nothing to write. The session as
// stored is returned; ErrNoSession when it has ended (it is never created
// again).
func (m *Manager) update(ctx context.Context, id string, change func(s *SSO) bool) (*SSO, error) {
	for range maxUpdateTries {
		s, rec, err := m.lookup(ctx, id)
		if err != nil {
			return nil, err
		}
		if !change(s) {
			return s, nil
		}
		switch err := m.swap(ctx, rec, s); {
		case err == nil:
			return s, nil
		case errors.Is(err, store.ErrNotFound):
			return nil, ErrNoSession
		case !errors.Is(err, store.ErrChanged):
			return nil, err
		}
	}
	return nil, errors.New("session: too many concurrent updates of one session")
}

// touchInterval is how long after the last recorded use a new use of the
// session is recorded (and its idle expiry moved): a minute, to spare the
// store a write per request, or a quarter of the idle timeout when that is
// shorter, so that a session in use never reaches its idle timeout.
func (m *Manager) touchInterval(s *SSO) time.Duration {
	idle, _ := m.limits(s)
	return min(time.Minute, idle/4)
}

// Lookup returns a live session by id.
func (m *Manager) Lookup(ctx context.Context, id string) (*SSO, error) {
	s, _, err := m.lookup(ctx, id)
	return s, err
}

// lookup returns a live session by id with its record as read.
func (m *Manager) lookup(ctx context.Context, id string) (*SSO, *store.Record, error) {
	rec, err := m.Store.GetRecord(ctx, store.KindSSOSession, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	var s SSO
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return nil, nil, err
	}
	now := m.now()
	if now.After(m.Expiry(&s)) {
		return nil, nil, ErrNoSession
	}
	return &s, rec, nil
}

// AddClient records that the client received tokens through the session:
// the client is added to the session as stored (by compare-and-swap, so
// that concurrent authorizations of several clients lose none), then to its
// durable trace. s is brought up to date with the stored session. It
// returns ErrNoSession when the session has ended meanwhile.
func (m *Manager) AddClient(ctx context.Context, s *SSO, clientID string) error {
	cur, err := m.update(ctx, s.ID, func(cur *SSO) bool {
		if cur.HasClient(clientID) {
			return false
		}
		cur.Clients = append(cur.Clients, clientID)
		return true
	})
	if err != nil {
		return err
	}
	*s = *cur
	if m.Index == nil {
		return nil
	}
	err = m.Index.UpdateSessionRef(ctx, &store.SessionRef{ID: s.ID, Subject: s.AccountID, Clients: s.Clients,
		ExpiresAt: m.Expiry(s), CreatedAt: s.CreatedAt})
	if errors.Is(err, store.ErrNotFound) {
		// The session ended meanwhile; its end is being announced.
		return ErrNoSession
	}
	return err
}

// Upgrade records that the session reached a higher level of assurance
// (a second factor, a step-up) or that its person authenticated again: its
// acr and amr become those given. When authTime is not zero (a new
// authentication of the person, not only an added factor) it becomes the
// session's auth_time. The change is made on the session as stored (its
// clients are kept); s is brought up to date with it. It returns
// ErrNoSession when the session has ended meanwhile.
func (m *Manager) Upgrade(ctx context.Context, s *SSO, acr string, amr []string, authTime time.Time) error {
	cur, err := m.update(ctx, s.ID, func(cur *SSO) bool {
		cur.ACR, cur.AMR = acr, amr
		if !authTime.IsZero() {
			cur.AuthTime = authTime.UTC()
		}
		return true
	})
	if err != nil {
		return err
	}
	*s = *cur
	return nil
}

// SetUpstream records on the live session that its login went through the
// upstream provider, whose sub, sid and ID token of the login are given; s is brought
// up to date with the stored session. It returns ErrNoSession when the
// session has ended meanwhile.
func (m *Manager) SetUpstream(ctx context.Context, s *SSO, provider, sub, sid, idToken string) error {
	cur, err := m.update(ctx, s.ID, func(cur *SSO) bool {
		cur.Upstream, cur.UpstreamSub, cur.UpstreamSID, cur.UpstreamIDToken = provider, sub, sid, idToken
		return true
	})
	if err != nil {
		return err
	}
	*s = *cur
	if sid == "" {
		return nil
	}
	// The provider's logout token may name only its sid: an index record
	// finds the session by it. It lasts as long as the session can (its
	// absolute lifetime); OfUpstreamSID checks that the session still lives.
	_, abs := m.limits(cur)
	return m.Store.PutRecord(ctx, store.KindUpstreamSession, &store.Record{Key: cur.ID,
		Subject: upstreamSIDSubject(provider, sid), Data: []byte(cur.ID), ExpiresAt: cur.CreatedAt.Add(abs)})
}

// upstreamSIDSubject is the subject of the index records of the sessions of
// the provider's sid.
func upstreamSIDSubject(provider, sid string) string {
	sum := sha256.Sum256([]byte(provider + "\x00" + sid))
	return "upstream:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// OfUpstreamSID returns the live sessions of a login through the upstream
// provider whose session there is sid.
func (m *Manager) OfUpstreamSID(ctx context.Context, provider, sid string) ([]*SSO, error) {
	recs, err := m.Store.RecordsBySubject(ctx, store.KindUpstreamSession, upstreamSIDSubject(provider, sid))
	if err != nil {
		return nil, err
	}
	var out []*SSO
	for _, rec := range recs {
		s, err := m.Lookup(ctx, rec.Key)
		if errors.Is(err, ErrNoSession) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.Upstream == provider && s.UpstreamSID == sid {
			out = append(out, s)
		}
	}
	return out, nil
}

// Take removes the live session id from the ephemeral store and returns it
// as it was stored at that moment, atomically: of concurrent callers one
// gets it, the others get ErrNoSession.
func (m *Manager) Take(ctx context.Context, id string) (*SSO, error) {
	rec, err := m.Store.TakeRecord(ctx, store.KindSSOSession, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	var s SSO
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ClearCookie removes the session cookie from the browser.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: m.CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: m.Secure, SameSite: http.SameSiteLaxMode})
}

// Delete removes a session from the ephemeral store (its trace stays).
func (m *Manager) Delete(ctx context.Context, id string) error {
	return m.Store.DeleteRecord(ctx, store.KindSSOSession, id)
}

// OfSubject returns the live sessions of the account.
func (m *Manager) OfSubject(ctx context.Context, accountID string) ([]*SSO, error) {
	recs, err := m.Store.RecordsBySubject(ctx, store.KindSSOSession, accountID)
	if err != nil {
		return nil, err
	}
	now := m.now()
	var out []*SSO
	for _, rec := range recs {
		var s SSO
		if json.Unmarshal(rec.Data, &s) == nil && !now.After(m.Expiry(&s)) {
			out = append(out, &s)
		}
	}
	return out, nil
}
