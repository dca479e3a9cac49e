package certificate

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// oidDeltaCRLIndicator marks a delta CRL, which lists only changes and
// cannot answer alone.
var oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}

// oidIssuingDistributionPoint is the Issuing Distribution Point extension
// (RFC 5280 §5.2.5): the scope of a partitioned CRL.
var oidIssuingDistributionPoint = asn1.ObjectIdentifier{2, 5, 29, 28}

// crlExtensionsUnderstood are the CRL extensions whose meaning the check
// honours or may ignore (RFC 5280 §5.2): a CRL with any other extension
// marked critical is not used. The delta CRL indicator is understood, and
// such a CRL refused.
var crlExtensionsUnderstood = []asn1.ObjectIdentifier{
	{2, 5, 29, 35},              // authority key identifier
	{2, 5, 29, 18},              // issuer alternative name
	{2, 5, 29, 20},              // CRL number
	oidDeltaCRLIndicator,        // delta CRL indicator
	oidIssuingDistributionPoint, // issuing distribution point
	{2, 5, 29, 46},              // freshest CRL
	{1, 3, 6, 1, 5, 5, 7, 1, 1}, // authority information access
}

// crlEntryExtensionsUnderstood are the CRL entry extensions the check
// understands (RFC 5280 §5.3). The certificate issuer extension is not among
// them: it belongs to indirect CRLs, which are not used.
var crlEntryExtensionsUnderstood = []asn1.ObjectIdentifier{
	{2, 5, 29, 21}, // reason code
	{2, 5, 29, 23}, // hold instruction code
	{2, 5, 29, 24}, // invalidity date
}

// understood reports whether id is one of known.
func understood(id asn1.ObjectIdentifier, known []asn1.ObjectIdentifier) bool {
	for _, k := range known {
		if id.Equal(k) {
			return true
		}
	}
	return false
}

// crlCache downloads CRLs and keeps each, by URL, until it is due: its
// nextUpdate, or MaxAge after the download when that comes first. A
// download is shared by every caller that wants the URL meanwhile, and runs
// to its own time limit whichever of them stops waiting; a failed one is
// remembered for FailureCache.
type crlCache struct {
	client   *http.Client
	now      func() time.Time
	opts     RevocationOptions
	mu       sync.Mutex
	entries  map[string]*crlEntry
	inflight map[string]*crlCall
	failed   map[string]crlFailure // by failureKey
}

// crlFailure is a remembered failed download.
type crlFailure struct {
	err   error
	until time.Time
}

// crlEntry is one downloaded, verified CRL.
type crlEntry struct {
	url      string
	issuer   *x509.Certificate // the CA the CRL was verified against
	verified map[string]bool   // raw subject public key infos the signature was verified against
	revoked  map[string]x509.RevocationListEntry
	scope    crlScope // what the CRL covers, from its issuing distribution point
	this     time.Time
	next     time.Time // zero when the CRL has none
	fetched  time.Time
	due      time.Time // when the entry must be downloaded again
}

// crlCall is a download in progress, shared by concurrent callers.
type crlCall struct {
	done  chan struct{}
	entry *crlEntry
	err   error
}

func newCRLCache(client *http.Client, now func() time.Time, opts RevocationOptions) *crlCache {
	return &crlCache{client: client, now: now, opts: opts, entries: map[string]*crlEntry{}, inflight: map[string]*crlCall{},
		failed: map[string]crlFailure{}}
}

// status looks cert up in the CRLs it names, trying each HTTP distribution
// point until one gives a usable CRL. It waits for downloads until ctx ends;
// a download it starts runs for CRLTimeout, or Budget when shorter.
func (c *crlCache) status(ctx context.Context, cert, issuer *x509.Certificate) revAnswer {
	urls := httpURLs(cert.CRLDistributionPoints)
	if len(urls) == 0 {
		return revAnswer{revUnavailable, "the certificate names no HTTP CRL distribution point"}
	}
	var why []string
	for _, u := range urls {
		e, err := c.get(ctx, u, issuer, min(c.opts.CRLTimeout, c.opts.Budget))
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		if d := e.scope.covers(cert); d != "" {
			// A partition for other certificates: it proves nothing either way.
			why = append(why, u+" "+d)
			continue
		}
		if r, ok := e.revoked[cert.SerialNumber.String()]; ok {
			return revAnswer{revRevoked, fmt.Sprintf("listed in %s since %s (reason %d)", u, r.RevocationTime.UTC().Format(time.RFC3339), r.ReasonCode)}
		}
		if e.scope.someReasons {
			// Revoked for a reason it does not cover, the certificate would be absent too.
			why = append(why, u+" covers only some revocation reasons")
			continue
		}
		return revAnswer{revGood, ""}
	}
	return revAnswer{revUnavailable, fmt.Sprint(why)}
}

// get returns the CRL at url verified against issuer: the cached one while
// it is not due, the remembered failure of a recent download, or a fresh
// download limited to timeout.
func (c *crlCache) get(ctx context.Context, url string, issuer *x509.Certificate, timeout time.Duration) (*crlEntry, error) {
	now := c.now()
	fk := failureKey(url, issuer)
	c.mu.Lock()
	e := c.entries[url]
	f, failed := c.failed[fk]
	if failed && !now.Before(f.until) {
		delete(c.failed, fk)
		failed = false
	}
	c.mu.Unlock()
	if e != nil && now.Before(e.due) && c.verifiedBy(e, issuer) == nil {
		return e, nil
	}
	if failed {
		return nil, f.err
	}
	return c.download(ctx, url, issuer, timeout)
}

// verifiedBy checks, once per issuer key, that the entry's CRL was issued by issuer.
func (c *crlCache) verifiedBy(e *crlEntry, issuer *x509.Certificate) error {
	key := string(issuer.RawSubjectPublicKeyInfo)
	c.mu.Lock()
	ok := e.verified[key]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if !bytes.Equal(e.issuer.RawSubject, issuer.RawSubject) {
		return fmt.Errorf("%s is issued by another CA", e.url)
	}
	if !sameKey(e.issuer, issuer) {
		// Same name, another key (a renewed CA): the CRL must be downloaded
		// and verified against this one.
		return fmt.Errorf("%s is signed with another key of the CA", e.url)
	}
	c.mu.Lock()
	e.verified[key] = true
	c.mu.Unlock()
	return nil
}

// download fetches, verifies and caches the CRL at url, within timeout;
// concurrent callers for the same URL share one download, which goes on
// when a caller stops waiting (ctx ended), so that its outcome is cached
// for the others.
func (c *crlCache) download(ctx context.Context, url string, issuer *x509.Certificate, timeout time.Duration) (*crlEntry, error) {
	c.mu.Lock()
	call, joined := c.inflight[url]
	if !joined {
		call = &crlCall{done: make(chan struct{})}
		c.inflight[url] = call
		go c.run(context.WithoutCancel(ctx), call, url, issuer, timeout)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %s: %w", url, waitErr(ctx), ctx.Err())
	}
	if call.err != nil {
		return nil, call.err
	}
	if joined {
		if err := c.verifiedBy(call.entry, issuer); err != nil {
			return nil, err
		}
	}
	return call.entry, nil
}

// run is the shared download of call: the CRL is cached, or the failure
// remembered, before the callers are told.
func (c *crlCache) run(ctx context.Context, call *crlCall, url string, issuer *x509.Certificate, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	entry, err := c.fetch(ctx, url, issuer)
	c.mu.Lock()
	delete(c.inflight, url)
	if err == nil {
		c.entries[url] = entry
		delete(c.failed, failureKey(url, issuer))
	} else if c.opts.FailureCache > 0 {
		until := c.now().Add(c.opts.FailureCache)
		err = fmt.Errorf("%w (failed recently; not tried again before %s)", err, until.UTC().Format(time.RFC3339))
		c.failed[failureKey(url, issuer)] = crlFailure{err: err, until: until}
	}
	call.entry, call.err = entry, err
	c.mu.Unlock()
	close(call.done)
}

// fetch downloads and verifies one CRL.
func (c *crlCache) fetch(ctx context.Context, url string, issuer *x509.Certificate) (*crlEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", url, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.CRLMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", url, err)
	}
	if int64(len(body)) > c.opts.CRLMaxBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", url, c.opts.CRLMaxBytes)
	}
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("-----BEGIN")) {
		block, _ := pem.Decode(bytes.TrimSpace(body))
		if block == nil {
			return nil, fmt.Errorf("%s: bad PEM", url)
		}
		body = block.Bytes
	}
	list, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", url, err)
	}
	if !bytes.Equal(list.RawIssuer, issuer.RawSubject) {
		return nil, fmt.Errorf("%s is issued by another CA", url)
	}
	if err := list.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("%s: bad signature: %v", url, err)
	}
	var scope crlScope
	for _, ext := range list.Extensions {
		switch {
		case ext.Id.Equal(oidDeltaCRLIndicator):
			return nil, fmt.Errorf("%s is a delta CRL", url)
		case ext.Id.Equal(oidIssuingDistributionPoint):
			if scope, err = parseIssuingDistributionPoint(ext.Value); err != nil {
				return nil, fmt.Errorf("%s: %v", url, err)
			}
		case ext.Critical && !understood(ext.Id, crlExtensionsUnderstood):
			return nil, fmt.Errorf("%s has an unknown critical extension %s", url, ext.Id)
		}
	}
	if scope.indirect {
		return nil, fmt.Errorf("%s is an indirect CRL, which is not supported", url)
	}
	for _, r := range list.RevokedCertificateEntries {
		for _, ext := range r.Extensions {
			if ext.Critical && !understood(ext.Id, crlEntryExtensionsUnderstood) {
				return nil, fmt.Errorf("%s has an entry with an unknown critical extension %s", url, ext.Id)
			}
		}
	}
	now := c.now()
	if list.ThisUpdate.After(now.Add(clockSkew)) {
		return nil, fmt.Errorf("%s is issued in the future (%s)", url, list.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if !list.NextUpdate.IsZero() && !now.Before(list.NextUpdate.Add(clockSkew)) {
		return nil, fmt.Errorf("%s is stale: its nextUpdate %s has passed", url, list.NextUpdate.UTC().Format(time.RFC3339))
	}
	e := &crlEntry{url: url, issuer: issuer, verified: map[string]bool{string(issuer.RawSubjectPublicKeyInfo): true},
		revoked: make(map[string]x509.RevocationListEntry, len(list.RevokedCertificateEntries)), scope: scope,
		this: list.ThisUpdate, next: list.NextUpdate, fetched: now, due: now.Add(c.opts.CRLMaxAge)}
	if !e.next.IsZero() && e.next.Before(e.due) {
		e.due = e.next
	}
	for _, r := range list.RevokedCertificateEntries {
		if r.ReasonCode == 8 { // removeFromCRL: only in delta CRLs
			continue
		}
		e.revoked[r.SerialNumber.String()] = r
	}
	return e, nil
}

// refresh downloads again the entries due within twice the refresh interval.
func (c *crlCache) refresh(ctx context.Context, log *slog.Logger) {
	now := c.now()
	soon := now.Add(2 * c.opts.CRLRefreshInterval)
	c.mu.Lock()
	for k, f := range c.failed {
		if !now.Before(f.until) {
			delete(c.failed, k)
		}
	}
	var due []*crlEntry
	for _, e := range c.entries {
		if e.due.Before(soon) {
			due = append(due, e)
		}
	}
	c.mu.Unlock()
	for _, e := range due {
		if ctx.Err() != nil {
			return
		}
		if _, err := c.download(ctx, e.url, e.issuer, c.opts.CRLTimeout); err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			log.Warn("certificate: refreshing a CRL", "url", e.url, "err", err)
			continue
		}
		log.Debug("certificate: CRL refreshed", "url", e.url)
	}
}
