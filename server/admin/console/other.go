package console

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// provinceWide reports whether one of the principal's grants allows perm
// over the whole province.
func provinceWide(p *admin.Principal, perm admin.Permission) bool {
	for _, g := range p.Grants {
		if g.Agency == "" && admin.Role(g.Role).Allows(perm) {
			return true
		}
	}
	return false
}

// dashboard is the console's home: the overview of the last day
// (Service.Dashboard) for those who read the whole audit log; the other
// administrators get the sections they may open.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, "/admin")
	if !ok {
		return
	}
	page := &ui.ConsoleDashboardPage{Base: h.base(rq), Nav: h.nav(rq, "dashboard")}
	if !provinceWide(rq.p, admin.PermAuditRead) {
		page.Missing = true
		h.render(rq, http.StatusOK, "console_dashboard", page)
		return
	}
	v, err := rq.svc.Dashboard(r.Context(), h.now())
	if err != nil {
		h.fail(rq, err, "/admin")
		return
	}
	page.From, page.To = v.From, v.To
	totals := map[[2]string]int{}
	for _, c := range v.Logins {
		outcome := strings.TrimPrefix(c.Type, "login.")
		page.Logins = append(page.Logins, ui.ConsoleLoginRow{Hour: c.Hour, Method: c.Method, Outcome: outcome, N: c.N})
		totals[[2]string{c.Method, outcome}] += c.N
	}
	for k, n := range totals {
		page.Totals = append(page.Totals, ui.ConsoleLoginRow{Method: k[0], Outcome: k[1], N: n})
	}
	sort.Slice(page.Totals, func(i, j int) bool {
		a, b := page.Totals[i], page.Totals[j]
		return a.Method < b.Method || a.Method == b.Method && a.Outcome > b.Outcome
	})
	for _, c := range v.Lockouts {
		page.Lockouts += c.N
	}
	page.Queue = int(v.LogoutQueue[store.DeliveryPending])
	page.Directories = directoryRows(v.Directories, rq.p)
	now := h.now()
	for _, k := range v.Keys {
		page.Keys = append(page.Keys, ui.ConsoleKeyRow{ID: k.ID, Algorithm: k.Algorithm, State: k.State, Created: k.CreatedAt,
			AgeDays: int(now.Sub(k.CreatedAt) / (24 * time.Hour))})
	}
	h.render(rq, http.StatusOK, "console_dashboard", page)
}

func directoryRows(ds []admin.DirectoryStatus, p *admin.Principal) []ui.ConsoleDirectoryRow {
	var rows []ui.ConsoleDirectoryRow
	for _, d := range ds {
		rows = append(rows, ui.ConsoleDirectoryRow{Name: d.Name, Agency: d.Agency, LastSync: d.SyncedAt, FullSync: d.FullSyncAt,
			NeverSync: d.SyncedAt.IsZero(), Accounts: d.Accounts, Disabled: d.Disabled, Servers: d.URLs,
			CanSync: may(p, admin.PermDirectorySync)})
	}
	return rows
}

func (h *Handler) directories(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	h.renderDirectories(rq, nil, nil)
}

func (h *Handler) renderDirectories(rq *request, checks []ui.ConsoleCheck, synced *ui.ConsoleSync) {
	ds, err := rq.svc.Directories(rq.r.Context())
	if err != nil {
		h.fail(rq, err, "/admin/directories")
		return
	}
	page := &ui.ConsoleDirectoriesPage{Base: h.base(rq), Nav: h.nav(rq, "directories"), Directories: directoryRows(ds, rq.p),
		Checks: checks, Synced: synced}
	h.render(rq, http.StatusOK, "console_directories", page)
}

func (h *Handler) testDirectory(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.post(w, r, "/admin/directories")
	if !ok {
		return
	}
	name := r.PathValue("name")
	res, err := rq.svc.TestDirectory(r.Context(), name)
	if err != nil {
		h.fail(rq, err, "/admin/directories")
		return
	}
	var checks []ui.ConsoleCheck
	for _, c := range res {
		checks = append(checks, ui.ConsoleCheck{Directory: name, URL: c.URL, OK: c.OK, Error: c.Error})
	}
	h.renderDirectories(rq, checks, nil)
}

func (h *Handler) syncDirectory(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.post(w, r, "/admin/directories")
	if !ok {
		return
	}
	res, err := rq.svc.SyncDirectory(r.Context(), r.PathValue("name"), r.PostForm.Get("full") != "", nil)
	if err != nil {
		h.fail(rq, err, "/admin/directories")
		return
	}
	h.renderDirectories(rq, nil, &ui.ConsoleSync{Directory: res.Directory, Seen: res.Seen, Created: res.Created,
		Updated: res.Updated, Disabled: res.Disabled, Enabled: res.Enabled})
}

func (h *Handler) businesses(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.RequestURI())
	if !ok {
		return
	}
	h.renderBusiness(rq, http.StatusOK, strings.TrimSpace(r.URL.Query().Get("tax_code")), nil, nil)
}

// renderBusiness shows the business page, looking up taxCode when given.
func (h *Handler) renderBusiness(rq *request, status int, taxCode string, errs []ui.ConsoleFieldError, values map[string]string) {
	if values == nil {
		values = map[string]string{}
	}
	page := &ui.ConsoleBusinessPage{Base: h.base(rq), Nav: h.nav(rq, "businesses"), TaxCode: taxCode,
		CanWrite: may(rq.p, admin.PermBusinessWrite), Errors: errs, Values: values}
	if taxCode != "" {
		page.Searched = true
		v, err := rq.svc.Business(rq.r.Context(), taxCode)
		switch probs := problems(err); {
		case probs != nil:
			page.Searched, page.Errors = false, append(page.Errors, probs...)
			for i := range page.Errors {
				if page.Errors[i].Field == "tax_code" {
					page.Errors[i].Anchor = "tax_code"
				}
			}
			status = http.StatusBadRequest
		case admin.IsNotFound(err):
		case err != nil:
			h.fail(rq, err, "/admin/businesses")
			return
		default:
			page.Found, page.Name, page.TaxCode = true, v.Business.Name, string(v.Business.TaxCode)
			for _, rep := range v.Representatives {
				page.Representatives = append(page.Representatives, ui.ConsoleRepresentative{AccountID: rep.AccountID,
					Name: rep.Name, Role: string(rep.Role), GrantedBy: rep.GrantedBy})
			}
		}
	}
	h.render(rq, status, "console_business", page)
}

func (h *Handler) linkBusiness(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.post(w, r, "/admin/businesses")
	if !ok {
		return
	}
	f := r.PostForm
	values := map[string]string{"account": f.Get("account"), "tax_code": f.Get("tax_code"),
		"business_name": f.Get("business_name"), "role": f.Get("role")}
	a, err := rq.svc.FindAccount(r.Context(), f.Get("account"))
	if admin.IsNotFound(err) || strings.TrimSpace(f.Get("account")) == "" {
		h.renderBusiness(rq, http.StatusBadRequest, "", []ui.ConsoleFieldError{{Field: "account_ref", Anchor: "account"}}, values)
		return
	}
	if err != nil {
		h.fail(rq, err, "/admin/businesses")
		return
	}
	rep, err := rq.svc.LinkRepresentative(r.Context(), a, f.Get("tax_code"), f.Get("business_name"), f.Get("role"))
	if probs := problems(err); probs != nil {
		h.renderBusiness(rq, http.StatusBadRequest, "", probs, values)
		return
	}
	if err != nil {
		h.fail(rq, err, "/admin/businesses")
		return
	}
	web.Redirect(w, r, "/admin/businesses?"+url.Values{"tax_code": {string(rep.TaxCode)}, "done": {"business_linked"}}.Encode())
}

func (h *Handler) unlinkBusiness(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.post(w, r, "/admin/businesses")
	if !ok {
		return
	}
	f := r.PostForm
	a, err := rq.svc.FindAccount(r.Context(), f.Get("account"))
	if err != nil {
		h.fail(rq, err, "/admin/businesses")
		return
	}
	err = rq.svc.UnlinkRepresentative(r.Context(), a, f.Get("tax_code"))
	if probs := problems(err); probs != nil {
		h.renderBusiness(rq, http.StatusBadRequest, "", probs, nil)
		return
	}
	if err != nil {
		h.fail(rq, err, "/admin/businesses")
		return
	}
	web.Redirect(w, r, "/admin/businesses?"+url.Values{"tax_code": {f.Get("tax_code")}, "done": {"business_unlinked"}}.Encode())
}

// auditPageSize is how many events a page of the audit log shows.
const auditPageSize = 50

// auditFilters are the filters of the audit search, by query parameter.
var auditFilters = []string{"subject", "actor", "client", "type", "address", "from", "to"}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.RequestURI())
	if !ok {
		return
	}
	q := r.URL.Query()
	page := &ui.ConsoleAuditPage{Base: h.base(rq), Nav: h.nav(rq, "audit"), Filters: map[string]string{}}
	for _, k := range auditFilters {
		page.Filters[k] = strings.TrimSpace(q.Get(k))
	}
	query := admin.AuditQuery{Subject: page.Filters["subject"], Actor: page.Filters["actor"], ClientID: page.Filters["client"],
		Type: page.Filters["type"], Address: page.Filters["address"], Limit: auditPageSize + 1, Offset: atoi(q.Get("offset"))}
	for _, k := range []string{"from", "to"} {
		v := page.Filters[k]
		if v == "" {
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", v, vietnam)
		if err != nil {
			page.Errors = append(page.Errors, ui.ConsoleFieldError{Field: k, Anchor: k})
			continue
		}
		if k == "from" {
			query.From = d
		} else {
			query.To = d.AddDate(0, 0, 1) // the whole day
		}
	}
	// An administrator of an agency names a person: nothing is searched
	// (nor refused) before they do.
	scoped := may(rq.p, admin.PermAuditRead) && !provinceWide(rq.p, admin.PermAuditRead) && query.Subject == "" && query.Actor == ""
	if scoped {
		page.Errors = append(page.Errors, ui.ConsoleFieldError{Field: "filter", Anchor: "subject"})
	}
	status := http.StatusOK
	if len(page.Errors) > 0 && !scoped {
		status = http.StatusBadRequest
	}
	if len(page.Errors) == 0 {
		events, err := rq.svc.SearchAudit(r.Context(), query)
		if probs := problems(err); probs != nil {
			page.Errors, status = probs, http.StatusBadRequest
		} else if err != nil {
			h.fail(rq, err, r.URL.RequestURI())
			return
		}
		if len(events) > auditPageSize {
			events = events[:auditPageSize]
			page.NextURL = auditURL(page.Filters, query.Offset+auditPageSize)
		}
		if query.Offset > 0 {
			page.PrevURL = auditURL(page.Filters, max(0, query.Offset-auditPageSize))
		}
		page.Events = auditRows(events)
	}
	h.render(rq, status, "console_audit", page)
}

// vietnam is the time zone of the dates an administrator types.
var vietnam = time.FixedZone("ICT", 7*60*60)

func auditURL(filters map[string]string, offset int) string {
	v := url.Values{}
	for _, k := range auditFilters {
		if filters[k] != "" {
			v.Set(k, filters[k])
		}
	}
	if offset > 0 {
		v.Set("offset", itoa(offset))
	}
	return "/admin/audit?" + v.Encode()
}

func auditRows(events []*store.AuditEvent) []ui.ConsoleAuditRow {
	rows := make([]ui.ConsoleAuditRow, 0, len(events))
	for _, e := range events {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var d strings.Builder
		for i, k := range keys {
			if i > 0 {
				d.WriteString(", ")
			}
			d.WriteString(k + "=" + e.Details[k])
		}
		rows = append(rows, ui.ConsoleAuditRow{Time: e.Time, Type: e.Type, Actor: e.Actor, Subject: e.Subject,
			Client: e.ClientID, Addr: e.Address, Details: d.String()})
	}
	return rows
}
