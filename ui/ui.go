package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed templates assets messages
var content embed.FS

// pageNames lists the templates every UI provides: one per file in
// templates/pages, so a feature adds a page by adding its template.
var pageNames = mustPageNames()

func mustPageNames() []string {
	files, err := fs.Glob(content, "templates/pages/*.html")
	if err != nil || len(files) == 0 {
		panic("ui: no page templates embedded")
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".html"))
	}
	return names
}

// Base is embedded in every page's data.
type Base struct {
	Lang      string // "vi" or "en"
	Path      string // current request path + query, for the language switcher
	CSRFToken string
	ErrorKey  string // message key of a form-level error, "" if none
	ErrorArgs []any  // arguments for ErrorKey's message (fmt verbs in the message)
	NoticeKey string // message key of an informational notice, "" if none
}

// Language returns the page language: Lang when it is supported, otherwise
// the default language "vi".
func (b *Base) Language() string {
	if supported(b.Lang) {
		return b.Lang
	}
	return DefaultLanguage
}

// LoginPage is the data of template "login": the password form, posted to
// /login with the fields flow, csrf_token, identifier and password.
type LoginPage struct {
	Base
	FlowID      string
	ClientName  string // the application the user is logging into, "" when none
	Identifier  string // pre-filled identifier after a failed attempt
	CanRegister bool   // show the link to /register?flow=FlowID
	CanReset    bool   // show the link to /login/forgot?flow=FlowID ("forgot password")
	// Passkey offers a passkey login (a button, and the browser's autofill) when its endpoints are set.
	Passkey WebAuthnEndpoints
	// Certificate offers a login with a digital-signature certificate; nil when certificate login is off.
	Certificate *CertificateSignIn
	// CertificateOnly hides the password form: the application needs a certificate login (LoA3).
	CertificateOnly bool
	// Upstreams are the buttons of the upstream identity providers (VNeID, the national portal).
	Upstreams []UpstreamButton
}

// UpstreamButton is a login page's link to log in through an upstream
// identity provider: "Đăng nhập bằng <Label>".
type UpstreamButton struct {
	Label string
	Href  string
}

// RegisterPage is the data of template "register": a citizen's registration
// form, posted to /register with the fields flow, csrf_token, personal_id,
// full_name, birthdate, gender, email, phone, password and password_confirm.
type RegisterPage struct {
	Base
	FlowID            string
	Values            map[string]string // previous input by field name (passwords are never shown)
	FieldErrors       map[string]string // field name → message key (e.g. "error.personal_id.province")
	MinPasswordLength int
	// PrivacyURL is the operator's privacy notice in the page's language
	// ("" shows the catalog's short notice only) and PrivacyVersion its
	// version, which the person accepts with the field privacy_accept=1.
	PrivacyURL, PrivacyVersion string
}

// ConsentPage is the data of template "consent", posted to /consent with the
// fields flow, csrf_token, remember and decision ("allow" or "deny").
type ConsentPage struct {
	Base
	FlowID     string
	ClientName string
	Items      []ConsentItem // exactly what will be released
	// Purpose is the client's purpose statement and PrivacyURL its privacy
	// notice, in the page's language; "" shows none.
	Purpose, PrivacyURL string
	// Remember checks the "remember" box from the start.
	Remember bool
}

// ConsentItem is one scope on the consent page. The page shows the message
// "scope.<Scope>" and, for each claim, "claim.<claim>".
type ConsentItem struct {
	Scope  string
	Claims []string
}

// BusinessPage is the data of template "business", posted to /login/business
// with the fields flow, csrf_token and tax_code ("" to act for oneself).
type BusinessPage struct {
	Base
	FlowID     string
	ClientName string
	Businesses []BusinessOption
}

// BusinessOption is a business the person may act for. Role is
// "legal_representative" or "authorised_staff", shown as "role.<Role>".
type BusinessOption struct {
	TaxCode, Name, Role string
}

// ErrorPage is the data of template "error". An empty TitleKey or MessageKey
// shows the generic server-error text.
type ErrorPage struct {
	Base
	Status      int
	TitleKey    string // e.g. "error.title.bad_request"
	MessageKey  string
	MessageArgs []any
	RequestID   string // shown small, for support
	BackURL     string // optional link back
}

// MessagePage is the data of template "message": a titled message with an
// optional link (registered, logged out, consent withdrawn…). An empty
// LinkKey labels the link "app.continue".
type MessagePage struct {
	Base
	TitleKey, MessageKey string
	MessageArgs          []any
	LinkURL, LinkKey     string
	// AppURL, when set, is a link back to the application AppName (a
	// registered client's home, never a URL from the request), shown first.
	AppURL, AppName string
}

// AccountPage is the data of template "account": the signed-in person's
// console home, with a withdraw form per consent (POST
// /account/consents/revoke, fields csrf_token and client_id) and a sign-out
// form (POST /logout, field csrf_token).
type AccountPage struct {
	Base
	FullName   string
	Capacities []string // "citizen"/"official", shown as "capacity.<x>"
	Consents   []ConsentRow
	// Sessions lists the person's live SSO sessions, the current one first.
	Sessions []SessionRow
	// Certificates links to the certificates bound to the account (/account/certificates).
	Certificates bool
	// Profile links to the profile and contacts (/account/profile).
	Profile bool
	// ChangePassword links to the change of password (/account/password).
	ChangePassword bool
	// Privacy links to the person's rights over their data: the consent
	// history, the download and the deletion (/account/privacy/...).
	Privacy bool
}

// ConsentRow is one application the person granted consent to. An empty
// ClientName shows ClientID instead; a zero GrantedAt is not shown.
type ConsentRow struct {
	ClientID, ClientName string
	Scopes               []string
	GrantedAt            time.Time
}

// Every page type can be passed to Render.
var (
	_ interface{ Language() string } = (*LoginPage)(nil)
	_ interface{ Language() string } = (*RegisterPage)(nil)
	_ interface{ Language() string } = (*ConsentPage)(nil)
	_ interface{ Language() string } = (*BusinessPage)(nil)
	_ interface{ Language() string } = (*ErrorPage)(nil)
	_ interface{ Language() string } = (*MessagePage)(nil)
	_ interface{ Language() string } = (*AccountPage)(nil)
)

// Options configures a UI.
type Options struct {
	// ProductName is shown in <title> and in the page header. Empty means
	// the message "app.name" of the page language.
	ProductName string
	// Support is shown on error pages and in the login page's help; the
	// zero value shows nothing.
	Support SupportContact
}

// UI renders pages and serves their assets. It is safe for concurrent use.
type UI struct {
	pages  map[string]map[string]*template.Template // language → page name → template
	assets map[string]*asset                        // name below assets/ → file
}

// asset is one embedded static file, prepared once.
type asset struct {
	body        []byte
	contentType string
	version     string // short content hash, the "v" query parameter of its URL
	etag        string
}

// New parses all templates once per language and prepares the assets. It
// fails only when an embedded file is broken.
func New(opts Options) (*UI, error) {
	u := &UI{pages: make(map[string]map[string]*template.Template)}
	var err error
	if u.assets, err = loadAssets(content); err != nil {
		return nil, err
	}
	for _, lang := range Languages() {
		base, err := template.New("layout").Funcs(u.funcs(lang, opts)).ParseFS(content, "templates/*.html")
		if err != nil {
			return nil, fmt.Errorf("ui: parse layout (%s): %w", lang, err)
		}
		set := make(map[string]*template.Template, len(pageNames))
		for _, name := range pageNames {
			clone, err := base.Clone()
			if err != nil {
				return nil, fmt.Errorf("ui: clone layout for %q (%s): %w", name, lang, err)
			}
			page, err := clone.ParseFS(content, "templates/pages/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("ui: parse page %q (%s): %w", name, lang, err)
			}
			set[name] = page
		}
		u.pages[lang] = set
	}
	return u, nil
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Render renders the page template name with data, which must be a pointer to
// one of the page structs (only pointers carry Base's Language method). It
// renders into a buffer first: on a template error it returns the error and
// writes nothing, so the caller can still send an error page. On success it
// sets Content-Type text/html; charset=utf-8, Content-Language, and
// Cache-Control no-store unless the caller set Cache-Control already, then
// writes status (0 means 200) and the page.
func (u *UI) Render(w http.ResponseWriter, status int, name string, data interface{ Language() string }) error {
	if data == nil {
		return errors.New("ui: render " + name + ": nil data")
	}
	if v := reflect.ValueOf(data); v.Kind() == reflect.Pointer && v.IsNil() {
		return errors.New("ui: render " + name + ": nil data")
	}
	lang := data.Language()
	set, ok := u.pages[lang]
	if !ok {
		lang = DefaultLanguage
		set = u.pages[lang]
	}
	tmpl, ok := set[name]
	if !ok {
		return fmt.Errorf("ui: no page template %q", name)
	}
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufferPool.Put(buf)
		}
	}()
	if err := tmpl.ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("ui: render %q: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Assets returns a handler that serves the embedded files below /assets/
// (mount it at "/assets/"; a handler behind http.StripPrefix works too). It
// answers GET and HEAD only, with an ETag and conditional requests. A URL
// carrying the current version (?v=…, as produced by the template function
// asset) is cacheable for a year; any other for an hour.
func (u *UI) Assets() http.Handler {
	return http.HandlerFunc(u.serveAsset)
}

func (u *UI) serveAsset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/assets/")
	if !ok {
		name = strings.TrimPrefix(r.URL.Path, "/")
	}
	a, ok := u.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}

// assetURL returns the versioned URL of the asset name.
func (u *UI) assetURL(name string) string {
	if a, ok := u.assets[name]; ok {
		return "/assets/" + name + "?v=" + a.version
	}
	return "/assets/" + name
}

var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".json":  "application/json",
	".txt":   "text/plain; charset=utf-8",
}

func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	assets := make(map[string]*asset)
	err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		version := hex.EncodeToString(sum[:8])
		assets[strings.TrimPrefix(p, "assets/")] = &asset{
			body:        body,
			contentType: ct,
			version:     version,
			etag:        `"` + version + `"`,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: load assets: %w", err)
	}
	return assets, nil
}
