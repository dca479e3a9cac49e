package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v3"
	"golang.org/x/crypto/argon2"
)

// bound is a physical limit measured on this machine: how many times per
// second all cores together can do one unit of unavoidable work.
type bound struct {
	what    string
	alg     string // for signatures
	rate    float64
	count   int64
	elapsed time.Duration
	workers int
	// otherCores is the CPU other processes of the machine used meanwhile.
	otherCores float64
	// cpuPerOp is the CPU time one unit of work took, which other processes
	// disturb much less than the rate.
	cpuPerOp time.Duration
}

// saturate runs work on every core for about d and counts the calls.
func saturate(d time.Duration, newWork func() (func(), error)) (bound, error) {
	n := runtime.GOMAXPROCS(0)
	works := make([]func(), n)
	for i := range works {
		w, err := newWork()
		if err != nil {
			return bound{}, err
		}
		works[i] = w
	}
	works[0]() // touch the code and memory once before the clock starts
	var count atomic.Int64
	var wg sync.WaitGroup
	all0, self0 := machineCPU(), selfCPU()
	start := time.Now()
	deadline := start.Add(d)
	for _, w := range works {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				w()
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	self := selfCPU() - self0
	other := (machineCPU() - all0 - self).Seconds() / elapsed.Seconds()
	c := max(count.Load(), 1)
	return bound{rate: float64(c) / elapsed.Seconds(), count: c, elapsed: elapsed, workers: n,
		otherCores: max(0, other), cpuPerOp: self / time.Duration(c)}, nil
}

// argon2Bound measures argon2id hashes per second with the server's parameters.
func argon2Bound(d time.Duration, memoryKiB, iterations uint32, parallelism uint8) (bound, error) {
	b, err := saturate(d, func() (func(), error) {
		salt := []byte("0123456789abcdef")
		password := []byte("tai-thu-password")
		return func() { argon2.IDKey(password, salt, iterations, memoryKiB, parallelism, 32) }, nil
	})
	b.what = fmt.Sprintf("argon2id m=%d KiB t=%d p=%d hashes", memoryKiB, iterations, parallelism)
	return b, err
}

// jwtBound measures compact JWS signatures per second with go-jose v3, on
// claims shaped like an access token's.
func jwtBound(d time.Duration, alg string) (bound, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return bound{}, fmt.Errorf("--alg %q: ES256, RS256 or EdDSA", alg)
	}
	if err != nil {
		return bound{}, err
	}
	now := time.Now().Unix()
	payload, err := json.Marshal(map[string]any{
		"iss": "http://127.0.0.1:8080", "sub": "load-cc-client", "aud": []string{"load-cc-client"},
		"client_id": "load-cc-client", "exp": now + 600, "iat": now, "jti": randToken(16), "scope": "openid profile",
	})
	if err != nil {
		return bound{}, err
	}
	b, err := saturate(d, func() (func(), error) {
		opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "bound-1")
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key}, opts)
		if err != nil {
			return nil, err
		}
		return func() {
			obj, err := s.Sign(payload)
			if err != nil {
				panic(err)
			}
			if _, err := obj.CompactSerialize(); err != nil {
				panic(err)
			}
		}, nil
	})
	b.what, b.alg = "JWT "+alg+" signatures (go-jose v3)", alg
	return b, err
}

// pooled is the bound measured by both a and b, taken together.
func pooled(a, b bound) bound {
	p := a
	p.count = a.count + b.count
	p.elapsed = a.elapsed + b.elapsed
	p.rate = float64(p.count) / p.elapsed.Seconds()
	p.cpuPerOp = (a.cpuPerOp*time.Duration(a.count) + b.cpuPerOp*time.Duration(b.count)) / time.Duration(max(p.count, 1))
	p.otherCores = (a.otherCores*a.elapsed.Seconds() + b.otherCores*b.elapsed.Seconds()) / p.elapsed.Seconds()
	return p
}
