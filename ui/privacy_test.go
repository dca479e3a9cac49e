package ui

func init() {
	featurePages = append(featurePages,
		page{
			name: "privacy_history",
			data: func(lang string) interface{ Language() string } {
				return &ConsentHistoryPage{Base: base(lang), Events: []ConsentHistoryRow{
					{ClientID: "dvc", ClientName: "Cổng dịch vụ công", Action: "withdrawn", Scopes: []string{"openid", "personal_id"}, Time: grantedAt},
					{ClientID: "dvc", ClientName: "Cổng dịch vụ công", Action: "granted", Scopes: []string{"openid", "personal_id"}, Time: grantedAt},
				}}
			},
		},
		page{
			name: "privacy_download",
			data: func(lang string) interface{ Language() string } {
				return &DataDownloadPage{Base: base(lang)}
			},
			action: "/account/privacy/download",
			hidden: map[string]string{"csrf_token": "csrf-abc"},
		},
		page{
			name: "privacy_delete",
			data: func(lang string) interface{ Language() string } {
				return &AccountDeletePage{Base: base(lang), AuditRetentionDays: 1825, ConfirmError: "error.privacy.delete_confirm"}
			},
			action: "/account/privacy/delete",
			fields: []fieldWant{{"confirm", map[string]string{"name": "confirm", "type": "checkbox", "value": "1"}}},
			hidden: map[string]string{"csrf_token": "csrf-abc"},
		},
	)
}
