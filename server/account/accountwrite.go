package account

import (
	"context"
	"errors"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// accountWriteTries is how many times a change of the console reads the
// account again when another write (an administrator's lock, a proof, the
// person's other tab) changed it between the read and the write.
const accountWriteTries = 8

// errAccountBusy is the outcome of a change that found the account changed
// under it at every try: nothing was written.
var errAccountBusy = errors.New("account: the account changed under every try")

// changeAccount reads the account id and writes change's result with
// store.UpdateAccountIf, so that a concurrent write is never overwritten:
// when the account changed since it was read, it is read again and change
// applied again to the fresh copy. change gets the account as read (its to
// modify) and returns the account to write, or nil to write nothing (then
// changeAccount returns the account as read). It returns the account as
// written, errAccountBusy after accountWriteTries lost races, or the
// store's error (store.ErrNotFound, a *store.ConflictError, an outage) or
// change's.
func (h *Handler) changeAccount(ctx context.Context, id string, change func(*identity.Account) (*identity.Account, error)) (*identity.Account, error) {
	for range accountWriteTries {
		acct, err := h.Store.GetAccount(ctx, id)
		if err != nil {
			return nil, err
		}
		read := acct.UpdatedAt
		next, err := change(acct)
		if err != nil || next == nil {
			return acct, err
		}
		err = h.Store.UpdateAccountIf(ctx, next, read)
		if !errors.Is(err, store.ErrChanged) {
			return next, err
		}
	}
	return nil, errAccountBusy
}
