package certificate

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// maxOCSPResponse caps the size of an OCSP response.
const maxOCSPResponse = 64 << 10

// ocspMaxAgeWithoutNext is how old an answer without nextUpdate may be.
const ocspMaxAgeWithoutNext = time.Hour

// ocspCacheEntries is how many OCSP answers the cache holds at most.
const ocspCacheEntries = 10000

// ocspClient asks OCSP responders and keeps their answers for a while: at
// most maxEntries of them, each until it is due; expired answers are pruned
// when the cache is full and by [Verifier.RefreshCRLs]. Concurrent callers
// about one certificate share one request, which goes on when a caller
// stops waiting; a failure is remembered for FailureCache.
type ocspClient struct {
	client   *http.Client
	now      func() time.Time
	opts     RevocationOptions
	mu       sync.Mutex
	cache    map[string]ocspCached
	inflight map[string]*ocspCall
	// maxEntries bounds the cache; when it is full of live answers, the one
	// due first makes room.
	maxEntries int
}

type ocspCached struct {
	answer revAnswer
	until  time.Time
}

// ocspCall is a request in progress about one certificate, shared by
// concurrent callers.
type ocspCall struct {
	done   chan struct{}
	answer revAnswer
}

func newOCSPClient(client *http.Client, now func() time.Time, opts RevocationOptions) *ocspClient {
	return &ocspClient{client: client, now: now, opts: opts, cache: map[string]ocspCached{}, inflight: map[string]*ocspCall{},
		maxEntries: ocspCacheEntries}
}

// status asks the responders cert names, in order, until one gives a
// definite answer: a cached answer, the request already in progress about
// cert, or a new one that runs for Budget at most. It waits until ctx ends.
func (o *ocspClient) status(ctx context.Context, cert, issuer *x509.Certificate) revAnswer {
	urls := httpURLs(cert.OCSPServer)
	if len(urls) == 0 {
		return revAnswer{revUnavailable, "the certificate names no HTTP OCSP responder"}
	}
	sum := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	key := hex.EncodeToString(sum[:]) + ":" + cert.SerialNumber.String()
	now := o.now()
	o.mu.Lock()
	if c, ok := o.cache[key]; ok {
		if now.Before(c.until) {
			o.mu.Unlock()
			return c.answer
		}
		delete(o.cache, key)
	}
	call, ok := o.inflight[key]
	if !ok {
		call = &ocspCall{done: make(chan struct{})}
		o.inflight[key] = call
		go o.run(context.WithoutCancel(ctx), call, key, urls, cert, issuer)
	}
	o.mu.Unlock()
	select {
	case <-call.done:
		return call.answer
	case <-ctx.Done():
		return revAnswer{revUnavailable, waitErr(ctx)}
	}
}

// run is the shared request of call: the answer is cached (a definite one
// for OCSPCacheMax, a failure for FailureCache) before the callers are told.
func (o *ocspClient) run(ctx context.Context, call *ocspCall, key string, urls []string, cert, issuer *x509.Certificate) {
	ctx, cancel := context.WithTimeout(ctx, o.opts.Budget)
	defer cancel()
	now := o.now()
	a, until := o.lookup(ctx, urls, cert, issuer)
	o.mu.Lock()
	delete(o.inflight, key)
	switch {
	case a.status != revUnavailable && o.opts.OCSPCacheMax > 0:
		if limit := now.Add(o.opts.OCSPCacheMax); until.IsZero() || until.After(limit) {
			until = limit
		}
		o.putLocked(key, ocspCached{answer: a, until: until}, now)
	case a.status == revUnavailable && o.opts.FailureCache > 0:
		until := o.now().Add(o.opts.FailureCache)
		a.detail += " (failed recently; not asked again before " + until.UTC().Format(time.RFC3339) + ")"
		o.putLocked(key, ocspCached{answer: a, until: until}, now)
	}
	call.answer = a
	o.mu.Unlock()
	close(call.done)
}

// lookup asks the responders in order until one gives a definite answer;
// until is that answer's nextUpdate (zero when it has none).
func (o *ocspClient) lookup(ctx context.Context, urls []string, cert, issuer *x509.Certificate) (revAnswer, time.Time) {
	var why []string
	for _, u := range urls {
		a, until := o.ask(ctx, u, cert, issuer)
		if a.status == revUnavailable {
			why = append(why, u+": "+a.detail)
			continue
		}
		return a, until
	}
	return revAnswer{revUnavailable, fmt.Sprint(why)}, time.Time{}
}

// putLocked caches an answer, making room first when the cache is full: expired
// answers go, then, if none had, the answer due first.
// o.mu is held.
func (o *ocspClient) putLocked(key string, c ocspCached, now time.Time) {
	if _, ok := o.cache[key]; !ok && len(o.cache) >= o.maxEntries {
		o.pruneLocked(now)
		if len(o.cache) >= o.maxEntries {
			first := ""
			for k, e := range o.cache {
				if first == "" || e.until.Before(o.cache[first].until) {
					first = k
				}
			}
			delete(o.cache, first)
		}
	}
	o.cache[key] = c
}

// prune removes the answers due at now and returns how many.
func (o *ocspClient) prune(now time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pruneLocked(now)
}

func (o *ocspClient) pruneLocked(now time.Time) int {
	n := 0
	for k, e := range o.cache {
		if !now.Before(e.until) {
			delete(o.cache, k)
			n++
		}
	}
	return n
}

// size returns how many answers the cache holds.
func (o *ocspClient) size() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.cache)
}

// ask sends one OCSP request and judges the answer. until is the answer's
// nextUpdate (zero when it has none).
func (o *ocspClient) ask(ctx context.Context, url string, cert, issuer *x509.Certificate) (a revAnswer, until time.Time) {
	unavailable := func(format string, args ...any) (revAnswer, time.Time) {
		return revAnswer{revUnavailable, fmt.Sprintf(format, args...)}, time.Time{}
	}
	reqBody, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return unavailable("making the request: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.opts.OCSPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqBody))
	if err != nil {
		return unavailable("%v", err)
	}
	req.Header.Set("Content-Type", "application/ocsp-request")
	req.Header.Set("Accept", "application/ocsp-response")
	resp, err := o.client.Do(req)
	if err != nil {
		return unavailable("%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return unavailable("HTTP status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOCSPResponse+1))
	if err != nil {
		return unavailable("%v", err)
	}
	if len(body) > maxOCSPResponse {
		return unavailable("the response is larger than %d bytes", maxOCSPResponse)
	}
	r, err := ocsp.ParseResponseForCert(body, cert, nil)
	if err != nil {
		return unavailable("%v", err)
	}
	now := o.now()
	if d := authorizeOCSP(r, issuer, now); d != "" {
		return unavailable("%s", d)
	}
	if d := matchOCSPCertID(body, cert, issuer, r.IssuerHash); d != "" {
		return unavailable("%s", d)
	}
	if r.ThisUpdate.After(now.Add(clockSkew)) {
		return unavailable("the answer is dated in the future (%s)", r.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if r.NextUpdate.IsZero() {
		if now.Sub(r.ThisUpdate) > ocspMaxAgeWithoutNext+clockSkew {
			return unavailable("the answer from %s has no nextUpdate and is too old", r.ThisUpdate.UTC().Format(time.RFC3339))
		}
	} else if !now.Before(r.NextUpdate.Add(clockSkew)) {
		return unavailable("the answer is stale: its nextUpdate %s has passed", r.NextUpdate.UTC().Format(time.RFC3339))
	}
	switch r.Status {
	case ocsp.Good:
		return revAnswer{revGood, ""}, r.NextUpdate
	case ocsp.Revoked:
		return revAnswer{revRevoked, fmt.Sprintf("revoked at %s (reason %d) according to %s",
			r.RevokedAt.UTC().Format(time.RFC3339), r.RevocationReason, url)}, r.NextUpdate
	}
	return unavailable("the responder does not know the certificate")
}

// authorizeOCSP checks who signed the answer: the issuing CA itself, or a
// responder certificate the CA issued for that purpose (id-kp-OCSPSigning),
// valid now. It returns "" when authorized, else why not.
func authorizeOCSP(r *ocsp.Response, issuer *x509.Certificate, now time.Time) string {
	responder := r.Certificate
	if responder == nil || responder.Equal(issuer) {
		// Signed by the issuer itself. When the responder sent the issuer's
		// certificate, ParseResponseForCert verified the signature with it.
		if responder == nil {
			if err := r.CheckSignatureFrom(issuer); err != nil {
				return "the answer is not signed by the issuing CA: " + err.Error()
			}
		}
		return ""
	}
	if err := responder.CheckSignatureFrom(issuer); err != nil {
		return "the responder certificate is not issued by the issuing CA: " + err.Error()
	}
	delegated := false
	for _, u := range responder.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning {
			delegated = true
		}
	}
	if !delegated {
		return "the responder certificate is not authorized for OCSP signing"
	}
	if now.Before(responder.NotBefore) || now.After(responder.NotAfter) {
		return "the responder certificate is outside its validity period"
	}
	return ""
}

// The parts of an OCSP response needed to read the CertID of each answer,
// which golang.org/x/crypto/ocsp checks by serial number only.
type ocspResponseASN1 struct {
	Status   asn1.Enumerated
	Response struct {
		Type  asn1.ObjectIdentifier
		Bytes []byte
	} `asn1:"explicit,tag:0,optional"`
}

type ocspBasicASN1 struct {
	TBS struct {
		Raw         asn1.RawContent
		Version     int `asn1:"optional,explicit,default:0,tag:0"`
		ResponderID asn1.RawValue
		ProducedAt  time.Time `asn1:"generalized"`
		Responses   []ocspSingleASN1
		Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
	}
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspSingleASN1 struct {
	CertID struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		NameHash      []byte
		KeyHash       []byte
		Serial        *big.Int
	}
	Status     asn1.RawValue
	ThisUpdate time.Time        `asn1:"generalized"`
	NextUpdate time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	Extensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

// matchOCSPCertID checks that the answer for cert's serial number names
// issuer (by the hashes of its name and key), so that an answer about a
// certificate of another CA with the same serial is not taken. It returns ""
// when it matches.
func matchOCSPCertID(raw []byte, cert, issuer *x509.Certificate, h crypto.Hash) string {
	var resp ocspResponseASN1
	if _, err := asn1.Unmarshal(raw, &resp); err != nil {
		return "the response does not parse"
	}
	var basic ocspBasicASN1
	if _, err := asn1.Unmarshal(resp.Response.Bytes, &basic); err != nil {
		return "the basic response does not parse"
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(issuer.RawSubjectPublicKeyInfo, &spki); err != nil || !h.Available() {
		return "the issuer's key cannot be hashed"
	}
	nameHash, keyHash := hashOf(h, issuer.RawSubject), hashOf(h, spki.PublicKey.RightAlign())
	for _, s := range basic.TBS.Responses {
		id := s.CertID
		if id.Serial == nil || id.Serial.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		if bytes.Equal(id.NameHash, nameHash) && bytes.Equal(id.KeyHash, keyHash) {
			return ""
		}
	}
	return "the answer is about a certificate of another CA"
}
