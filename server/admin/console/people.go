package console

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/ui"
)

func (h *Handler) registerPeople(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/people", h.people)
	mux.HandleFunc("GET /admin/people/{id}", h.showPerson)
	for action, do := range map[string]personAction{
		"unlock": unlock, "lock": lock, "password": setPassword, "end-sessions": endSessions,
		"reset-factors": resetFactors, "proofing": recordProofing, "roles/grant": grantRole, "roles/revoke": revokeRole,
		"businesses/unlink": unlinkFromPerson, "sessions/end": endSession,
	} {
		mux.HandleFunc("POST /admin/people/{id}/"+action, h.personPost(do))
	}
}

// pageSize is how many rows a page of results shows.
const pageSize = 25

func (h *Handler) people(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.RequestURI())
	if !ok {
		return
	}
	q := r.URL.Query()
	page := &ui.ConsolePeoplePage{Base: h.base(rq), Nav: h.nav(rq, "people"), Query: strings.TrimSpace(q.Get("q")),
		Kind: q.Get("kind")}
	if page.Kind != "citizen" && page.Kind != "official" {
		page.Kind = ""
	}
	offset := atoi(q.Get("offset"))
	if page.Query != "" || page.Kind != "" {
		page.Searched = true
		found, err := h.searchPeople(rq, page.Query, page.Kind, offset)
		if err != nil {
			h.fail(rq, err, r.URL.RequestURI())
			return
		}
		for _, a := range found.accounts {
			page.Results = append(page.Results, personRow(a))
		}
		page.Exact = found.exact
		if offset > 0 {
			page.PrevURL = peopleURL(page.Query, page.Kind, max(0, offset-pageSize))
		}
		if found.more {
			page.NextURL = peopleURL(page.Query, page.Kind, offset+pageSize)
		}
	}
	h.render(rq, http.StatusOK, "console_people", page)
}

func peopleURL(q, kind string, offset int) string {
	v := url.Values{"q": {q}}
	if kind != "" {
		v.Set("kind", kind)
	}
	if offset > 0 {
		v.Set("offset", itoa(offset))
	}
	return "/admin/people?" + v.Encode()
}

// found is a page of a search of people.
type found struct {
	accounts []*identity.Account
	more     bool
	exact    bool // only an exact lookup by identifier was made
}

// searchPeople finds a page of the people the principal may read
// (Service.SearchAccounts): by a part of the name, email, phone or username,
// or the beginning of the personal ID.
func (h *Handler) searchPeople(rq *request, q, kind string, offset int) (found, error) {
	as, err := rq.svc.SearchAccounts(rq.r.Context(), admin.AccountQuery{Text: q, Kind: identity.Capacity(kind),
		Limit: pageSize + 1, Offset: offset})
	if err != nil {
		return found{}, err
	}
	f := found{accounts: as}
	if len(as) > pageSize {
		f.accounts, f.more = as[:pageSize], true
	}
	return f, nil
}

func personRow(a *identity.Account) ui.ConsolePersonRow {
	row := ui.ConsolePersonRow{ID: a.ID, Name: a.FullName, PersonalID: string(a.PersonalID), Verified: a.PersonalIDVerified(),
		Email: a.Email, Phone: a.Phone, Disabled: a.Disabled}
	for _, c := range a.Capacities() {
		row.Capacities = append(row.Capacities, string(c))
	}
	if a.Official != nil {
		row.Username, row.Agency = a.Official.Username, a.Official.Agency
	}
	return row
}

func (h *Handler) showPerson(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	a, err := rq.svc.FindAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(rq, err, r.URL.Path)
		return
	}
	page, err := h.personPage(rq, a)
	if err != nil {
		h.fail(rq, err, r.URL.Path)
		return
	}
	h.render(rq, http.StatusOK, "console_person", page)
}

// personPage gathers what the console shows of a person, through the
// service's reads (each checks the principal's right to read the person).
func (h *Handler) personPage(rq *request, a *identity.Account) (*ui.ConsolePersonPage, error) {
	ctx := rq.r.Context()
	page := &ui.ConsolePersonPage{Base: h.base(rq), Nav: h.nav(rq, "people"), Person: personRow(a),
		DisabledReason: a.DisabledReason, ProofMethod: string(a.Proofing.Method), Values: map[string]string{}}
	if a.Official != nil {
		page.Department, page.Title, page.Directory = a.Official.Department, a.Official.Title, a.Official.Directory
	}
	v, err := rq.svc.Person(ctx, a)
	if err != nil {
		return nil, err
	}
	st := v.Lock
	page.Detailed = true
	page.Locked = st.TemporarilyLocked
	sort.Strings(page.Locked)
	for name, n := range st.Failures {
		page.Failures = append(page.Failures, ui.ConsoleCount{Name: name, N: n})
	}
	sort.Slice(page.Failures, func(i, j int) bool { return page.Failures[i].Name < page.Failures[j].Name })
	for _, g := range v.Roles {
		page.Roles = append(page.Roles, ui.ConsoleRole{Role: g.Role, Agency: g.Agency, SubUnits: g.SubUnits})
	}
	for _, b := range v.Businesses {
		page.Businesses = append(page.Businesses, ui.ConsoleRepresentation{TaxCode: string(b.TaxCode), Name: b.BusinessName,
			Role: string(b.Role)})
	}
	for _, f := range v.Factors {
		row := ui.ConsoleFactor{Kind: f.Kind, Created: f.CreatedAt}
		if f.Kind == "passkey" || f.Kind == "security_key" {
			row.Name = f.Name // what the person called it; the other names are the service's English
		}
		page.Factors = append(page.Factors, row)
	}
	for _, x := range v.Sessions {
		page.Sessions = append(page.Sessions, ui.ConsoleSession{ID: x.ID, Capacity: x.Capacity, ACR: x.ACR, Address: x.Address,
			Created: x.Created, LastSeen: x.LastSeen, Clients: x.Clients})
	}
	for _, c := range v.Consents {
		page.Consents = append(page.Consents, ui.ConsentRow{ClientID: c.ClientID, Scopes: c.Scopes, GrantedAt: c.GrantedAt})
	}
	page.Recent = auditRows(v.Recent)
	p := rq.p
	page.Can = ui.ConsolePersonActions{
		Unlock:   may(p, admin.PermAccountUnlock) && (a.Disabled || len(st.TemporarilyLocked) > 0 || len(st.Failures) > 0),
		Lock:     may(p, admin.PermAccountLock) && !a.Disabled && a.ID != p.AccountID,
		Password: may(p, admin.PermAccountPassword) && (a.Official == nil || a.Official.Directory == ""),
		Factors:  may(p, admin.PermAccountFactors),
		Sessions: may(p, admin.PermAccountSessions),
		Proofing: may(p, admin.PermAccountProofing) && !a.PersonalIDVerified(),
		Roles:    may(p, admin.PermRoleGrant) && a.Official != nil,
		Business: may(p, admin.PermBusinessWrite),
	}
	page.Grantable = grantable(p)
	return page, nil
}

// grantable are the roles the principal may grant: every one for a
// province-wide super_admin, helpdesk and auditor for an agency_admin (the
// service checks the agency).
func grantable(p *admin.Principal) []string {
	if provinceWide(p, admin.PermRoleGrant) && p.Holds(admin.RoleSuperAdmin) {
		return []string{string(admin.RoleSuperAdmin), string(admin.RoleAgencyAdmin), string(admin.RoleHelpdesk), string(admin.RoleAuditor)}
	}
	if p.Holds(admin.RoleAgencyAdmin) {
		return []string{string(admin.RoleHelpdesk), string(admin.RoleAuditor)}
	}
	return nil
}

// personAction performs one action on the person a with the posted form;
// it returns the notice of its success.
type personAction func(h *Handler, rq *request, a *identity.Account) (string, error)

// personPost serves a form of a person's page: the form is checked, the
// person is found (through the service, which checks the reading), the
// action is taken; a refusal goes through fail, a problem of the input
// shows the page again with it, a success redirects to the page.
func (h *Handler) personPost(do personAction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		back := "/admin/people/" + url.PathEscape(r.PathValue("id"))
		rq, ok := h.post(w, r, back)
		if !ok {
			return
		}
		a, err := rq.svc.FindAccount(r.Context(), r.PathValue("id"))
		if err != nil {
			h.fail(rq, err, back)
			return
		}
		notice, err := do(h, rq, a)
		if probs := problems(err); probs != nil {
			page, perr := h.personPage(rq, a)
			if perr != nil {
				h.fail(rq, perr, back)
				return
			}
			page.Errors = probs
			for _, k := range []string{"personal_id", "document", "agency"} {
				page.Values[k] = r.PostForm.Get(k)
			}
			h.render(rq, http.StatusBadRequest, "console_person", page)
			return
		}
		if err != nil {
			h.fail(rq, err, back)
			return
		}
		done(rq, back, notice)
	}
}

func unlock(h *Handler, rq *request, a *identity.Account) (string, error) {
	return "unlocked", rq.svc.Unlock(rq.r.Context(), a)
}

func lock(h *Handler, rq *request, a *identity.Account) (string, error) {
	return "locked", rq.svc.Lock(rq.r.Context(), a, rq.r.PostForm.Get("reason"))
}

func setPassword(h *Handler, rq *request, a *identity.Account) (string, error) {
	return "password_set", rq.svc.SetPassword(rq.r.Context(), a, rq.r.PostForm.Get("password"))
}

func endSessions(h *Handler, rq *request, a *identity.Account) (string, error) {
	_, err := rq.svc.EndSessions(rq.r.Context(), a.ID)
	return "sessions_ended", err
}

func endSession(h *Handler, rq *request, a *identity.Account) (string, error) {
	return "sessions_ended", rq.svc.EndSession(rq.r.Context(), a, rq.r.PostForm.Get("session"))
}

func resetFactors(h *Handler, rq *request, a *identity.Account) (string, error) {
	_, err := rq.svc.ResetFactors(rq.r.Context(), a)
	return "factors_reset", err
}

// recordProofing records that the administrator saw the person with the
// document: in-person proofing, by the administrator.
func recordProofing(h *Handler, rq *request, a *identity.Account) (string, error) {
	f := rq.r.PostForm
	by := rq.p.Name
	if by == "" {
		by = rq.p.AccountID
	}
	ev := admin.Evidence{Method: "in_person", Document: strings.TrimSpace(f.Get("document")), By: by}
	_, _, err := rq.svc.VerifyPersonalID(rq.r.Context(), a, f.Get("personal_id"), ev, h.now())
	return "proofing_recorded", err
}

func grantRole(h *Handler, rq *request, a *identity.Account) (string, error) {
	f := rq.r.PostForm
	_, err := rq.svc.GrantRole(rq.r.Context(), a, admin.GrantSpec{Role: f.Get("role"), Agency: f.Get("agency"),
		SubUnits: f.Get("sub_units") != ""})
	return "role_granted", err
}

func revokeRole(h *Handler, rq *request, a *identity.Account) (string, error) {
	f := rq.r.PostForm
	return "role_revoked", rq.svc.RevokeRole(rq.r.Context(), a, f.Get("role"), f.Get("agency"))
}

func unlinkFromPerson(h *Handler, rq *request, a *identity.Account) (string, error) {
	return "business_unlinked", rq.svc.UnlinkRepresentative(rq.r.Context(), a, rq.r.PostForm.Get("tax_code"))
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1_000_000 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
