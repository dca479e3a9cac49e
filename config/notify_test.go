package config

import (
	"slices"
	"testing"
)

func TestNotifyValidate(t *testing.T) {
	mail := func(c *Config) {
		c.Mail.Host, c.Mail.From = "smtp.tinh.gov.vn", "Định danh điện tử <no-reply@tinh.gov.vn>"
	}
	tests := []struct {
		name string
		edit func(c *Config)
		keys []string
	}{
		{"default", func(c *Config) {}, nil},
		{"mail with STARTTLS and a password file", func(c *Config) {
			mail(c)
			c.Mail.Username, c.Mail.PasswordFile = "dinhdanh", "/etc/dinhdanh/smtp.password"
		}, nil},
		{"mail without from", func(c *Config) { mail(c); c.Mail.From = "" }, []string{"mail.from"}},
		{"mail with a bad from", func(c *Config) { mail(c); c.Mail.From = "not an address" }, []string{"mail.from"}},
		{"mail port out of range", func(c *Config) { mail(c); c.Mail.Port = 70000 }, []string{"mail.port"}},
		{"unknown TLS mode", func(c *Config) { mail(c); c.Mail.TLS = "ssl" }, []string{"mail.tls"}},
		{"plain SMTP to a remote host", func(c *Config) { mail(c); c.Mail.TLS = "none" }, []string{"mail.tls"}},
		{"plain SMTP to loopback", func(c *Config) { mail(c); c.Mail.TLS, c.Mail.Host = "none", "127.0.0.1" }, nil},
		{"username without password", func(c *Config) { mail(c); c.Mail.Username = "u" }, []string{"mail.username"}},
		{"password twice", func(c *Config) {
			mail(c)
			c.Mail.Username, c.Mail.Password, c.Mail.PasswordFile = "u", "p", "/f"
		}, []string{"mail.password_file"}},
		{"mail timeout zero", func(c *Config) { c.Mail.Timeout = 0 }, []string{"mail.timeout"}},
		{"SMS gateway", func(c *Config) {
			c.SMS.URL = "https://sms.provider.vn/send?to={{urlquery .To}}"
			c.SMS.Headers = HTTPHeaders{"Authorization: Basic dXNlcjpwYXNz"}
			c.SMS.SuccessStatus = StatusCodes{200, 201}
			c.SMS.SuccessJSONField, c.SMS.SuccessJSONValue = "CodeResult", "100"
		}, nil},
		{"SMS over plain http", func(c *Config) { c.SMS.URL = "http://sms.provider.vn/send" }, []string{"sms.url"}},
		{"SMS over http to loopback", func(c *Config) { c.SMS.URL = "http://127.0.0.1:8081/send" }, nil},
		{"SMS URL relative", func(c *Config) { c.SMS.URL = "/send" }, []string{"sms.url"}},
		{"SMS URL with a password", func(c *Config) { c.SMS.URL = "https://u:p@sms.provider.vn/send" }, []string{"sms.url"}},
		{"SMS method", func(c *Config) { c.SMS.Method = "DELETE" }, []string{"sms.method"}},
		{"SMS header without a colon", func(c *Config) { c.SMS.Headers = HTTPHeaders{"Authorization"} }, []string{"sms.headers"}},
		{"SMS header Host", func(c *Config) { c.SMS.Headers = HTTPHeaders{"Host: x"} }, []string{"sms.headers"}},
		{"SMS template broken", func(c *Config) { c.SMS.BodyTemplate = "{{.To" }, []string{"sms.body_template"}},
		{"SMS template unknown function", func(c *Config) { c.SMS.BodyTemplate = "{{xml .To}}" }, []string{"sms.body_template"}},
		{"SMS status", func(c *Config) { c.SMS.SuccessStatus = StatusCodes{99} }, []string{"sms.success_status"}},
		{"SMS JSON value alone", func(c *Config) { c.SMS.SuccessJSONValue = "100" }, []string{"sms.success_json_value"}},
		{"outbox limits", func(c *Config) {
			c.Outbox.MaxAttempts, c.Outbox.Concurrency, c.Outbox.PollInterval = 0, 65, Duration(0)
			c.Outbox.MaxBackoff = c.Outbox.MinBackoff - 1
			c.Outbox.Retention, c.Outbox.FailedRetention, c.Outbox.NoticeInterval, c.Outbox.SendTimeout = 0, 0, 0, 0
		}, []string{"outbox.max_attempts", "outbox.max_backoff", "outbox.concurrency", "outbox.send_timeout",
			"outbox.poll_interval", "outbox.retention", "outbox.failed_retention", "outbox.notice_interval"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(c)
			if got := problemKeys(validationProblems(t, c)); !slices.Equal(got, tt.keys) {
				t.Errorf("problems %v, want %v", got, tt.keys)
			}
		})
	}
}

func TestNotifyFromEnvironment(t *testing.T) {
	c := mustLoad(t, "", []string{
		"DINHDANH_MAIL_HOST=smtp.tinh.gov.vn", "DINHDANH_MAIL_FROM=no-reply@tinh.gov.vn", "DINHDANH_MAIL_PASSWORD=s3cret",
		"DINHDANH_MAIL_USERNAME=dd", "DINHDANH_SMS_URL=https://sms.provider.vn/send",
		"DINHDANH_SMS_HEADERS=Authorization: Bearer x\nX-Api-Key: k", "DINHDANH_SMS_SUCCESS_STATUS=200, 202",
	})
	if c.Mail.Password != "s3cret" || !slices.Equal(c.SMS.Headers, HTTPHeaders{"Authorization: Bearer x", "X-Api-Key: k"}) ||
		!slices.Equal(c.SMS.SuccessStatus, StatusCodes{200, 202}) {
		t.Fatalf("mail %+v, sms %+v", c.Mail, c.SMS)
	}
	if _, err := Load("", []string{"DINHDANH_SMS_SUCCESS_STATUS=ok"}); err == nil {
		t.Fatal("a bad status list was loaded")
	}
}
