package main

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite/token/jwt"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/app"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// legacySeal seals as dinhdanh did before sealed values named their key:
// nonce | ciphertext and tag.
func legacySeal(t *testing.T, key, plain, ad []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, ad)
}

// startNode assembles a node of the configuration and returns it with its
// database; both are closed at the end of the test.
func startNode(t *testing.T, cfg *config.Config) *app.App {
	t.Helper()
	db, err := app.OpenStore(t.Context(), cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	node, err := app.New(t.Context(), cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close(); db.Close() })
	return node
}

// TestRotateSealKey seals an authenticator-app secret and a private signing
// key in the format without key id under the first seal key, runs "keys
// rotate-seal", and checks that a node started afterwards (which can read
// only the new key) still verifies the app's codes and signs with the same
// signing keys, that every sealed value names the new key, and that the
// old key file is retired.
func TestRotateSealKey(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "dinhdanh.yaml")
	if err := os.WriteFile(cfgPath, []byte("issuer: http://localhost:8080\ndata_dir: "+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DINHDANH_CONFIG", "")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	node := startNode(t, cfg)
	oldKey, _, err := keys.LoadOrCreateSealKey(cfg.SealKeyPath(), false)
	if err != nil {
		t.Fatal(err)
	}
	signer := &keys.Signer{Set: node.Keys, Default: keys.RS256}
	rs := node.Keys.Current(keys.RS256)
	tokenBefore, _, err := signer.Generate(ctx, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(time.Hour).Unix()}, &jwt.Headers{})
	if err != nil {
		t.Fatal(err)
	}
	// The RS256 key and an authenticator-app secret sealed in the old format.
	if _, err := node.DB.Reseal(ctx, func(kind, id string, sealed []byte) ([]byte, error) {
		if kind != sqlstore.SealedSigningKey || id != rs.ID {
			return sealed, nil
		}
		plain, err := node.Sealer.Open(sealed, []byte(id))
		if err != nil {
			return nil, err
		}
		return legacySeal(t, oldKey, plain, []byte(id)), nil
	}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"account", "create", "--config", cfgPath, "--kind", "official", "--username", "tt.an",
		"--name", "Trần Thị An", "--agency", "Sở Nội vụ"}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	acct, err := node.Admin("test").FindAccount(ctx, "tt.an")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("12345678901234567890")
	cred := &store.TOTPCredential{ID: "totp-an", AccountID: acct.ID, Digits: 6, Period: 30 * time.Second,
		SealedSecret: legacySeal(t, oldKey, secret, authn.TOTPSealData("totp-an"))}
	if err := node.DB.PutTOTP(ctx, cred); err != nil {
		t.Fatal(err)
	}
	node.Close()
	node.DB.Close()

	out.Reset()
	if err := run(ctx, []string{"keys", "rotate-seal", "--config", cfgPath}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("keys rotate-seal: %v\n%s", err, out.String())
	}
	t.Log(out.String())

	newKey, _, err := keys.LoadOrCreateSealKey(cfg.SealKeyPath(), false)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(newKey, oldKey) {
		t.Fatal("the seal key file still holds the old key")
	}
	retired := keys.RetiredSealKeyPath(cfg.SealKeyPath(), keys.SealKeyID(oldKey))
	if k, _, err := keys.LoadOrCreateSealKey(retired, false); err != nil || !bytes.Equal(k, oldKey) {
		t.Fatalf("the old key is not retired to %s: %v", retired, err)
	}
	if _, err := os.Stat(keys.NextSealKeyPath(cfg.SealKeyPath())); !os.IsNotExist(err) {
		t.Fatalf("the next key file is left behind: %v", err)
	}

	node = startNode(t, cfg)
	if node.Sealer.KeyID() != keys.SealKeyID(newKey) {
		t.Fatalf("the node seals with %s, want the new key %s", node.Sealer.KeyID(), keys.SealKeyID(newKey))
	}
	// Every sealed value names the new key, and the old key alone opens none.
	oldOnly, _ := keys.NewSealer(oldKey)
	n, err := node.DB.Reseal(ctx, func(kind, id string, sealed []byte) ([]byte, error) {
		if got := keys.SealedKeyID(sealed); got != keys.SealKeyID(newKey) {
			t.Errorf("%s %s is sealed with %q, want the new key %s", kind, id, got, keys.SealKeyID(newKey))
		}
		ad := []byte(id)
		if kind == sqlstore.SealedTOTPSecret {
			ad = authn.TOTPSealData(id)
		}
		if _, err := oldOnly.Open(sealed, ad); err == nil {
			t.Errorf("%s %s still opens with the old key", kind, id)
		}
		return sealed, nil
	})
	if err != nil || n < 4 {
		t.Fatalf("visited %d sealed values (%v), want 3 signing keys and the app", n, err)
	}
	if c := node.Keys.Current(keys.RS256); c == nil || c.ID != rs.ID {
		t.Fatalf("after the rotation the node signs RS256 with %v, want the same key %s", c, rs.ID)
	}
	signer = &keys.Signer{Set: node.Keys, Default: keys.RS256}
	if _, err := signer.Decode(ctx, tokenBefore); err != nil {
		t.Fatalf("a token signed before the rotation no longer verifies: %v", err)
	}
	tok, _, err := signer.Generate(ctx, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(time.Hour).Unix()}, &jwt.Headers{})
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := signer.Decode(ctx, tok); err != nil || dec.Header["kid"] != rs.ID {
		t.Fatalf("a token signed after the rotation: kid %v, %v", dec.Header["kid"], err)
	}
	checker := &authn.TOTP{Store: node.DB, Records: node.Eph, Sealer: node.Sealer,
		Options: authn.TOTPOptions{Digits: 6, Period: 30 * time.Second, Skew: 1}}
	code, err := totp.GenerateCodeCustom(base32NoPad(secret), time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := checker.Verify(ctx, acct.ID, code); err != nil || !ok {
		t.Fatalf("the authenticator app's code after the rotation: ok=%v, %v", ok, err)
	}
}

func base32NoPad(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
