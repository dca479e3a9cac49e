package login

import (
	"net/http"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

var errAccessDenied = fosite.ErrAccessDenied.WithHint("The user denied the request.")

func (h *Handler) showBusiness(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	fl, ok := h.env.PendingFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	h.renderBusiness(w, r, http.StatusOK, fl, "")
}

func (h *Handler) renderBusiness(w http.ResponseWriter, r *http.Request, status int, fl *Flow, errKey string) {
	reps, err := h.Store.Representations(r.Context(), fl.AccountID)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	opts := make([]ui.BusinessOption, 0, len(reps))
	for _, rep := range reps {
		opts = append(opts, ui.BusinessOption{TaxCode: string(rep.TaxCode), Name: rep.BusinessName, Role: string(rep.Role)})
	}
	base := h.Kit.Base(w, r)
	base.ErrorKey = errKey
	h.Kit.Render(w, r, status, "business", &ui.BusinessPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName, Businesses: opts})
}

func (h *Handler) postBusiness(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	fl, ok := h.env.PendingFlow(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	choice := r.PostForm.Get("tax_code")
	if _, present := r.PostForm["tax_code"]; !present {
		h.renderBusiness(w, r, http.StatusBadRequest, fl, "error.bad_request")
		return
	}
	if choice != "" {
		reps, err := h.Store.Representations(ctx, fl.AccountID)
		if err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		found := false
		for _, rep := range reps {
			found = found || string(rep.TaxCode) == choice
		}
		if !found {
			h.renderBusiness(w, r, http.StatusBadRequest, fl, "error.bad_request")
			return
		}
	}
	fl.BusinessDone, fl.TaxCode = true, choice
	if err := h.env.Flows.Save(ctx, fl); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	h.Resume(w, r, fl)
}
