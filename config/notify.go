package config

import (
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Mail configures the SMTP server through which dinhdanh sends email (notices, one-time codes). Every email
// goes through the durable outbox (see Outbox), so an SMTP server that is down delays mail and loses none.
// With no host (the default) no email can be sent: an email is then kept in the outbox as failed, with the
// reason "no SMTP server is configured", for operators to see ("dinhdanh outbox list") and retry once mail is
// configured. Example:
//
//	mail:
//	  host: smtp.tinh.gov.vn
//	  port: 587
//	  tls: starttls
//	  username: dinhdanh
//	  password_file: /etc/dinhdanh/smtp.password   # or DINHDANH_MAIL_PASSWORD
//	  from: "Định danh điện tử <no-reply@tinh.gov.vn>"
type Mail struct {
	// Host is the SMTP server's host name or address. Empty (the default) sends no email.
	Host string `yaml:"host"`

	// Port is the SMTP server's port, 1 to 65535. Default 587 (submission with STARTTLS); 465 is the usual
	// port of implicit TLS, 25 or 1025 of a plain relay.
	Port int `yaml:"port"`

	// TLS says how the connection is protected: "starttls" (the default: plain connect, then STARTTLS, which
	// the server must offer), "implicit" (TLS from the first byte, "SMTPS") or "none" (no TLS: only to a
	// server on the loopback interface, such as a local relay). Certificates are checked against the system
	// roots or tls_ca_file, for the name host.
	TLS string `yaml:"tls"`

	// TLSCAFile is a PEM file of the certificate authorities that sign the server's certificate; empty (the
	// default) trusts the system roots.
	TLSCAFile string `yaml:"tls_ca_file"`

	// Username logs in with SMTP AUTH (PLAIN) when not empty; it needs a password. Empty (the default)
	// sends without AUTH.
	Username string `yaml:"username"`

	// Password is the password of username. Prefer password_file or the environment variable
	// DINHDANH_MAIL_PASSWORD to writing it in the file. Default "".
	Password string `yaml:"password"`

	// PasswordFile is a file whose content (surrounding white space ignored) is the password of username;
	// read at start. Not together with password. Default "".
	PasswordFile string `yaml:"password_file"`

	// From is the sender of every email: an address, optionally with a display name, such as
	// "Định danh điện tử <no-reply@tinh.gov.vn>". Required with host. Default "".
	From string `yaml:"from"`

	// Timeout bounds one delivery: connecting, the SMTP dialogue and the message; greater than zero.
	// Default "30s".
	Timeout Duration `yaml:"timeout"`
}

// Enabled reports whether email can be sent: a host is configured.
func (m *Mail) Enabled() bool { return m.Host != "" }

// SMS configures the HTTP gateway through which dinhdanh sends SMS, as Vietnamese brandname-SMS providers offer
// it: one HTTP request per message, built from a template, whose answer says whether the provider took it.
// Like email, every SMS goes through the durable outbox; with no url (the default) an SMS is kept there as
// failed with the reason "no SMS gateway is configured". Example (a JSON API that answers {"CodeResult":"100"}):
//
//	sms:
//	  url: https://sms.provider.vn/api/send
//	  method: POST
//	  headers: ["Authorization: Basic dXNlcjpwYXNz"]
//	  content_type: application/json
//	  body_template: '{"Phone":{{json .To}},"Content":{{json .Text}},"Brandname":"TINH"}'
//	  success_status: [200]
//	  success_json_field: CodeResult
//	  success_json_value: "100"
type SMS struct {
	// URL is the gateway's endpoint, an absolute https URL (http only to a loopback host). It is itself a
	// template like body_template, so that a GET gateway can take the message in its query
	// ("https://…/send?to={{urlquery .To}}&text={{urlquery .Text}}"). Empty (the default) sends no SMS.
	URL string `yaml:"url"`

	// Method is the HTTP method: "POST" (the default), "PUT" or "GET" (then no body is sent).
	Method string `yaml:"method"`

	// Headers are extra request headers, each "Name: value" (an API key, a Basic authorization). Default
	// none ([]). In DINHDANH_SMS_HEADERS, one header per line.
	Headers HTTPHeaders `yaml:"headers"`

	// ContentType is the Content-Type of the body. Default "application/json".
	ContentType string `yaml:"content_type"`

	// BodyTemplate is the request body, a Go text/template over .To (the phone number, E.164 such as
	// "+84912345678"), .ToLocal (the same in the national form, "0912345678") and .Text (the message). The
	// functions json (a JSON string literal) and urlquery (query escaping) escape a value for the body's
	// format. Default '{"to":{{json .To}},"text":{{json .Text}}}'.
	BodyTemplate string `yaml:"body_template"`

	// SuccessStatus lists the HTTP status codes that mean the gateway took the message. Empty (the
	// default) accepts any 2xx. In DINHDANH_SMS_SUCCESS_STATUS, comma-separated.
	SuccessStatus StatusCodes `yaml:"success_status"`

	// SuccessContains is text that the answer's body must contain besides a success status; empty (the
	// default) checks nothing in the body.
	SuccessContains string `yaml:"success_contains"`

	// SuccessJSONField is the name of a field of the JSON object the gateway answers (a dotted path for a
	// nested field, such as "result.code") whose value must be success_json_value. Empty (the default)
	// checks no field.
	SuccessJSONField string `yaml:"success_json_field"`

	// SuccessJSONValue is the value success_json_field must have, compared as text ("100" matches both
	// 100 and "100"). Default "".
	SuccessJSONValue string `yaml:"success_json_value"`

	// Timeout bounds one request to the gateway; greater than zero. Default "10s".
	Timeout Duration `yaml:"timeout"`
}

// Enabled reports whether SMS can be sent: a gateway URL is configured.
func (s *SMS) Enabled() bool { return s.URL != "" }

// Outbox configures the durable queue through which every email and SMS goes: a message is stored before it
// is sent, sent by one node with retries and backoff, and kept for operators ("dinhdanh outbox list",
// "dinhdanh outbox retry ID", the dinhdanh_outbox_* metrics).
type Outbox struct {
	// MaxAttempts is how many times a message is tried before it is marked failed; at least 1. Default 8.
	MaxAttempts int `yaml:"max_attempts"`

	// MinBackoff is the delay before the second attempt; each later one doubles it, up to max_backoff;
	// greater than zero. Default "10s".
	MinBackoff Duration `yaml:"min_backoff"`

	// MaxBackoff caps the delay between attempts; at least min_backoff. Default "30m".
	MaxBackoff Duration `yaml:"max_backoff"`

	// Concurrency is how many messages one node sends at once; 1 to 64. Default 4.
	Concurrency int `yaml:"concurrency"`

	// SendTimeout bounds one attempt to send a message (on top of mail.timeout and sms.timeout, which bound
	// their own dialogue); greater than zero. Default "1m".
	SendTimeout Duration `yaml:"send_timeout"`

	// PollInterval is how often a node looks for due messages; from 100ms to 1m. Default "1s".
	PollInterval Duration `yaml:"poll_interval"`

	// Retention is how long a sent message is kept (for operators) before it is purged; greater than zero.
	// Default "168h" (7 days).
	Retention Duration `yaml:"retention"`

	// FailedRetention is how long a failed message is kept, for an operator to see and retry, before it is
	// purged; greater than zero. Default "720h" (30 days).
	FailedRetention Duration `yaml:"failed_retention"`

	// NoticeInterval is the least time between two notices of one kind to one recipient (such as "someone
	// tried to register with your address"), so that nobody can use dinhdanh to flood a person's mailbox or
	// phone; a notice within it is not sent. Greater than zero. Default "1h".
	NoticeInterval Duration `yaml:"notice_interval"`
}

// defaultNotify returns the defaults of the mail, sms and outbox sections.
func defaultNotify() (Mail, SMS, Outbox) {
	return Mail{Port: 587, TLS: "starttls", Timeout: Duration(30 * time.Second)},
		SMS{Method: http.MethodPost, Headers: HTTPHeaders{}, ContentType: "application/json",
			BodyTemplate: `{"to":{{json .To}},"text":{{json .Text}}}`, SuccessStatus: StatusCodes{}, Timeout: Duration(10 * time.Second)},
		Outbox{MaxAttempts: 8, MinBackoff: Duration(10 * time.Second), MaxBackoff: Duration(30 * time.Minute), Concurrency: 4,
			SendTimeout: Duration(time.Minute), PollInterval: Duration(time.Second), Retention: Duration(168 * time.Hour),
			FailedRetention: Duration(720 * time.Hour), NoticeInterval: Duration(time.Hour)}
}

var mailTLSModes = []string{"starttls", "implicit", "none"}

// SMSTemplateFuncs are the functions that sms.url and sms.body_template may call, besides text/template's
// own; the sender gives them their implementations, Validate only parses.
var SMSTemplateFuncs = template.FuncMap{
	"json":     func(string) string { return "" },
	"urlquery": url.QueryEscape,
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateNotify checks the mail, sms and outbox sections.
func (c *Config) validateNotify(v *validator) {
	m := &c.Mail
	v.oneOf("mail.tls", m.TLS, mailTLSModes)
	v.positive("mail.timeout", m.Timeout)
	if m.Password != "" && m.PasswordFile != "" {
		v.add("mail.password_file", "is set together with mail.password; give one of them")
	}
	if m.Enabled() {
		if m.Port < 1 || m.Port > 65535 {
			v.add("mail.port", "is %d; it must be from 1 to 65535", m.Port)
		}
		if strings.ContainsAny(m.Host, " /:@") && net.ParseIP(m.Host) == nil {
			v.add("mail.host", "%q is not a host name or address", m.Host)
		}
		if m.TLS == "none" && !isLoopbackHost(m.Host) {
			v.add("mail.tls", "is \"none\" for %q; mail without TLS is only sent to a server on the loopback interface", m.Host)
		}
		if m.Username != "" && m.Password == "" && m.PasswordFile == "" {
			v.add("mail.username", "is set without mail.password or mail.password_file")
		}
		if m.From == "" {
			v.add("mail.from", "must be set with mail.host: the sender address, such as \"Định danh điện tử <no-reply@tinh.gov.vn>\"")
		} else if _, err := mail.ParseAddress(m.From); err != nil {
			v.add("mail.from", "%q is not an address: %v", m.From, err)
		}
	}

	s := &c.SMS
	v.positive("sms.timeout", s.Timeout)
	if s.Method != http.MethodPost && s.Method != http.MethodPut && s.Method != http.MethodGet {
		v.add("sms.method", "is %q; it must be one of \"POST\", \"PUT\", \"GET\"", s.Method)
	}
	for i, h := range s.Headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || !validHeaderName(name) || strings.ContainsAny(value, "\r\n") {
			v.add("sms.headers", "entry %d is not \"Name: value\"", i+1)
		} else if textproto.CanonicalMIMEHeaderKey(name) == "Content-Length" || textproto.CanonicalMIMEHeaderKey(name) == "Host" {
			v.add("sms.headers", "entry %d sets %s, which the request sets itself", i+1, name)
		}
	}
	if _, err := template.New("body").Funcs(SMSTemplateFuncs).Option("missingkey=error").Parse(s.BodyTemplate); err != nil {
		v.add("sms.body_template", "does not parse: %v", err)
	}
	for _, code := range s.SuccessStatus {
		if code < 100 || code > 599 {
			v.add("sms.success_status", "has %d; a status code is from 100 to 599", code)
		}
	}
	if s.SuccessJSONField == "" && s.SuccessJSONValue != "" {
		v.add("sms.success_json_value", "is set without sms.success_json_field")
	}
	if s.Enabled() {
		if t, err := template.New("url").Funcs(SMSTemplateFuncs).Parse(s.URL); err != nil {
			v.add("sms.url", "does not parse as a template: %v", err)
		} else {
			var b strings.Builder
			_ = t.Execute(&b, map[string]string{"To": "+84900000000", "ToLocal": "0900000000", "Text": "x"})
			u, err := url.Parse(b.String())
			switch {
			case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
				v.add("sms.url", "%q is not an absolute http or https URL", s.URL)
			case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
				v.add("sms.url", "%q must be https (http only to a loopback host)", s.URL)
			case u.User != nil:
				v.add("sms.url", "%q has user information; send credentials in sms.headers", s.URL)
			}
		}
	}

	o := &c.Outbox
	v.atLeast("outbox.max_attempts", int64(o.MaxAttempts), 1)
	if v.positive("outbox.min_backoff", o.MinBackoff) && o.MaxBackoff < o.MinBackoff {
		v.add("outbox.max_backoff", "is %s; it must be at least outbox.min_backoff (%s)", o.MaxBackoff, o.MinBackoff)
	}
	if o.Concurrency < 1 || o.Concurrency > 64 {
		v.add("outbox.concurrency", "is %d; it must be from 1 to 64", o.Concurrency)
	}
	v.positive("outbox.send_timeout", o.SendTimeout)
	if o.PollInterval < Duration(100*time.Millisecond) || o.PollInterval > Duration(time.Minute) {
		v.add("outbox.poll_interval", "is %s; it must be from 100ms to 1m", o.PollInterval)
	}
	v.positive("outbox.retention", o.Retention)
	v.positive("outbox.failed_retention", o.FailedRetention)
	v.positive("outbox.notice_interval", o.NoticeInterval)
}

// HTTPHeaders are HTTP request headers, each "Name: value". From the environment, one header per line.
type HTTPHeaders []string

// UnmarshalText reads one header per line; blank lines are dropped.
func (h *HTTPHeaders) UnmarshalText(text []byte) error {
	out := HTTPHeaders{}
	for _, line := range strings.Split(string(text), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	*h = out
	return nil
}

// StatusCodes are HTTP status codes. From the environment, comma-separated.
type StatusCodes []int

// UnmarshalText reads comma-separated status codes.
func (s *StatusCodes) UnmarshalText(text []byte) error {
	out := StatusCodes{}
	for _, w := range strings.Split(string(text), ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		n, err := strconv.Atoi(w)
		if err != nil {
			return fmt.Errorf("%q is not a status code", w)
		}
		out = append(out, n)
	}
	*s = out
	return nil
}

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	for _, r := range name {
		if r > 127 || !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			strings.ContainsRune("!#$%&'*+^`|~", r)) {
			return false
		}
	}
	return name != ""
}
