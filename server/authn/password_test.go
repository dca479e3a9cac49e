package authn

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := Hasher{Params: MinArgon2}
	enc, err := h.Hash("Mật khẩu đủ dài 2024")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	ok, rehash, err := h.Verify("Mật khẩu đủ dài 2024", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, _, err = h.Verify("Mật khẩu đủ dài 2025", enc)
	if err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	enc2, _ := h.Hash("Mật khẩu đủ dài 2024")
	if enc2 == enc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestRehashWhenParametersRise(t *testing.T) {
	old := Hasher{Params: MinArgon2}
	enc, err := old.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	stronger := Hasher{Params: Argon2Params{MemoryKiB: MinArgon2.MemoryKiB * 2, Iterations: 3, Parallelism: 1}}
	ok, rehash, err := stronger.Verify("correct horse battery", enc)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify with stronger params = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	// A wrong password never asks for a rehash.
	if ok, rehash, _ := stronger.Verify("wrong", enc); ok || rehash {
		t.Fatalf("wrong password: ok=%v rehash=%v", ok, rehash)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := Hasher{Params: MinArgon2}
	for _, enc := range []string{
		"",
		"plaintext",
		"$2a$10$abcdefghijklmnopqrstuv",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=0,t=2,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$aGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$aGFzaA",
	} {
		if ok, _, err := h.Verify("x", enc); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false, ErrBadHash", enc, ok, err)
		}
	}
}
