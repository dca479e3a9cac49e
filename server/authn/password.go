package authn

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// MinArgon2 is the floor of the security baseline: m=19 MiB, t=2, p=1.
var MinArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// Hasher hashes passwords with argon2id in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
type Hasher struct{ Params Argon2Params }

var b64 = base64.RawStdEncoding

// hashing admits at most as many argon2id computations at once as there are
// processors. More would not finish sooner: they would share the cores, each
// holding its memory (19 MiB or more) the whole time, so that a burst of
// logins costs latency for all and memory without bound.
var hashing = make(chan struct{}, runtime.GOMAXPROCS(0))

// idKey is argon2.IDKey under the hashing limit.
func idKey(password, salt []byte, p Argon2Params, keyLen uint32) []byte {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey(password, salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
}

// Hash returns the encoded argon2id hash of password with a fresh 16-byte salt.
func (h Hasher) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := h.Params
	key := idKey([]byte(password), salt, p, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations,
		p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is returned for a stored hash that cannot be decoded.
var ErrBadHash = errors.New("authn: malformed password hash")

func decodeHash(encoded string) (p Argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return p, nil, nil, ErrBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, ErrBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, ErrBadHash
	}
	if p.MemoryKiB == 0 || p.Iterations == 0 || p.Parallelism == 0 || p.MemoryKiB > 4*1024*1024 || p.Iterations > 100 {
		return p, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}

// Verify reports whether password matches the encoded hash, and whether the
// hash should be replaced because its parameters are below h.Params.
func (h Hasher) Verify(password, encoded string) (ok, rehash bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := idKey([]byte(password), salt, p, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	rehash = p.MemoryKiB < h.Params.MemoryKiB || p.Iterations < h.Params.Iterations || p.Parallelism != h.Params.Parallelism
	return true, rehash, nil
}

// Burn spends the same time as a verification; it is used when no account
// matches, so that timing does not tell whether an account exists.
func (h Hasher) Burn(password string) {
	p := h.Params
	idKey([]byte(password), []byte("dinhdanh-no-such-account"), p, 32)
}
