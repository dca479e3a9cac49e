// Package redisstore keeps dinhdanh's ephemeral state in Redis: login flows,
// SSO sessions, authorization codes, PKCE/OIDC/PAR requests, client-assertion
// ids, opaque access-token records and the brute-force and rate-limit
// counters. It implements store.Ephemeral over a redis.UniversalClient, so one
// server, a Sentinel-watched master or a Cluster serve alike.
//
// Keys, all under a configurable prefix (default "dinhdanh:"):
//
//	<prefix>r:<kind>:<key>         a record (a string value, see below)
//	<prefix>qz:<kind>:<requestID>  the index of the kind's records of one request
//	<prefix>sz:<kind>:<subject>    the index of the kind's records of one subject
//	<prefix>n:<counter>            a counter
//	<prefix>l:<lease>              a lease (its holder; see AcquireLease)
//
// An index is a sorted set of record keys, each scored with its record's
// expiry in Unix milliseconds. (The indexes were plain sets under q: and s:
// before; those keys are no longer read.)
//
// Every key has a time to live: a record expires at its ExpiresAt, an index
// no earlier than its longest-lived member, a counter at the end of its
// window. Nothing is kept after Redis forgets it, which is why losing Redis
// logs people out and loses nothing else.
//
// Each operation that must be atomic touches one key only, in one command or
// one Lua script: TakeRecord reads and deletes the record in a script (of
// several nodes taking one item, exactly one gets it), MarkRecordUsed flips
// the record's used flag in a script that first checks it, Hit increments and
// sets the window in a script, Unhit decrements a counter above zero in a
// script (keeping its time to live). No script touches two keys, so every
// script is single-slot on a Cluster without hash tags, and records spread
// over the slots: a record is found by its key alone, which names no request,
// so it cannot share a slot with its request's index.
//
// The indexes are kept beside the records, and readers check each member
// against the record itself (a record replaced under another request or
// subject, or expired, is skipped), so an index may hold stale members but
// never causes a wrong answer. What an index must never do is lose a member
// whose record is live, or DeleteRecordsByRequest would leave that record
// behind. On a Cluster the record and its index live on different nodes and
// the commands of one pipeline reach them in no fixed order, so a deleter may
// see a member in the index before its record is written, find no record,
// and be followed by the write. Hence the rule: a member leaves an index only
// when its record was seen to exist and was deleted or found to belong to
// another request or subject, or when its score is past by more than
// pruneGrace (the record is dead whatever Redis still holds). A member whose
// record is simply absent stays until it expires. A revoke that starts after
// a put returned therefore finds the record, and deletes it. The rule
// assumes that a key is not put again under its request while that request
// is being deleted; the keys of the records of a request are fresh (token
// signatures), and a pipeline retried after NOSCRIPT sends again only the
// scripts that failed, never a write that was done.
//
// A record's value is compact binary: a format byte, a flags byte (bit 0:
// used), the expiry as 8 bytes of Unix milliseconds, the request id and the
// subject each as a 2-byte length and the bytes, then the data.
package redisstore

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dinhdanh/dinhdanh/store"
)

// DefaultKeyPrefix starts every key when Options.KeyPrefix is empty.
const DefaultKeyPrefix = "dinhdanh:"

// Options say how to reach Redis.
type Options struct {
	// Addrs are host:port addresses: one server, the Sentinels (with
	// MasterName), or seed nodes of a Cluster (two or more, or one with Cluster).
	Addrs []string
	// MasterName is the name of the master the Sentinels at Addrs watch; empty
	// when no Sentinel is used.
	MasterName string
	// Cluster says that one address in Addrs is a Cluster node.
	Cluster bool
	// Username and Password authenticate (Redis ACL, or requirepass with an empty username).
	Username, Password string
	// DB is the database number (one server or Sentinel; a Cluster has only 0).
	DB int
	// KeyPrefix starts every key; DefaultKeyPrefix when empty.
	KeyPrefix string
	// DialTimeout bounds opening a connection; ReadTimeout and WriteTimeout
	// bound one command. Zero keeps go-redis's defaults (5s, 3s, 3s).
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// TLS, when not nil, is used for every connection.
	TLS *tls.Config
	// PoolSize caps the connections per server; 0 keeps go-redis's default (10 per CPU).
	PoolSize int
}

// Store is the Redis ephemeral store.
type Store struct {
	c      redis.UniversalClient
	prefix string
	now    func() time.Time
	owned  bool
	where  string // the server as MemoryPolicy names it; "" for a client's own address
}

var _ store.Ephemeral = (*Store)(nil)

// Open connects to Redis as the options say and checks that it answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	if len(o.Addrs) == 0 {
		return nil, errors.New("redisstore: no address")
	}
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: o.Addrs, MasterName: o.MasterName, IsClusterMode: o.Cluster && o.MasterName == "",
		Username: o.Username, Password: o.Password, DB: o.DB,
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		TLSConfig: o.TLS, PoolSize: o.PoolSize,
		// A dinhdanh request fails fast and its node reports not-ready
		// rather than retrying an unreachable server for long.
		MaxRetries: 1, DialerRetries: 1,
		ContextTimeoutEnabled: true,
		DisableIdentity:       true,
	})
	s := New(c, o.KeyPrefix)
	s.owned = true
	if o.MasterName != "" {
		s.where = "the master " + o.MasterName
	} else if len(o.Addrs) == 1 && !o.Cluster {
		s.where = o.Addrs[0]
	}
	if err := s.Ping(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("connecting to Redis at %s: %w", strings.Join(o.Addrs, ","), err)
	}
	return s, nil
}

// New returns a store over a client; prefix "" means DefaultKeyPrefix. Close
// does not close a client passed to New.
func New(c redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	return &Store{c: c, prefix: prefix, now: time.Now}
}

// LogTo sends go-redis's own messages (a new master named by the Sentinels, a
// failed dial, a connection dropped) to log at level info; an outage is
// reported by whoever sees the commands fail. It sets a process-wide option
// of go-redis.
func LogTo(log *slog.Logger) { redis.SetLogger(slogLogger{log}) }

type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.InfoContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Client returns the underlying client.
func (s *Store) Client() redis.UniversalClient { return s.c }

// Ping reports whether Redis answers (on a Cluster: every master).
func (s *Store) Ping(ctx context.Context) error {
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() })
	}
	return s.c.Ping(ctx).Err()
}

// Close closes the client when Open made it.
func (s *Store) Close() error {
	if s.owned {
		return s.c.Close()
	}
	return nil
}

func (s *Store) recordKey(kind store.RecordKind, key string) string {
	return s.prefix + "r:" + string(kind) + ":" + key
}

func (s *Store) requestKey(kind store.RecordKind, requestID string) string {
	return s.prefix + "qz:" + string(kind) + ":" + requestID
}

func (s *Store) subjectKey(kind store.RecordKind, subject string) string {
	return s.prefix + "sz:" + string(kind) + ":" + subject
}

// pruneGrace is how long after its expiry an index member whose record is
// absent stays, so that a node whose clock is behind still finds what it
// takes for live.
const pruneGrace = time.Minute

// pruneBefore is the score below which index members are removed.
func (s *Store) pruneBefore() int64 { return s.now().Add(-pruneGrace).UnixMilli() }

func (s *Store) counterKey(key string) string { return s.prefix + "n:" + key }

// Value layout.
const (
	formatV1    = 1
	flagUsed    = 1
	headerLen   = 2 + 8 // format, flags, expiry
	maxFieldLen = 0xffff
)

func encode(r *store.Record) ([]byte, error) {
	if len(r.RequestID) > maxFieldLen || len(r.Subject) > maxFieldLen {
		return nil, errors.New("redisstore: request id or subject longer than 65535 bytes")
	}
	b := make([]byte, 0, headerLen+4+len(r.RequestID)+len(r.Subject)+len(r.Data))
	var flags byte
	if r.Used {
		flags |= flagUsed
	}
	b = append(b, formatV1, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(r.ExpiresAt.UnixMilli()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.RequestID)))
	b = append(b, r.RequestID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.Subject)))
	b = append(b, r.Subject...)
	return append(b, r.Data...), nil
}

var errCorrupt = errors.New("redisstore: malformed record")

func decode(key string, v []byte) (*store.Record, error) {
	if len(v) < headerLen+4 || v[0] != formatV1 {
		return nil, errCorrupt
	}
	r := &store.Record{Key: key, Used: v[1]&flagUsed != 0}
	r.ExpiresAt = time.UnixMilli(int64(binary.BigEndian.Uint64(v[2:10]))).UTC()
	rest := v[headerLen:]
	field := func() (string, bool) {
		if len(rest) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+n {
			return "", false
		}
		f := string(rest[2 : 2+n])
		rest = rest[2+n:]
		return f, true
	}
	var ok1, ok2 bool
	r.RequestID, ok1 = field()
	r.Subject, ok2 = field()
	if !ok1 || !ok2 {
		return nil, errCorrupt
	}
	if len(rest) > 0 {
		r.Data = append([]byte(nil), rest...)
	}
	return r, nil
}

// ttl returns the time left until t, rounded up to whole milliseconds, and
// whether any is left.
func (s *Store) ttl(t time.Time) (time.Duration, bool) {
	d := t.Sub(s.now())
	if d <= 0 {
		return 0, false
	}
	return ((d + time.Millisecond - 1) / time.Millisecond) * time.Millisecond, true
}

// indexAdd adds the member ARGV[1] to an index with the score ARGV[3] (its
// record's expiry), keeping a higher score it already has; removes the
// members scored below ARGV[4]; and makes the index live at least ARGV[2]
// milliseconds.
var indexAdd = redis.NewScript(`
local score = tonumber(ARGV[3])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not old or tonumber(old) < score then
	redis.call('ZADD', KEYS[1], score, ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left < ttl then
	redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1`)

// PutRecord implements store.Ephemeral.
func (s *Store) PutRecord(ctx context.Context, kind store.RecordKind, r *store.Record) error {
	if r.RequestID == "" && r.Subject == "" {
		k := s.recordKey(kind, r.Key)
		ttl, live := s.ttl(r.ExpiresAt)
		if !live {
			// Already expired: it must not be found, as if it had lived and gone.
			return s.c.Del(ctx, k).Err()
		}
		v, err := encode(r)
		if err != nil {
			return err
		}
		return s.c.Set(ctx, k, v, ttl).Err()
	}
	v, err := encode(r)
	if err != nil {
		return err
	}
	return s.pipeline(ctx, func(p redis.Pipeliner, run scriptRunner) { s.queuePut(ctx, p, run, kind, r, v) }, nil)
}

// queuePut queues the commands that put r (encoded as v) and index it.
func (s *Store) queuePut(ctx context.Context, p redis.Pipeliner, run scriptRunner, kind store.RecordKind, r *store.Record, v []byte) {
	k := s.recordKey(kind, r.Key)
	ttl, live := s.ttl(r.ExpiresAt)
	if !live {
		p.Del(ctx, k)
		return
	}
	p.Set(ctx, k, v, ttl)
	ms, score, prune := ttl.Milliseconds(), r.ExpiresAt.UnixMilli(), s.pruneBefore()
	if r.RequestID != "" {
		run(indexAdd, []string{s.requestKey(kind, r.RequestID)}, r.Key, ms, score, prune)
	}
	if r.Subject != "" {
		run(indexAdd, []string{s.subjectKey(kind, r.Subject)}, r.Key, ms, score, prune)
	}
}

// scriptRunner queues a script on a pipeline; the script's reply is read
// from the call once the pipeline has run.
type scriptRunner func(sc *redis.Script, keys []string, args ...any) *scriptCall

// scriptCall is a script queued on a pipeline.
type scriptCall struct {
	sc   *redis.Script
	keys []string
	args []any
	cmd  *redis.Cmd
}

// pipeline sends the commands that build queues in one round trip (per
// server), then calls after, when not nil, with the scripts' replies. Scripts
// go by their SHA1; when a server does not know one (after a restart, or a
// Cluster node never asked before), the scripts it refused are sent again
// with their text, and only they: every other command was done once.
func (s *Store) pipeline(ctx context.Context, build func(p redis.Pipeliner, run scriptRunner), after func() error) error {
	var calls []*scriptCall
	p := s.c.Pipeline()
	build(p, func(sc *redis.Script, keys []string, args ...any) *scriptCall {
		c := &scriptCall{sc: sc, keys: keys, args: args, cmd: sc.EvalSha(ctx, p, keys, args...)}
		calls = append(calls, c)
		return c
	})
	cmds, err := p.Exec(ctx)
	if err != nil {
		// Any error but NOSCRIPT is reported.
		for _, c := range cmds {
			if err := c.Err(); err != nil && !noScript(err) && !errors.Is(err, redis.Nil) {
				return err
			}
		}
		var refused []*scriptCall
		for _, c := range calls {
			if noScript(c.cmd.Err()) {
				refused = append(refused, c)
			}
		}
		if len(refused) == 0 {
			return err
		}
		p = s.c.Pipeline()
		for _, c := range refused {
			c.cmd = c.sc.Eval(ctx, p, c.keys, c.args...)
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
	}
	if after == nil {
		return nil
	}
	return after()
}

func noScript(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") }

func (s *Store) live(r *store.Record) bool { return r.ExpiresAt.After(s.now()) }

// GetRecord implements store.Ephemeral.
func (s *Store) GetRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error) {
	v, err := s.c.Get(ctx, s.recordKey(kind, key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r, err := decode(key, v)
	if err != nil {
		return nil, err
	}
	if !s.live(r) {
		return nil, store.ErrNotFound
	}
	return r, nil
}

// take returns the value and deletes the key, atomically.
var take = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
	redis.call('DEL', KEYS[1])
end
return v`)

// TakeRecord implements store.Ephemeral. The index sets keep the key until a
// reader finds it gone.
func (s *Store) TakeRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error) {
	v, err := take.Run(ctx, s.c, []string{s.recordKey(kind, key)}).Text()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r, err := decode(key, []byte(v))
	if err != nil {
		return nil, err
	}
	if !s.live(r) {
		return nil, store.ErrNotFound
	}
	return r, nil
}

// markUsed sets the used flag of a record that has it clear: 0 when the
// record is missing, 1 when it was used already, 2 when this call marked it.
// SETRANGE keeps the key's time to live.
var markUsed = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	return 0
end
local flags = string.byte(v, 2)
if flags % 2 == 1 then
	return 1
end
redis.call('SETRANGE', KEYS[1], 1, string.char(flags + 1))
return 2`)

// MarkRecordUsed implements store.Ephemeral.
func (s *Store) MarkRecordUsed(ctx context.Context, kind store.RecordKind, key string) error {
	n, err := markUsed.Run(ctx, s.c, []string{s.recordKey(kind, key)}).Int()
	if err != nil {
		return err
	}
	switch n {
	case 0:
		return store.ErrNotFound
	case 1:
		return store.ErrAlreadyUsed
	}
	return nil
}

// swap replaces the value of KEYS[1] with ARGV[2] (time to live ARGV[3]
// milliseconds; 0 deletes it) when it is still ARGV[1]: 0 when the key is
// missing, 1 when its value is another, 2 when this call replaced it.
var swap = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	return 0
end
if v ~= ARGV[1] then
	return 1
end
local ttl = tonumber(ARGV[3])
if ttl > 0 then
	redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
else
	redis.call('DEL', KEYS[1])
end
return 2`)

// CompareAndSwapRecord implements store.Ephemeral: the value is compared
// and replaced in one script, on the record's own key (so one slot of a
// Cluster); the request and subject index sets are then extended, as
// PutRecord does.
func (s *Store) CompareAndSwapRecord(ctx context.Context, kind store.RecordKind, old, r *store.Record) error {
	if r.Key != old.Key {
		return errors.New("redisstore: CompareAndSwapRecord of two keys")
	}
	if !s.live(old) {
		return store.ErrNotFound
	}
	was, err := encode(old)
	if err != nil {
		return err
	}
	v, err := encode(r)
	if err != nil {
		return err
	}
	ttl, live := s.ttl(r.ExpiresAt)
	if !live {
		ttl = 0
	}
	n, err := swap.Run(ctx, s.c, []string{s.recordKey(kind, r.Key)}, was, v, ttl.Milliseconds()).Int()
	if err != nil {
		return err
	}
	switch n {
	case 0:
		return store.ErrNotFound
	case 1:
		return store.ErrChanged
	}
	if !live || (r.RequestID == "" && r.Subject == "") {
		return nil
	}
	ms, score, prune := ttl.Milliseconds(), r.ExpiresAt.UnixMilli(), s.pruneBefore()
	return s.pipeline(ctx, func(p redis.Pipeliner, run scriptRunner) {
		if r.RequestID != "" {
			run(indexAdd, []string{s.requestKey(kind, r.RequestID)}, r.Key, ms, score, prune)
		}
		if r.Subject != "" {
			run(indexAdd, []string{s.subjectKey(kind, r.Subject)}, r.Key, ms, score, prune)
		}
	}, nil)
}

// DeleteRecord implements store.Ephemeral.
func (s *Store) DeleteRecord(ctx context.Context, kind store.RecordKind, key string) error {
	return s.c.Del(ctx, s.recordKey(kind, key)).Err()
}

// deleteIfRequest deletes the record when it still belongs to the request
// ARGV[1]; the request id sits after the 10-byte header, behind its 2-byte
// length. It returns 0 when there is no record, 1 when it deleted it, and 2
// when the record belongs to another request (or is not one of ours).
var deleteIfRequest = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	return 0
end
if string.len(v) < 12 then
	return 2
end
local n = string.byte(v, 11) * 256 + string.byte(v, 12)
if string.sub(v, 13, 12 + n) ~= ARGV[1] then
	return 2
end
redis.call('DEL', KEYS[1])
return 1`)

// DeleteRecordsByRequest implements store.Ephemeral: each member of the
// request's index is deleted if it still belongs to the request; the members
// whose record was deleted or belongs to another request leave the index
// (see the package doc for why the others stay).
func (s *Store) DeleteRecordsByRequest(ctx context.Context, kind store.RecordKind, requestID string) error {
	if requestID == "" {
		return nil
	}
	members, err := s.c.ZRange(ctx, s.requestKey(kind, requestID), 0, -1).Result()
	if err != nil || len(members) == 0 {
		return err
	}
	var del *requestDeletion
	return s.pipeline(ctx, func(p redis.Pipeliner, run scriptRunner) {
		del = s.queueDeleteByRequest(ctx, run, kind, requestID, members)
	}, func() error { return del.unindex(ctx) })
}

// ReplaceRequestRecords implements store.Ephemeral: the request's index is
// read, then one round trip deletes the records it named and puts r, and
// the members whose records were deleted leave the index. A revoke of the
// request (DeleteRecordsByRequest) that starts after it returned deletes r,
// on any deployment; two replacements that run at once may leave both
// records, as PutRecord twice would.
func (s *Store) ReplaceRequestRecords(ctx context.Context, kind store.RecordKind, r *store.Record) error {
	if r.RequestID == "" {
		return s.PutRecord(ctx, kind, r)
	}
	members, err := s.c.ZRange(ctx, s.requestKey(kind, r.RequestID), 0, -1).Result()
	if err != nil {
		return err
	}
	// r's own key is overwritten, not deleted: deleting it could otherwise
	// take it out of the index after the put.
	members = slices.DeleteFunc(members, func(m string) bool { return m == r.Key })
	v, err := encode(r)
	if err != nil {
		return err
	}
	var del *requestDeletion
	return s.pipeline(ctx, func(p redis.Pipeliner, run scriptRunner) {
		del = s.queueDeleteByRequest(ctx, run, kind, r.RequestID, members)
		s.queuePut(ctx, p, run, kind, r, v)
	}, func() error { return del.unindex(ctx) })
}

// requestDeletion is the deletion of some records of a request, queued on a
// pipeline.
type requestDeletion struct {
	s       *Store
	index   string
	members []string
	calls   []*scriptCall
}

// queueDeleteByRequest queues the deletion of the records named by members
// that still belong to the request.
func (s *Store) queueDeleteByRequest(ctx context.Context, run scriptRunner, kind store.RecordKind,
	requestID string, members []string) *requestDeletion {
	d := &requestDeletion{s: s, index: s.requestKey(kind, requestID), members: members}
	for _, m := range members {
		d.calls = append(d.calls, run(deleteIfRequest, []string{s.recordKey(kind, m)}, requestID))
	}
	return d
}

// unindex removes from the request's index, once the pipeline has run, the
// members whose record was seen: deleted, or of another request. A member
// whose record was absent stays: its record may still be on its way.
func (d *requestDeletion) unindex(ctx context.Context) error {
	var seen []any
	for i, c := range d.calls {
		n, err := c.cmd.Int()
		if err != nil {
			return err
		}
		if n != 0 {
			seen = append(seen, d.members[i])
		}
	}
	if len(seen) == 0 {
		return nil
	}
	return d.s.c.ZRem(ctx, d.index, seen...).Err()
}

// RecordsBySubject implements store.Ephemeral. Members of the subject's
// index whose record now belongs to someone else leave it, and so do those
// expired for longer than pruneGrace; a member whose record is absent stays
// until then (see the package doc).
func (s *Store) RecordsBySubject(ctx context.Context, kind store.RecordKind, subject string) ([]*store.Record, error) {
	idx := s.subjectKey(kind, subject)
	members, err := s.c.ZRange(ctx, idx, 0, -1).Result()
	if err != nil || len(members) == 0 {
		return nil, err
	}
	p := s.c.Pipeline()
	gets := make([]*redis.StringCmd, len(members))
	for i, m := range members {
		gets[i] = p.Get(ctx, s.recordKey(kind, m))
	}
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var out []*store.Record
	var moved []any
	absent := false
	for i, g := range gets {
		v, err := g.Bytes()
		if errors.Is(err, redis.Nil) {
			absent = true
			continue
		}
		if err != nil {
			return nil, err
		}
		r, err := decode(members[i], v)
		if err != nil {
			return nil, err
		}
		if r.Subject != subject {
			moved = append(moved, members[i])
			continue
		}
		if s.live(r) {
			out = append(out, r)
		}
	}
	if len(moved) > 0 || absent {
		// Best effort: a stale member only costs a lookup next time.
		_, _ = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			if len(moved) > 0 {
				p.ZRem(ctx, idx, moved...)
			}
			p.ZRemRangeByScore(ctx, idx, "-inf", fmt.Sprintf("(%d", s.pruneBefore()))
			return nil
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// hit counts one more in the window that starts at the first hit. A counter
// that Unhit brought back to zero still has its window: only a counter that
// INCR has just created (no time to live yet) starts one.
var hit = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n`)

// unhit takes one back from a counter that is above zero; DECR keeps the
// counter's time to live, and an absent counter stays absent.
var unhit = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]))
if n and n > 0 then
	return redis.call('DECR', KEYS[1])
end
return 0`)

// Hit implements store.Ephemeral.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (int64, error) {
	ms := window.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return hit.Run(ctx, s.c, []string{s.counterKey(key)}, ms).Int64()
}

// Count implements store.Ephemeral.
func (s *Store) Count(ctx context.Context, key string) (int64, error) {
	n, err := s.Counts(ctx, key)
	if err != nil {
		return 0, err
	}
	return n[0], nil
}

// Counts implements store.Ephemeral: one pipeline (in a Cluster, one per
// node holding some of the keys).
func (s *Store) Counts(ctx context.Context, keys ...string) ([]int64, error) {
	out := make([]int64, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, s.counterKey(k))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	for i, c := range cmds {
		n, err := c.Int64()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// Unhit implements store.Ephemeral.
func (s *Store) Unhit(ctx context.Context, key string) error {
	return unhit.Run(ctx, s.c, []string{s.counterKey(key)}).Err()
}

// ResetCounter implements store.Ephemeral.
func (s *Store) ResetCounter(ctx context.Context, key string) error {
	return s.c.Del(ctx, s.counterKey(key)).Err()
}

// PurgeExpired implements store.Ephemeral: Redis removes expired keys by
// itself, so there is never anything left to purge.
func (s *Store) PurgeExpired(context.Context, time.Time) (int64, error) { return 0, nil }

func (s *Store) leaseKey(name string) string { return s.prefix + "l:" + name }

// acquireLease sets the lease to its holder, with a new time to live, when it
// is absent or already the holder's.
var acquireLease = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
	return 1
end
return 0`)

// releaseLease deletes the lease when it is the holder's.
var releaseLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// AcquireLease implements store.Leases: one script on one key.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	ms := max(ttl.Milliseconds(), 1)
	n, err := acquireLease.Run(ctx, s.c, []string{s.leaseKey(name)}, holder, ms).Int64()
	return n == 1, err
}

// ReleaseLease implements store.Leases.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return releaseLease.Run(ctx, s.c, []string{s.leaseKey(name)}, holder).Err()
}
