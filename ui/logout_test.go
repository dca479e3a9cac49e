package ui

func init() {
	featurePages = append(featurePages,
		page{
			name: "logout_confirm",
			data: func(lang string) interface{ Language() string } {
				return &LogoutConfirmPage{Base: base(lang), ClientName: "Hệ thống quản lý văn bản", ClientID: "qlvb",
					PostLogoutRedirectURI: "https://qlvb.example.gov.vn/", State: "xyz12345", Stale: true}
			},
			action: "/oauth2/logout",
			hidden: map[string]string{"client_id": "qlvb", "post_logout_redirect_uri": "https://qlvb.example.gov.vn/",
				"state": "xyz12345", "csrf_token": "csrf-abc"},
		},
		page{
			name: "logged_out",
			data: func(lang string) interface{ Language() string } {
				return &LoggedOutPage{Base: base(lang), ClientName: "Cổng dịch vụ công",
					FrontchannelURIs: []string{"https://dvc.example.gov.vn/fc?iss=https%3A%2F%2Fsso&sid=abc"},
					ContinueURL:      "https://dvc.example.gov.vn/?state=s"}
			},
		},
	)
}
