package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

func (h *Handler) registerApps(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/apps", h.apps)
	mux.HandleFunc("GET /admin/apps/new", h.newApp)
	mux.HandleFunc("POST /admin/apps", h.createApp)
	mux.HandleFunc("GET /admin/apps/{id}", h.showApp)
	mux.HandleFunc("GET /admin/apps/{id}/edit", h.editApp)
	mux.HandleFunc("POST /admin/apps/{id}/edit", h.saveApp)
	mux.HandleFunc("POST /admin/apps/{id}/rotate", h.rotateSecret)
	mux.HandleFunc("POST /admin/apps/{id}/delete", h.deleteApp)
}

func appOf(c *store.Client) ui.ConsoleApp {
	return ui.ConsoleApp{ID: c.ID, Name: c.Name, Agency: c.Agency, Public: c.Public, FirstParty: c.FirstParty,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs, GrantTypes: c.GrantTypes,
		Scopes: c.Scopes, Audience: c.Audience, IDTokenAlgorithm: c.IDTokenAlgorithm, TokenFormat: c.AccessTokenFormat,
		AuthMethod: c.TokenEndpointAuthMethod, MinimumACR: c.MinimumACR, ClaimProfile: c.ClaimProfile,
		BackchannelLogoutURI: c.BackchannelLogoutURI, FrontchannelLogoutURI: c.FrontchannelLogoutURI,
		Created: c.CreatedAt, Updated: c.UpdatedAt}
}

func (h *Handler) apps(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	clients, err := h.listClients(rq)
	if err != nil {
		h.fail(rq, err, r.URL.Path)
		return
	}
	page := &ui.ConsoleAppsPage{Base: h.base(rq), Nav: h.nav(rq, "apps"), CanWrite: may(rq.p, admin.PermClientWrite)}
	for _, c := range clients {
		page.Apps = append(page.Apps, appOf(c))
	}
	h.render(rq, http.StatusOK, "console_apps", page)
}

// listClients lists the applications the principal may see.
func (h *Handler) listClients(rq *request) ([]*store.Client, error) {
	return rq.svc.ListClients(rq.r.Context())
}

// getClient returns the application, if the principal may see it.
func (h *Handler) getClient(rq *request, id string) (*store.Client, error) {
	return rq.svc.GetClient(rq.r.Context(), id)
}

func (h *Handler) showApp(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	c, err := h.getClient(rq, r.PathValue("id"))
	if err != nil {
		h.fail(rq, err, r.URL.Path)
		return
	}
	h.renderApp(rq, http.StatusOK, c, "")
}

// renderApp shows the application; secret, when set, is shown this once.
func (h *Handler) renderApp(rq *request, status int, c *store.Client, secret string) {
	page := &ui.ConsoleAppPage{Base: h.base(rq), Nav: h.nav(rq, "apps"), App: appOf(c), Secret: secret,
		Snippet: h.snippet(c), CanWrite: may(rq.p, admin.PermClientWrite), CanDelete: may(rq.p, admin.PermClientDelete)}
	page.CanEdit = page.CanWrite
	h.render(rq, status, "console_app", page)
}

// snippet is what the application's developers need: the issuer, its
// discovery document, the client ID and redirect URIs, and an example
// authorization request with PKCE.
func (h *Handler) snippet(c *store.Client) ui.ConsoleSnippet {
	s := ui.ConsoleSnippet{Issuer: h.issuer, Discovery: h.issuer + oauth.PathDiscovery, ClientID: c.ID,
		RedirectURIs: c.RedirectURIs, TokenEndpoint: h.issuer + oauth.PathToken}
	redirect := "https://app.example.gov.vn/callback"
	if len(c.RedirectURIs) > 0 {
		redirect = c.RedirectURIs[0]
	}
	scope := "openid profile"
	if len(c.Scopes) > 0 {
		scope = strings.Join(c.Scopes, " ")
	}
	q := url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {redirect}, "scope": {scope},
		"state": {"STATE"}, "nonce": {"NONCE"}, "code_challenge": {"CODE_CHALLENGE"}, "code_challenge_method": {"S256"}}
	if c.MinimumACR != "" {
		q.Set("acr_values", c.MinimumACR)
	}
	s.AuthorizeExample = h.issuer + oauth.PathAuthorize + "?" + q.Encode()
	return s
}

func (h *Handler) formPage(rq *request, action string, editing bool, id string) *ui.ConsoleAppFormPage {
	return &ui.ConsoleAppFormPage{Base: h.base(rq), Nav: h.nav(rq, "apps"), Action: action, Editing: editing, ID: id,
		Values: map[string]string{}, Checks: map[string]bool{}, Algorithms: keys.Algorithms}
}

func (h *Handler) newApp(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	page := h.formPage(rq, "/admin/apps", false, "")
	page.Values["scopes"] = "openid profile email phone"
	page.Values["id_token_alg"] = keys.RS256
	page.Values["access_token_format"] = store.AccessTokenJWT
	page.Values["auth_method"] = "client_secret_basic"
	page.Checks["authorization_code"], page.Checks["refresh_token"] = true, true
	h.render(rq, http.StatusOK, "console_app_form", page)
}

// specOf reads the application form.
func specOf(f url.Values) admin.ClientSpec {
	return admin.ClientSpec{ID: strings.TrimSpace(f.Get("id")), Name: f.Get("name"), Agency: strings.TrimSpace(f.Get("agency")),
		Public: f.Get("public") != "", FirstParty: f.Get("first_party") != "", RedirectURIs: lines(f.Get("redirect_uris")),
		GrantTypes: f["grant_type"], Scopes: strings.Fields(f.Get("scopes")), Audience: strings.Fields(f.Get("audience")),
		IDTokenAlgorithm: f.Get("id_token_alg"), AccessTokenFormat: f.Get("access_token_format"),
		TokenEndpointAuthMethod: f.Get("auth_method"), PostLogoutRedirectURIs: lines(f.Get("post_logout_redirect_uris")),
		BackchannelLogoutURI:  strings.TrimSpace(f.Get("backchannel_logout_uri")),
		FrontchannelLogoutURI: strings.TrimSpace(f.Get("frontchannel_logout_uri")), MinimumACR: f.Get("min_acr"),
		ClaimProfile: f.Get("claim_profile"), PurposeVI: f.Get("purpose_vi"), PurposeEN: f.Get("purpose_en"),
		PrivacyURLVI: strings.TrimSpace(f.Get("privacy_url_vi")), PrivacyURLEN: strings.TrimSpace(f.Get("privacy_url_en"))}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// refill puts the posted form back into the page.
func refill(page *ui.ConsoleAppFormPage, f url.Values) {
	for _, k := range []string{"id", "name", "agency", "redirect_uris", "scopes", "audience", "id_token_alg",
		"access_token_format", "auth_method", "post_logout_redirect_uris", "backchannel_logout_uri",
		"frontchannel_logout_uri", "min_acr", "claim_profile", "purpose_vi", "purpose_en", "privacy_url_vi", "privacy_url_en"} {
		page.Values[k] = f.Get(k)
	}
	page.Checks["public"], page.Checks["first_party"] = f.Get("public") != "", f.Get("first_party") != ""
	for _, g := range f["grant_type"] {
		page.Checks[g] = true
	}
}

// appFormLimits lets the application form send the three grant types.
var appFormLimits = map[string]web.FieldLimit{"grant_type": {MaxLen: 64, MaxCount: 3}}

func (h *Handler) createApp(w http.ResponseWriter, r *http.Request) {
	if !h.kit.ParsePostWith(w, r, appFormLimits) {
		return
	}
	rq, ok := h.begin(w, r, "/admin/apps/new")
	if !ok {
		return
	}
	c, secret, err := rq.svc.CreateClient(r.Context(), specOf(r.PostForm))
	if probs := problems(err); probs != nil {
		page := h.formPage(rq, "/admin/apps", false, "")
		refill(page, r.PostForm)
		page.Errors = probs
		h.render(rq, http.StatusBadRequest, "console_app_form", page)
		return
	}
	if err != nil {
		h.fail(rq, err, "/admin/apps/new")
		return
	}
	h.renderApp(rq, http.StatusCreated, c, secret)
}

func (h *Handler) editApp(w http.ResponseWriter, r *http.Request) {
	rq, ok := h.begin(w, r, r.URL.Path)
	if !ok {
		return
	}
	c, err := h.getClient(rq, r.PathValue("id"))
	if err != nil {
		h.fail(rq, err, r.URL.Path)
		return
	}
	page := h.formPage(rq, "/admin/apps/"+url.PathEscape(c.ID)+"/edit", true, c.ID)
	page.Values = map[string]string{"name": c.Name, "agency": c.Agency, "redirect_uris": strings.Join(c.RedirectURIs, "\n"),
		"scopes": strings.Join(c.Scopes, " "), "audience": strings.Join(c.Audience, " "), "id_token_alg": c.IDTokenAlgorithm,
		"access_token_format": c.AccessTokenFormat, "auth_method": c.TokenEndpointAuthMethod,
		"post_logout_redirect_uris": strings.Join(c.PostLogoutRedirectURIs, "\n"), "backchannel_logout_uri": c.BackchannelLogoutURI,
		"frontchannel_logout_uri": c.FrontchannelLogoutURI, "min_acr": c.MinimumACR, "claim_profile": c.ClaimProfile,
		"purpose_vi": c.PurposeVI, "purpose_en": c.PurposeEN, "privacy_url_vi": c.PrivacyURLVI, "privacy_url_en": c.PrivacyURLEN}
	page.Checks["public"], page.Checks["first_party"] = c.Public, c.FirstParty
	for _, g := range c.GrantTypes {
		page.Checks[g] = true
	}
	h.render(rq, http.StatusOK, "console_app_form", page)
}

func (h *Handler) saveApp(w http.ResponseWriter, r *http.Request) {
	if !h.kit.ParsePostWith(w, r, appFormLimits) {
		return
	}
	id := r.PathValue("id")
	back := "/admin/apps/" + url.PathEscape(id) + "/edit"
	rq, ok := h.begin(w, r, back)
	if !ok {
		return
	}
	old, err := h.getClient(rq, id)
	if err != nil {
		h.fail(rq, err, back)
		return
	}
	spec := specOf(r.PostForm)
	// Whether a client is public, and who owns it, are not edited here.
	spec.ID, spec.Public, spec.Agency = old.ID, old.Public, old.Agency
	_, err = rq.svc.EditClient(r.Context(), id, spec)
	if probs := problems(err); probs != nil {
		page := h.formPage(rq, back, true, id)
		refill(page, r.PostForm)
		page.Values["agency"], page.Checks["public"] = old.Agency, old.Public
		page.Errors = probs
		h.render(rq, http.StatusBadRequest, "console_app_form", page)
		return
	}
	if err != nil {
		h.fail(rq, err, back)
		return
	}
	done(rq, "/admin/apps/"+url.PathEscape(id), "app_saved")
}

func (h *Handler) rotateSecret(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	back := "/admin/apps/" + url.PathEscape(id)
	rq, ok := h.post(w, r, back)
	if !ok {
		return
	}
	secret, err := rq.svc.RotateSecret(r.Context(), id)
	if probs := problems(err); probs != nil {
		h.kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "bad_request")
		return
	}
	if err != nil {
		h.fail(rq, err, back)
		return
	}
	c, err := h.getClient(rq, id)
	if err != nil {
		h.fail(rq, err, back)
		return
	}
	h.renderApp(rq, http.StatusOK, c, secret)
}

func (h *Handler) deleteApp(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	back := "/admin/apps/" + url.PathEscape(id)
	rq, ok := h.post(w, r, back)
	if !ok {
		return
	}
	if err := rq.svc.DeleteClient(r.Context(), id); err != nil {
		h.fail(rq, err, back)
		return
	}
	done(rq, "/admin/apps", "app_deleted")
}
