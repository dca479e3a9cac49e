package harness

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// maxHops bounds the redirects of one navigation.
const maxHops = 20

// Browser is a person's browser: its own cookie jar, redirects followed
// within the identity provider's origin only.
type Browser struct {
	// Origin is the identity provider's scheme://host:port.
	Origin string
	// AcceptLanguage is sent with every request ("vi" unless changed).
	AcceptLanguage string
	// UserAgent is sent with every request.
	UserAgent string
	// Header holds more headers sent with every request, as a reverse proxy
	// in front of the identity provider adds them.
	Header http.Header

	client *http.Client
	jar    *cookiejar.Jar
	// origins are more origins of the identity provider (AddOrigin).
	origins []string
}

// NewBrowser returns a browser with an empty cookie jar for the server, at
// its Base.
func (s *Server) NewBrowser(t testing.TB) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{
		Origin:         s.base(),
		AcceptLanguage: "vi",
		UserAgent:      "Mozilla/5.0 (dinhdanh e2e)",
		jar:            jar,
		client: &http.Client{Jar: jar, Timeout: RequestTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// AddOrigin makes another scheme://host:port part of the identity provider
// for this browser: redirects to it are followed, like those within Origin
// (a second listener, such as the one of mutual-TLS login).
func (b *Browser) AddOrigin(origin string) {
	b.origins = append(b.origins, strings.TrimSuffix(origin, "/"))
}

// transport returns the browser's own transport, made on first use; its
// connections are closed when the test ends, before the server stops (a
// connection opened and never used would hold up the server's shutdown).
func (b *Browser) transport(t testing.TB) *http.Transport {
	if tr, ok := b.client.Transport.(*http.Transport); ok {
		return tr
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	b.client.Transport = tr
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// UseTLS sets the TLS configuration of the browser's https connections: the
// roots it trusts and the client certificate it presents when asked.
func (b *Browser) UseTLS(t testing.TB, c *tls.Config) {
	b.transport(t).TLSClientConfig = c
}

// UseLocalAddress makes the browser connect from the loopback address ip
// (such as "127.0.0.2"), as a client or a reverse proxy at that address
// would; the identity provider sees it as the request's source.
func (b *Browser) UseLocalAddress(t testing.TB, ip string) {
	t.Helper()
	addr := net.ParseIP(ip)
	if addr == nil {
		t.Fatalf("UseLocalAddress(%q): not an IP address", ip)
	}
	d := &net.Dialer{Timeout: RequestTimeout, LocalAddr: &net.TCPAddr{IP: addr}}
	tr := b.transport(t)
	tr.DialContext = d.DialContext
	tr.CloseIdleConnections()
}

// Hop is one request of a navigation.
type Hop struct {
	Method, URL string
	Status      int
	// Location is the redirect target, resolved ("" when not a redirect).
	Location string
	// ContentType is the response's Content-Type.
	ContentType string
}

// Response is the end of a navigation: either a page served by the identity
// provider or a redirect that leaves its origin.
type Response struct {
	// Hops are the requests made, in order.
	Hops []Hop
	// Page is the last response when the navigation stayed at the identity provider.
	Page *Page
	// Redirect is where the identity provider sent the browser outside its
	// origin (an application's redirect URI); the browser did not follow it.
	Redirect *url.URL
}

// Page is a response of the identity provider that was not a redirect.
type Page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
}

// Path returns the page's URL path.
func (p *Page) Path() string { return p.URL.Path }

// Lang returns the lang attribute of the page's <html> element.
func (p *Page) Lang() string {
	if els := ElementsByTag(p.Body, "html"); len(els) > 0 {
		return els[0].Attrs["lang"]
	}
	return ""
}

// Forms returns the page's forms.
func (p *Page) Forms() []*Form { return ParseForms(p.Body, p.URL) }

// Form returns the only form of the page that posts to the path (an action
// like "/login"), failing the test when there is none or several.
func (p *Page) Form(t testing.TB, actionPath string) *Form {
	t.Helper()
	var found []*Form
	for _, f := range p.Forms() {
		if u, err := url.Parse(f.Action); err == nil && u.Path == actionPath {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("page %s (status %d) has %d forms posting to %s, want 1:\n%s", p.URL, p.Status, len(found), actionPath, p.Body)
	}
	return found[0]
}

// ByClass returns the page's elements with the class.
func (p *Page) ByClass(class string) []Element { return ElementsByClass(p.Body, class) }

// ByTag returns the page's elements with the tag name.
func (p *Page) ByTag(tag string) []Element { return ElementsByTag(p.Body, tag) }

// Get navigates to a URL (absolute, or a path at the identity provider).
func (b *Browser) Get(t testing.TB, rawURL string) *Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.resolve(rawURL), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return b.navigate(t, req)
}

// Submit fills the form (see Form.Values for set) and submits it.
func (b *Browser) Submit(t testing.TB, f *Form, set map[string]string) *Response {
	t.Helper()
	vals, err := f.Values(set)
	if err != nil {
		t.Fatal(err)
	}
	return b.Send(t, f.Method, f.Action, vals)
}

// Send submits form values to a URL with the method (GET puts them in the query).
func (b *Browser) Send(t testing.TB, method, rawURL string, vals url.Values) *Response {
	t.Helper()
	target := b.resolve(rawURL)
	var req *http.Request
	var err error
	if method == http.MethodGet {
		u, perr := url.Parse(target)
		if perr != nil {
			t.Fatal(perr)
		}
		u.RawQuery = vals.Encode()
		req, err = http.NewRequest(method, u.String(), nil)
	} else {
		req, err = http.NewRequest(method, target, strings.NewReader(vals.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
		}
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return b.navigate(t, req)
}

func (b *Browser) resolve(rawURL string) string {
	if strings.HasPrefix(rawURL, "/") {
		return b.Origin + rawURL
	}
	return rawURL
}

// sameOrigin reports whether u is at the identity provider (Origin, or an
// origin added with AddOrigin).
func (b *Browser) sameOrigin(u *url.URL) bool {
	for _, origin := range append([]string{b.Origin}, b.origins...) {
		if o, err := url.Parse(origin); err == nil && u.Scheme == o.Scheme && u.Host == o.Host {
			return true
		}
	}
	return false
}

// navigate sends the request and follows redirects within the origin.
func (b *Browser) navigate(t testing.TB, req *http.Request) *Response {
	t.Helper()
	res := &Response{}
	for {
		if !b.sameOrigin(req.URL) {
			t.Fatalf("the browser was asked to load %s, outside the identity provider", req.URL)
		}
		for name, values := range b.Header {
			req.Header[name] = values
		}
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		req.Header.Set("Accept-Language", b.AcceptLanguage)
		req.Header.Set("User-Agent", b.UserAgent)
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
		}
		hop := Hop{Method: req.Method, URL: req.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
		loc := resp.Header.Get("Location")
		if resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				t.Fatalf("%s %s: bad Location %q: %v", req.Method, req.URL, loc, err)
			}
			hop.Location = next.String()
			res.Hops = append(res.Hops, hop)
			if !b.sameOrigin(next) {
				res.Redirect = next
				return res
			}
			if len(res.Hops) >= maxHops {
				t.Fatalf("more than %d redirects: %s", maxHops, res.describe())
			}
			if resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect {
				t.Fatalf("%s %s: unexpected %d redirect to %s", req.Method, req.URL, resp.StatusCode, next)
			}
			if req, err = http.NewRequest(http.MethodGet, next.String(), nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		res.Hops = append(res.Hops, hop)
		res.Page = &Page{URL: req.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
		return res
	}
}

// describe lists the hops for failure messages.
func (r *Response) describe() string {
	var sb strings.Builder
	for _, h := range r.Hops {
		fmt.Fprintf(&sb, "\n  %s %s → %d", h.Method, h.URL, h.Status)
		if h.Location != "" {
			fmt.Fprintf(&sb, " %s", h.Location)
		}
	}
	return sb.String()
}

// String describes the navigation.
func (r *Response) String() string { return r.describe() }

// MustRedirect returns the redirect that left the identity provider, failing
// the test when the navigation ended on a page instead or the redirect does
// not start with prefix.
func (r *Response) MustRedirect(t testing.TB, prefix string) *url.URL {
	t.Helper()
	if r.Redirect == nil {
		t.Fatalf("want a redirect to %s, the navigation ended on a page:%s\n%s", prefix, r.describe(), r.Page.Body)
	}
	if !strings.HasPrefix(r.Redirect.String(), prefix) {
		t.Fatalf("want a redirect to %s, got %s:%s", prefix, r.Redirect, r.describe())
	}
	return r.Redirect
}

// MustPage returns the page the navigation ended on, failing the test when it
// left the identity provider, the status differs or the path differs.
func (r *Response) MustPage(t testing.TB, status int, path string) *Page {
	t.Helper()
	if r.Page == nil {
		t.Fatalf("want the page %s, the browser was sent to %s:%s", path, r.Redirect, r.describe())
	}
	if r.Page.Status != status || r.Page.URL.Path != path {
		t.Fatalf("want the page %s with status %d, got %s with status %d:%s\n%s", path, status, r.Page.URL.Path, r.Page.Status, r.describe(), r.Page.Body)
	}
	return r.Page
}

// Cookie returns the value of the browser's cookie for the identity provider ("" when absent).
func (b *Browser) Cookie(name string) string {
	u, err := url.Parse(b.Origin)
	if err != nil {
		return ""
	}
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
