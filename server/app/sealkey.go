package app

import (
	"context"
	"fmt"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// SealKeyRotation reports a rotation of the seal key.
type SealKeyRotation struct {
	// OldID and NewID are the key ids of the replaced and the new seal key.
	OldID, NewID string
	// Resealed is how many sealed values were sealed again.
	Resealed int
	// Retired is the file that holds the replaced key now.
	Retired string
}

// RotateSealKey replaces the seal key of the configuration and seals every
// sealed value of the database again under the new key:
//
//  1. the new key is written to keys.NextSealKeyPath (an interrupted
//     rotation's new key is taken again); from then on a starting node
//     opens values sealed with either key;
//  2. every sealed value (private signing keys, authenticator-app secrets)
//     is opened and sealed again under the new key, in one transaction;
//  3. the old key is written to keys.RetiredSealKeyPath and the new key
//     replaces the seal key file.
//
// A crash at any point leaves a node able to start, and running the
// rotation again finishes it. Sealed values of the ephemeral store (an
// authenticator-app enrolment being confirmed, ten minutes at most) are
// not sealed again: such an enrolment is started again. Nodes that run
// during the rotation keep the old key in memory: restart them afterwards
// (with the new key file, when each node has its own copy).
func RotateSealKey(ctx context.Context, cfg *config.Config) (*SealKeyRotation, error) {
	path := cfg.SealKeyPath()
	old, _, err := keys.LoadOrCreateSealKey(path, false)
	if err != nil {
		return nil, err
	}
	next, err := keys.PrepareSealKeyRotation(path)
	if err != nil {
		return nil, fmt.Errorf("writing the new seal key: %w", err)
	}
	sealer, err := keys.NewSealer(next, old)
	if err != nil {
		return nil, err
	}
	db, err := OpenStore(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	n, err := db.Reseal(ctx, func(kind, id string, sealed []byte) ([]byte, error) {
		ad := sealData(kind, id)
		plain, err := sealer.Open(sealed, ad)
		if err != nil {
			return nil, err
		}
		return sealer.Seal(plain, ad)
	})
	if err != nil {
		return nil, fmt.Errorf("sealing again (nothing changed; the old seal key stays in use): %w", err)
	}
	retired, err := keys.FinishSealKeyRotation(path, old)
	if err != nil {
		return nil, fmt.Errorf("every value is sealed with the new key, but replacing the key file failed (run the rotation again): %w", err)
	}
	return &SealKeyRotation{OldID: keys.SealKeyID(old), NewID: sealer.KeyID(), Resealed: n, Retired: retired}, nil
}

// sealData is the additional data a sealed value of the kind was sealed
// with: the kid for a private signing key (see keys.Set), the credential for
// an authenticator app (see authn.TOTP).
func sealData(kind, id string) []byte {
	if kind == sqlstore.SealedTOTPSecret {
		return authn.TOTPSealData(id)
	}
	return []byte(id)
}
