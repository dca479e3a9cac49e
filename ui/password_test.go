package ui

func init() {
	featurePages = append(featurePages,
		page{
			name: "password_forgot",
			data: func(lang string) interface{ Language() string } {
				return &ForgotPasswordPage{Base: base(lang), FlowID: "f-123", Contact: "an@example.vn",
					Upstreams: []UpstreamButton{{Label: "VNeID", Href: "/login/forgot/upstream?provider=vneid"}}}
			},
			action: "/login/forgot",
			fields: []fieldWant{
				{"contact", map[string]string{"name": "contact", "value": "an@example.vn", "required": ""}},
			},
			hidden: map[string]string{"flow": "f-123", "csrf_token": "csrf-abc"},
		},
		page{
			name: "password_reset",
			data: func(lang string) interface{ Language() string } {
				return &ResetPasswordPage{Base: base(lang), FlowID: "f-123", Ticket: "t-abc", Code: "12345678", Minutes: 15,
					MinPasswordLength: 8}
			},
			action: "/login/forgot/reset",
			fields: []fieldWant{
				{"code", map[string]string{"name": "code", "autocomplete": "one-time-code", "value": "12345678"}},
				{"password", map[string]string{"name": "password", "type": "password", "autocomplete": "new-password"}},
				{"password_confirm", map[string]string{"name": "password_confirm", "type": "password", "autocomplete": "new-password"}},
			},
			hidden: map[string]string{"ticket": "t-abc", "flow": "f-123", "csrf_token": "csrf-abc"},
		},
		page{
			name: "password_change",
			data: func(lang string) interface{ Language() string } {
				return &ChangePasswordPage{Base: base(lang), NeedCurrent: true, MinPasswordLength: 8}
			},
			action: "/account/password",
			fields: []fieldWant{
				{"current_password", map[string]string{"name": "current_password", "type": "password", "autocomplete": "current-password"}},
				{"password", map[string]string{"name": "password", "type": "password", "autocomplete": "new-password"}},
				{"password_confirm", map[string]string{"name": "password_confirm", "type": "password", "autocomplete": "new-password"}},
			},
			hidden: map[string]string{"csrf_token": "csrf-abc"},
		},
	)
}
