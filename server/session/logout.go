package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
)

// Why a session ended (the reason recorded with each notification).
const (
	ReasonLogout    = "logout"     // the person logged out (here or at an application)
	ReasonLogoutAll = "logout_all" // the person signed out everywhere
	ReasonAdmin     = "admin"      // an administrator ended the sessions
	ReasonDisabled  = "disabled"   // the account was locked or disabled (also by directory sync)
	ReasonExpired   = "expired"    // idle timeout or absolute lifetime
	ReasonReplaced  = "replaced"   // a new login in the same browser replaced it
	// ReasonPasswordChange: the person changed their password (their other sessions end).
	ReasonPasswordChange = "password_change"
	// ReasonPasswordReset: the account's password was reset (every session ends).
	ReasonPasswordReset = "password_reset"
)

// BackchannelEvent is the event member of a logout token.
const BackchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutStore is what logout needs of the durable store.
type LogoutStore interface {
	store.SessionIndex
	store.LogoutQueue
	store.SessionRefreshTokens
	GetClient(ctx context.Context, id string) (*store.Client, error)
}

// Logout ends sessions and tells every application that took part in them:
// back-channel logout tokens are queued durably and POSTed by a worker with
// retries and backoff; refresh tokens issued through the session are
// revoked, except offline_access ones. Every end is recorded in the audit
// log. Build it with NewLogout.
type Logout struct {
	Sessions *Manager
	Store    LogoutStore
	Signer   *keys.Signer
	Issuer   string
	HTTP     *http.Client
	Log      *slog.Logger
	Now      func() time.Time
	// MaxAge is how long a notification is retried before it is given up (default 24h).
	MaxAge time.Duration
	// MaxBackoff caps the delay between attempts (default 10 minutes).
	MaxBackoff time.Duration
	// SweepInterval is how often Run looks for sessions that expired, to
	// announce their end (default: a quarter of the shortest idle timeout of
	// Sessions, at least 1 second and at most 30 seconds).
	SweepInterval time.Duration
	// PerHost is how many notifications are sent at once to one host
	// (default 4): a host that hangs holds only its own notifications back.
	PerHost int
	// Lease is how long a claimed batch is held before another node may
	// claim it (default 1 minute); the lease is renewed every third of it
	// while the batch is being sent, so a batch may outlive it.
	Lease time.Duration

	recorder *audit.Recorder
	stats    *deliveryStats
}

// deliveryStats are the counters behind Stats.
type deliveryStats struct{ delivered, retried, failed atomic.Int64 }

// NewLogout returns l ready to use, recording the end of every session
// through rec. It panics when rec is nil.
func NewLogout(l Logout, rec *audit.Recorder) *Logout {
	if rec == nil {
		panic("session: NewLogout needs an audit recorder")
	}
	l.recorder, l.stats = rec, &deliveryStats{}
	return &l
}

func (l *Logout) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Ended describes a session that was ended, for the front-channel page.
type Ended struct {
	ID      string
	Subject string
	Clients []string
}

// End ends one live session, durable part first: its refresh tokens
// (except offline ones) are revoked, back-channel notifications are queued
// for its clients and its durable trace is removed, all before the session
// is removed from the ephemeral store. An error therefore leaves the session
// live, so that ending it again (the person's retry) completes the logout;
// nil means the tokens are dead and the notifications queued. The clients
// notified are those the session has as read, as stored, as its trace
// records, and as it is removed (a client that an authorization added a
// moment before is told too). Of concurrent ends of one session (two nodes,
// a sweep) only one queues the notifications and records the end.
func (l *Logout) End(ctx context.Context, s *SSO, reason, actor string) error {
	clients := s.Clients
	switch cur, err := l.Sessions.Lookup(ctx, s.ID); {
	case err == nil:
		clients = union(clients, cur.Clients)
	case !errors.Is(err, ErrNoSession):
		return err
	}
	ref := &store.SessionRef{ID: s.ID, Subject: s.AccountID, Clients: clients}
	if err := l.traced(ctx, ref); err != nil {
		return err
	}
	queued, err := l.finish(ctx, ref, reason, actor)
	if err != nil {
		return err
	}
	return l.forget(ctx, s, ref, queued, reason)
}

// traced adds to ref the clients its durable trace records.
func (l *Logout) traced(ctx context.Context, ref *store.SessionRef) error {
	if ref.Subject == "" {
		return nil
	}
	refs, err := l.Store.SessionRefsOfSubject(ctx, ref.Subject)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.ID == ref.ID {
			ref.Clients = union(ref.Clients, r.Clients)
		}
	}
	return nil
}

// forget removes the session, whose durable part has ended (see finish),
// from the ephemeral store. A client that an authorization added between
// the durable part and the removal is told and its tokens revoked, when this
// call queued the session's notifications (queued): otherwise the call that
// did tells it. s.Clients becomes every client of the session.
func (l *Logout) forget(ctx context.Context, s *SSO, ref *store.SessionRef, queued bool, reason string) error {
	taken, err := l.Sessions.Take(ctx, s.ID)
	switch {
	case errors.Is(err, ErrNoSession):
		s.Clients = ref.Clients
		return nil
	case err != nil:
		return err
	}
	var late []string
	for _, c := range taken.Clients {
		if !slices.Contains(ref.Clients, c) {
			late = append(late, c)
		}
	}
	s.Clients = union(ref.Clients, late)
	if len(late) == 0 || !queued {
		return nil
	}
	if _, err := l.Store.RevokeSessionRefreshTokens(ctx, ref.ID); err != nil {
		return err
	}
	ds, err := l.deliveries(ctx, &store.SessionRef{ID: ref.ID, Subject: ref.Subject, Clients: late}, reason)
	if err != nil {
		return err
	}
	return l.Store.EnqueueLogouts(ctx, ds)
}

// union returns a with the members of b it lacks appended.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// finish is the durable part of a session's end: it revokes the session's
// refresh tokens, then queues the notifications in the transaction that
// removes the session's durable trace, so that of several nodes ending the
// same session (a logout and a sweep, or two sweeps) exactly one queues
// them and records the end; without a trace (a manager with no index) they
// are queued directly. It reports whether this call queued them.
func (l *Logout) finish(ctx context.Context, ref *store.SessionRef, reason, actor string) (bool, error) {
	if _, err := l.Store.RevokeSessionRefreshTokens(ctx, ref.ID); err != nil {
		return false, err
	}
	ds, err := l.deliveries(ctx, ref, reason)
	if err != nil {
		return false, err
	}
	err = l.Store.EndSessionRef(ctx, ref.ID, ds)
	if errors.Is(err, store.ErrNotFound) {
		if l.Sessions != nil && l.Sessions.Index != nil {
			// Another node ended the session and queued its notifications,
			// or an earlier try of this end did before it failed.
			return false, nil
		}
		err = l.Store.EnqueueLogouts(ctx, ds)
	}
	if err != nil {
		return false, err
	}
	if actor == "" {
		actor = ref.Subject
	}
	// The session has ended whether or not its record could be written; a
	// failed write is logged by the recorder.
	_ = l.recorder.Record(ctx, audit.Entry{Event: audit.SessionEnd, Actor: actor, Subject: ref.Subject,
		Details: map[string]string{"sid": ref.ID, "reason": reason, "clients": strings.Join(ref.Clients, " "),
			"notifications": fmt.Sprint(len(ds))}})
	return true, nil
}

// deliveries returns the back-channel notifications of the end of the
// session ref to those of its clients that have a back-channel logout URI.
func (l *Logout) deliveries(ctx context.Context, ref *store.SessionRef, reason string) ([]*store.LogoutDelivery, error) {
	var ds []*store.LogoutDelivery
	for _, cid := range ref.Clients {
		c, err := l.Store.GetClient(ctx, cid)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.BackchannelLogoutURI == "" {
			continue
		}
		ds = append(ds, &store.LogoutDelivery{ClientID: c.ID, URI: c.BackchannelLogoutURI, Subject: ref.Subject,
			SessionID: ref.ID, JTI: randomID(), Reason: reason})
	}
	return ds, nil
}

// EndAll ends every session of the account (live ones and those the
// ephemeral store already lost), each as End does (durable part first), and
// returns them. On an error the sessions not yet ended stay live, so that
// calling it again completes the work.
func (l *Logout) EndAll(ctx context.Context, subject, reason, actor string) ([]Ended, error) {
	live, err := l.Sessions.OfSubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	var out []Ended
	seen := map[string]bool{}
	for _, s := range live {
		seen[s.ID] = true
		if err := l.End(ctx, s, reason, actor); err != nil {
			return out, err
		}
		out = append(out, Ended{ID: s.ID, Subject: s.AccountID, Clients: s.Clients})
	}
	refs, err := l.Store.SessionRefsOfSubject(ctx, subject)
	if err != nil {
		return out, err
	}
	for _, ref := range refs {
		if seen[ref.ID] {
			continue
		}
		queued, err := l.finish(ctx, ref, reason, actor)
		if err != nil {
			return out, err
		}
		s := &SSO{ID: ref.ID, AccountID: ref.Subject}
		if err := l.forget(ctx, s, ref, queued, reason); err != nil {
			return out, err
		}
		out = append(out, Ended{ID: ref.ID, Subject: ref.Subject, Clients: s.Clients})
	}
	return out, nil
}

// Sweep announces the end of sessions that expired (idle or absolute) or
// that the ephemeral store lost, and moves forward the trace of those still
// alive. Several nodes may sweep at once: each session's end is queued by
// one of them (see finish). It returns how many sessions it ended (including
// ones another node announced at the same moment).
func (l *Logout) Sweep(ctx context.Context) (int, error) {
	now := l.now()
	refs, err := l.Store.DueSessionRefs(ctx, now, 200)
	if err != nil {
		return 0, err
	}
	ended := 0
	for _, ref := range refs {
		s, err := l.Sessions.Lookup(ctx, ref.ID)
		if err == nil {
			// Still in use: its expiry slid forward. A trace another node
			// removed meanwhile is not brought back.
			err := l.Store.UpdateSessionRef(ctx, &store.SessionRef{ID: s.ID, Subject: s.AccountID, Clients: s.Clients,
				ExpiresAt: l.Sessions.Expiry(s), CreatedAt: s.CreatedAt})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return ended, err
			}
			continue
		}
		if !errors.Is(err, ErrNoSession) {
			return ended, err
		}
		if taken, err := l.Sessions.Take(ctx, ref.ID); err == nil {
			ref.Clients = union(ref.Clients, taken.Clients)
		}
		if _, err := l.finish(ctx, ref, ReasonExpired, "system"); err != nil {
			return ended, err
		}
		ended++
	}
	return ended, nil
}

// LogoutToken returns a signed logout token (OpenID Connect Back-Channel
// Logout 1.0 §2.4) for the client, signed with the client's ID-token algorithm.
func (l *Logout) LogoutToken(ctx context.Context, c *store.Client, subject, sid, jti string) (string, error) {
	now := l.now().UTC()
	claims := jwt.MapClaims{
		"iss": l.Issuer, "aud": c.ID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": jti,
		"events": map[string]any{BackchannelEvent: map[string]any{}},
	}
	if subject != "" {
		claims["sub"] = subject
	}
	if sid != "" {
		claims["sid"] = sid
	}
	alg := c.IDTokenAlgorithm
	if alg == "" {
		alg = keys.RS256
	}
	tok, _, err := l.Signer.Generate(ctx, claims, &jwt.Headers{Extra: map[string]any{keys.HeaderAlgorithm: alg, "typ": "logout+jwt"}})
	return tok, err
}

// deliver sends one notification; it returns nil on a 2xx answer.
func (l *Logout) deliver(ctx context.Context, d *store.LogoutDelivery) error {
	c, err := l.Store.GetClient(ctx, d.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return errGiveUp{errors.New("the client was deleted")}
	}
	if err != nil {
		return err
	}
	tok, err := l.LogoutToken(ctx, c, d.Subject, d.SessionID, d.JTI)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URI, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return errGiveUp{err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cache-Control", "no-store")
	client := l.HTTP
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the client answered %s", resp.Status)
	}
	return nil
}

type errGiveUp struct{ error }

// backoff returns the delay before the next attempt after n failed attempts.
func (l *Logout) backoff(n int) time.Duration {
	maxB := l.MaxBackoff
	if maxB <= 0 {
		maxB = 10 * time.Minute
	}
	d := time.Second
	for i := 1; i < n && d < maxB; i++ {
		d *= 2
	}
	if d > maxB {
		d = maxB
	}
	return d
}

// deliveryBatch is how many notifications Deliver claims at once.
const deliveryBatch = 50

func (l *Logout) lease() time.Duration {
	if l.Lease > 0 {
		return l.Lease
	}
	return time.Minute
}

// Deliver works the queue once: it claims due notifications, sends them —
// concurrently, at most PerHost at a time to one host — and records each
// outcome. While the batch is being sent its claim is renewed, so no other
// node claims the same notifications; an outcome is recorded only under
// the claim that sent it (a node that lost its claim records nothing). It
// returns how many it claimed.
func (l *Logout) Deliver(ctx context.Context) (int, error) {
	lease := l.lease()
	ds, err := l.Store.ClaimLogouts(ctx, l.now(), lease, deliveryBatch)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	renewing, stopRenewing := context.WithCancel(ctx)
	var renewer sync.WaitGroup
	renewer.Go(func() { l.renew(renewing, ds[0].Claim, lease) })

	perHost := l.PerHost
	if perHost <= 0 {
		perHost = 4
	}
	slots := map[string]chan struct{}{}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, d := range ds {
		host := hostOf(d.URI)
		if slots[host] == nil {
			slots[host] = make(chan struct{}, perHost)
		}
		slot := slots[host]
		wg.Go(func() {
			slot <- struct{}{}
			defer func() { <-slot }()
			if err := l.attempt(ctx, d); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stopRenewing()
	renewer.Wait()
	return len(ds), firstErr
}

// renew keeps the batch's claim until ctx ends.
func (l *Logout) renew(ctx context.Context, claim string, lease time.Duration) {
	t := time.NewTicker(max(lease/3, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := l.Store.RenewLogoutClaim(ctx, claim, l.now().Add(lease)); err != nil && ctx.Err() == nil {
				l.Log.Warn("renewing the claim of back-channel logout notifications", "err", err)
			}
		}
	}
}

// attempt sends one claimed notification and records the outcome.
func (l *Logout) attempt(ctx context.Context, d *store.LogoutDelivery) error {
	maxAge := l.MaxAge
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	err := l.deliver(ctx, d)
	d.Attempts++
	now := l.now()
	var gu errGiveUp
	switch {
	case err == nil:
		d.State, d.LastError = store.DeliveryDelivered, ""
		l.stats.delivered.Add(1)
	case errors.As(err, &gu) || now.Sub(d.CreatedAt) > maxAge:
		d.State, d.LastError = store.DeliveryFailed, truncateErr(err)
		l.stats.failed.Add(1)
		l.Log.Warn("back-channel logout given up", "client", d.ClientID, "uri", d.URI, "attempts", d.Attempts, "err", err)
	default:
		d.LastError, d.NextAttemptAt = truncateErr(err), now.Add(l.backoff(d.Attempts))
		l.stats.retried.Add(1)
		l.Log.Info("back-channel logout will be retried", "client", d.ClientID, "attempts", d.Attempts, "next", d.NextAttemptAt, "err", err)
	}
	ferr := l.Store.FinishLogout(ctx, d)
	if errors.Is(ferr, store.ErrChanged) {
		// The claim was lost (this node stalled past its lease): the node
		// that holds the notification now records it.
		l.Log.Warn("back-channel logout outcome not recorded: the claim was lost", "client", d.ClientID, "id", d.ID)
		return nil
	}
	return ferr
}

// hostOf returns the host (with port) of a URI, the unit of PerHost.
func hostOf(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		return u.Host
	}
	return uri
}

func truncateErr(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// Stats are the in-process counters of this node's deliveries.
type Stats struct{ Delivered, Retried, Failed int64 }

// Stats returns this node's delivery counters since start.
func (l *Logout) Stats() Stats {
	return Stats{Delivered: l.stats.delivered.Load(), Retried: l.stats.retried.Load(), Failed: l.stats.failed.Load()}
}

// Run works the queue every interval given, sweeps expired sessions every
// SweepInterval, until ctx ends (the node's minute sweep purges finished
// notifications: app.App.Sweep).
func (l *Logout) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	sweep := time.NewTicker(l.sweepInterval())
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				n, err := l.Deliver(ctx)
				if err != nil {
					if ctx.Err() == nil {
						l.Log.Warn("back-channel logout queue", "err", err)
					}
					break
				}
				if n == 0 {
					break
				}
			}
		case <-sweep.C:
			if _, err := l.Sweep(ctx); err != nil && ctx.Err() == nil {
				l.Log.Warn("sweeping expired sessions", "err", err)
			}
		}
	}
}

// sweepInterval returns how often Run sweeps: often enough that an expired
// session is announced well within its idle timeout.
func (l *Logout) sweepInterval() time.Duration {
	if l.SweepInterval > 0 {
		return l.SweepInterval
	}
	d := 30 * time.Second
	if l.Sessions != nil {
		for _, idle := range []time.Duration{l.Sessions.IdleTimeout, l.Sessions.OfficialIdleTimeout} {
			if idle > 0 && idle/4 < d {
				d = idle / 4
			}
		}
	}
	return max(d, time.Second)
}

func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
