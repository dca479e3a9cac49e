package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"

	"github.com/dinhdanh/dinhdanh/config"
)

// SMSGateway sends SMS through a provider's HTTP API. Build it with
// NewSMSGateway.
type SMSGateway struct {
	url, body   *template.Template
	method      string
	contentType string
	headers     http.Header
	status      []int
	contains    string
	field       []string
	value       string
	client      *http.Client
}

// smsFuncs are the template functions of sms.url and sms.body_template.
var smsFuncs = template.FuncMap{
	"json": func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	},
	"urlquery": url.QueryEscape,
}

// NewSMSGateway returns the sender of the sms section; client nil means a
// client with the section's timeout. It fails when sms is not enabled or a
// template does not parse.
func NewSMSGateway(cfg config.SMS, client *http.Client) (*SMSGateway, error) {
	if !cfg.Enabled() {
		return nil, fmt.Errorf("sms: no url is configured")
	}
	u, err := template.New("url").Funcs(smsFuncs).Option("missingkey=error").Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("sms.url: %w", err)
	}
	b, err := template.New("body").Funcs(smsFuncs).Option("missingkey=error").Parse(cfg.BodyTemplate)
	if err != nil {
		return nil, fmt.Errorf("sms.body_template: %w", err)
	}
	h := http.Header{}
	for _, line := range cfg.Headers {
		name, value, _ := strings.Cut(line, ":")
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout.D(), CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	g := &SMSGateway{url: u, body: b, method: cfg.Method, contentType: cfg.ContentType, headers: h,
		status: cfg.SuccessStatus, contains: cfg.SuccessContains, value: cfg.SuccessJSONValue, client: client}
	if cfg.SuccessJSONField != "" {
		g.field = strings.Split(cfg.SuccessJSONField, ".")
	}
	return g, nil
}

// smsData is what the templates see.
type smsData struct{ To, ToLocal, Text string }

// Send makes one request to the gateway and checks its answer; every
// failure is transient (retried), except a template that cannot be
// executed.
func (g *SMSGateway) Send(ctx context.Context, m *Message) error {
	data := smsData{To: m.To, ToLocal: m.To, Text: m.Text}
	if rest, ok := strings.CutPrefix(m.To, "+84"); ok {
		data.ToLocal = "0" + rest
	}
	var ub, bb bytes.Buffer
	if err := g.url.Execute(&ub, data); err != nil {
		return permanent(fmt.Errorf("sms.url: %w", err))
	}
	var body io.Reader
	if g.method != http.MethodGet {
		if err := g.body.Execute(&bb, data); err != nil {
			return permanent(fmt.Errorf("sms.body_template: %w", err))
		}
		body = &bb
	}
	req, err := http.NewRequestWithContext(ctx, g.method, ub.String(), body)
	if err != nil {
		return permanent(err)
	}
	for k, vs := range g.headers {
		req.Header[k] = vs
	}
	if body != nil && g.contentType != "" {
		req.Header.Set("Content-Type", g.contentType)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("reading the gateway's answer: %w", err)
	}
	return g.check(resp.StatusCode, answer)
}

// check applies the success check to an answer.
func (g *SMSGateway) check(status int, answer []byte) error {
	ok := status/100 == 2
	if len(g.status) > 0 {
		ok = slices.Contains(g.status, status)
	}
	if !ok {
		return fmt.Errorf("the gateway answered status %d: %s", status, excerpt(answer))
	}
	if g.contains != "" && !bytes.Contains(answer, []byte(g.contains)) {
		return fmt.Errorf("the gateway's answer lacks %q: %s", g.contains, excerpt(answer))
	}
	if g.field != nil {
		var v any
		if err := json.Unmarshal(answer, &v); err != nil {
			return fmt.Errorf("the gateway's answer is not JSON: %s", excerpt(answer))
		}
		for _, name := range g.field {
			obj, isObj := v.(map[string]any)
			if !isObj {
				v = nil
				break
			}
			v = obj[name]
		}
		if got := jsonText(v); got != g.value {
			return fmt.Errorf("the gateway's answer has %s = %q, not %q", strings.Join(g.field, "."), got, g.value)
		}
	}
	return nil
}

// jsonText returns a JSON scalar as text: a string as it is, a number or a
// boolean as JSON writes it; anything else (missing, null, object) is "".
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64, bool:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return ""
}

// excerpt returns the start of an answer for an error message.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}
