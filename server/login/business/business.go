package business

import (
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Step is the choice of a business.
type Step struct{ env *flow.Env }

// New returns the business step.
func New(env *flow.Env) *Step { return &Step{env: env} }

// Register mounts /login/business.
func (s *Step) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/business", s.showBusiness)
	mux.HandleFunc("POST /login/business", s.postBusiness)
}

func (s *Step) showBusiness(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	fl, ok := s.env.PendingFlow(w, r, r.URL.Query().Get("flow"))
	if !ok {
		return
	}
	s.renderBusiness(w, r, http.StatusOK, fl, "")
}

func (s *Step) renderBusiness(w http.ResponseWriter, r *http.Request, status int, fl *flow.Flow, errKey string) {
	reps, err := s.env.Store.Representations(r.Context(), fl.AccountID)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	opts := make([]ui.BusinessOption, 0, len(reps))
	for _, rep := range reps {
		opts = append(opts, ui.BusinessOption{TaxCode: string(rep.TaxCode), Name: rep.BusinessName, Role: string(rep.Role)})
	}
	base := s.env.Kit.Base(w, r)
	base.ErrorKey = errKey
	s.env.Kit.Render(w, r, status, "business", &ui.BusinessPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName, Businesses: opts})
}

func (s *Step) postBusiness(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	fl, ok := s.env.PendingFlow(w, r, r.PostForm.Get("flow"))
	if !ok {
		return
	}
	choice := r.PostForm.Get("tax_code")
	if _, present := r.PostForm["tax_code"]; !present {
		s.renderBusiness(w, r, http.StatusBadRequest, fl, "error.bad_request")
		return
	}
	if choice != "" {
		reps, err := s.env.Store.Representations(ctx, fl.AccountID)
		if err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		found := false
		for _, rep := range reps {
			found = found || string(rep.TaxCode) == choice
		}
		if !found {
			s.renderBusiness(w, r, http.StatusBadRequest, fl, "error.bad_request")
			return
		}
	}
	fl.BusinessDone, fl.TaxCode = true, choice
	if err := s.env.Flows.Save(ctx, fl); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Next.Resume(w, r, fl)
}
