package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sealer encrypts and decrypts secrets at rest with AES-256-GCM.
//
// A value sealed by Seal names its seal key:
//
//	"DDS1" | len(key id) (1 byte) | key id | nonce (12 bytes) | ciphertext and tag
//
// where the key id is SealKeyID of the key. Values sealed before key ids
// existed (nonce | ciphertext and tag, no prefix) still open: Open tries
// every key of the Sealer on them. A Sealer seals with one key and opens with
// that key and any older ones it was given, so that the seal key can be
// rotated (see RotateSealKey).
type Sealer struct {
	id   string
	aead cipher.AEAD
	// opening holds every key that opens, by key id, the sealing key first in order.
	opening map[string]cipher.AEAD
	order   []string
}

// sealedMagic starts every value sealed with a key id.
const sealedMagic = "DDS1"

// NewSealer returns a Sealer that seals with the 32-byte key and opens values
// sealed with it or with any of the older keys.
func NewSealer(key []byte, older ...[]byte) (*Sealer, error) {
	s := &Sealer{opening: map[string]cipher.AEAD{}}
	for i, k := range append([][]byte{key}, older...) {
		if len(k) != 32 {
			return nil, fmt.Errorf("seal key must be 32 bytes, got %d", len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := SealKeyID(k)
		if i == 0 {
			s.id, s.aead = id, aead
		}
		if _, dup := s.opening[id]; !dup {
			s.opening[id] = aead
			s.order = append(s.order, id)
		}
	}
	return s, nil
}

// SealKeyID names a seal key: the first 16 hex digits of a SHA-256 of it
// (it reveals nothing of the key).
func SealKeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("dinhdanh seal key id\x00"), key...))
	return hex.EncodeToString(h[:8])
}

// KeyID returns the id of the key that Seal uses.
func (s *Sealer) KeyID() string { return s.id }

// Seal encrypts plaintext under the sealing key and prefixes the key id;
// additional data binds the ciphertext to its use (e.g. the key id of a
// signing key) so that a sealed value cannot be moved to another row.
func (s *Sealer) Seal(plaintext, additional []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(sealedMagic)+1+len(s.id)+len(nonce)+len(plaintext)+s.aead.Overhead())
	out = append(append(append(out, sealedMagic...), byte(len(s.id))), s.id...)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, plaintext, additional), nil
}

// SealedKeyID returns the key id a sealed value names, or "" for a value
// sealed before key ids existed.
func SealedKeyID(sealed []byte) string {
	id, _, ok := splitSealed(sealed)
	if !ok {
		return ""
	}
	return id
}

func splitSealed(sealed []byte) (id string, rest []byte, ok bool) {
	if !bytes.HasPrefix(sealed, []byte(sealedMagic)) || len(sealed) < len(sealedMagic)+1 {
		return "", nil, false
	}
	n := int(sealed[len(sealedMagic)])
	body := sealed[len(sealedMagic)+1:]
	if n == 0 || len(body) < n {
		return "", nil, false
	}
	return string(body[:n]), body[n:], true
}

// Open decrypts a value made by Seal with the same additional data, under
// the key it names; a value without a key id is tried with every key.
func (s *Sealer) Open(sealed, additional []byte) ([]byte, error) {
	if id, rest, ok := splitSealed(sealed); ok {
		if aead := s.opening[id]; aead != nil {
			if out, err := open(aead, rest, additional); err == nil {
				return out, nil
			}
		}
	}
	// A value sealed before key ids existed (whose random nonce may, rarely,
	// look like a prefix).
	for _, id := range s.order {
		if out, err := open(s.opening[id], sealed, additional); err == nil {
			return out, nil
		}
	}
	if id := SealedKeyID(sealed); id != "" && s.opening[id] == nil {
		return nil, fmt.Errorf("sealed value names seal key %s, which is not loaded", id)
	}
	return nil, errors.New("sealed value does not open with this seal key")
}

func open(aead cipher.AEAD, sealed, additional []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], additional)
}

// LoadOrCreateSealKey reads the seal key file (64 hex digits or base64 of 32
// bytes). When the file does not exist and create is true, a new random key
// is written with mode 0600 and created reports true.
func LoadOrCreateSealKey(path string, create bool) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("writing seal key: %w", err)
		}
		defer f.Close()
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			return nil, false, err
		}
		return key, true, f.Sync()
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading seal key: %w", err)
	}
	return ParseSealKey(string(b))
}

// ParseSealKey decodes a seal key written as hex or base64.
func ParseSealKey(text string) ([]byte, bool, error) {
	t := strings.TrimSpace(text)
	if k, err := hex.DecodeString(t); err == nil && len(k) == 32 {
		return k, false, nil
	}
	if k, err := base64.StdEncoding.DecodeString(t); err == nil && len(k) == 32 {
		return k, false, nil
	}
	return nil, false, errors.New("seal key must be 32 bytes written as 64 hex digits or base64")
}

// NextSealKeyPath is the file where RotateSealKey writes the new seal key
// before anything is sealed with it. While it exists a node opens values
// sealed with either key.
func NextSealKeyPath(path string) string { return path + ".next" }

// RetiredSealKeyPath is the file where a rotation leaves the replaced seal
// key (named by its key id); no node reads it. Keep it with the backups made
// before the rotation, away from the server.
func RetiredSealKeyPath(path, id string) string { return path + ".retired-" + id }

// PrepareSealKeyRotation returns the new seal key of a rotation of the key
// in path: the one in NextSealKeyPath(path) when an interrupted rotation
// left it, or else a new random key written there (mode 0600, synced).
func PrepareSealKeyRotation(path string) ([]byte, error) {
	next := NextSealKeyPath(path)
	key, _, err := LoadOrCreateSealKey(next, true)
	if err != nil {
		return nil, err
	}
	return key, syncDir(filepath.Dir(next))
}

// FinishSealKeyRotation ends a rotation once every sealed value is sealed
// with the new key: the old key is written to RetiredSealKeyPath, then the
// new key replaces path (an atomic rename), so that path names a working
// key at every moment.
func FinishSealKeyRotation(path string, old []byte) (retired string, err error) {
	retired = RetiredSealKeyPath(path, SealKeyID(old))
	if err := writeKeyFile(retired, old); err != nil {
		return "", err
	}
	if err := os.Rename(NextSealKeyPath(path), path); err != nil {
		return "", err
	}
	return retired, syncDir(filepath.Dir(path))
}

func writeKeyFile(path string, key []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
