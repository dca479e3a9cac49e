package ui

func init() {
	featurePages = append(featurePages,
		page{
			name: "profile",
			data: func(lang string) interface{ Language() string } {
				return &ProfilePage{Base: base(lang), FullName: "Nguyễn Văn An", Birthdate: "1990-01-02", Gender: "male",
					Locale: lang, Email: "an@example.vn", EmailVerified: true, Phone: "+84912345678",
					PendingEmail: "an.moi@example.vn"}
			},
			action: "/account/profile",
			hidden: map[string]string{"csrf_token": "csrf-abc"},
		},
		page{
			name: "contact_verify",
			data: func(lang string) interface{ Language() string } {
				return &ContactVerifyPage{Base: base(lang), Channel: "email", Recipient: "an.moi@example.vn", Minutes: 10}
			},
			action: "/account/contacts/verify",
			hidden: map[string]string{"csrf_token": "csrf-abc", "channel": "email"},
		},
	)
}
