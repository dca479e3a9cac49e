package console

import (
	"net/http"

	"github.com/dinhdanh/dinhdanh/ui"
)

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, "/admin")
	if !ok {
		return
	}
	page := &ui.ConsoleDashboardPage{Base: h.base(rq), Nav: h.nav(rq, "dashboard"), Missing: true}
	h.render(rq, http.StatusOK, "console_dashboard", page)
}

func (h *Handler) directories(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	page := &ui.ConsoleDirectoriesPage{Base: h.base(rq), Nav: h.nav(rq, "directories"), Missing: true}
	h.render(rq, http.StatusOK, "console_directories", page)
}

func (h *Handler) testDirectory(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.post(w, r, "/admin/directories"); !ok {
		return
	}
	h.kit.Error(w, r, http.StatusNotFound, "not_found")
}

func (h *Handler) syncDirectory(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.post(w, r, "/admin/directories"); !ok {
		return
	}
	h.kit.Error(w, r, http.StatusNotFound, "not_found")
}

func (h *Handler) businesses(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.RequestURI())
	if !ok {
		return
	}
	page := &ui.ConsoleBusinessPage{Base: h.base(rq), Nav: h.nav(rq, "businesses"), Missing: true, Values: map[string]string{}}
	h.render(rq, http.StatusOK, "console_business", page)
}

func (h *Handler) linkBusiness(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.post(w, r, "/admin/businesses"); !ok {
		return
	}
	h.kit.Error(w, r, http.StatusNotFound, "not_found")
}

func (h *Handler) unlinkBusiness(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.post(w, r, "/admin/businesses"); !ok {
		return
	}
	h.kit.Error(w, r, http.StatusNotFound, "not_found")
}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.RequestURI())
	if !ok {
		return
	}
	page := &ui.ConsoleAuditPage{Base: h.base(rq), Nav: h.nav(rq, "audit"), Missing: true, Filters: map[string]string{}}
	h.render(rq, http.StatusOK, "console_audit", page)
}
