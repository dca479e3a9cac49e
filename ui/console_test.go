package ui

import (
	"strings"
	"testing"
)

var sampleNav = ConsoleNav{Section: "people", Sections: []string{"dashboard", "people", "apps", "directories", "businesses", "audit"},
	Admin: "Trần Thanh Bình", Roles: []ConsoleRole{{Role: "super_admin"}, {Role: "helpdesk", Agency: "Sở Y tế", SubUnits: true}}}

var sampleAudit = []ConsoleAuditRow{{Time: grantedAt, Type: "account.lock", Actor: "adm-1", Subject: "sub-1", Addr: "203.0.113.7",
	Details: "reason=lost phone"}}

func init() {
	featurePages = append(featurePages,
		page{
			name: "console_dashboard",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleDashboardPage{Base: base(lang), Nav: sampleNav, From: grantedAt, To: grantedAt, Lockouts: 3, Queue: 7,
					Logins:      []ConsoleLoginRow{{Hour: grantedAt, Method: "password", Outcome: "success", N: 12}},
					Totals:      []ConsoleLoginRow{{Method: "password", Outcome: "success", N: 12}, {Method: "passkey", Outcome: "failure", N: 1}},
					Directories: []ConsoleDirectoryRow{{Name: "ad-tinh", LastSync: grantedAt, Accounts: 3}, {Name: "ldap-syt", NeverSync: true}},
					Keys:        []ConsoleKeyRow{{ID: "k-1", Algorithm: "RS256", State: "current", Created: grantedAt, AgeDays: 30}}}
			},
		},
		page{
			name: "console_people",
			data: func(lang string) interface{ Language() string } {
				return &ConsolePeoplePage{Base: base(lang), Nav: sampleNav, Query: "Nguyễn", Searched: true, NextURL: "/admin/people?q=x&offset=25",
					Results: []ConsolePersonRow{{ID: "sub-1", Name: "Nguyễn Thị Thu Hà", Capacities: []string{"citizen"}, PersonalID: "001190012345",
						Email: "ha@example.vn", Phone: "+84912345678"}}}
			},
			fields: []fieldWant{{"q", map[string]string{"name": "q", "type": "search"}}},
		},
		page{
			name: "console_person",
			data: func(lang string) interface{ Language() string } {
				return &ConsolePersonPage{Base: base(lang), Nav: sampleNav, Person: ConsolePersonRow{ID: "sub-1", Name: "Nguyễn Thị Thu Hà",
					Capacities: []string{"citizen", "official"}, PersonalID: "001190012345", Username: "nt.ha", Agency: "Sở Y tế"},
					Locked: []string{"account"}, Failures: []ConsoleCount{{Name: "account", N: 5}},
					Roles:      []ConsoleRole{{Role: "helpdesk", Agency: "Sở Y tế"}},
					Businesses: []ConsoleRepresentation{{TaxCode: "0312345678", Name: "Công ty Minh Phát", Role: "legal_representative"}},
					Factors:    []ConsoleFactor{{Kind: "totp", Created: grantedAt}, {Kind: "passkey", Name: "Điện thoại"}},
					Sessions:   []ConsoleSession{{ID: "s-1", ACR: "LoA2", Created: grantedAt, LastSeen: grantedAt, Clients: []string{"dvc"}}},
					Consents:   []ConsentRow{{ClientID: "dvc", Scopes: []string{"openid"}, GrantedAt: grantedAt}},
					Recent:     sampleAudit, Detailed: true,
					Grantable: []string{"super_admin", "agency_admin", "helpdesk", "auditor"},
					Can:       ConsolePersonActions{Unlock: true, Lock: true, Password: true, Factors: true, Sessions: true, Proofing: true, Roles: true, Business: true},
					Errors:    []ConsoleFieldError{{Field: "password", Anchor: "password", Detail: "must be at least 12 characters"}},
					Values:    map[string]string{}}
			},
			action: "/admin/people/sub-1/unlock",
			fields: []fieldWant{
				{"password", map[string]string{"name": "password", "type": "password", "aria-invalid": "true"}},
				{"personal_id", map[string]string{"name": "personal_id"}},
				{"agency", map[string]string{"name": "agency"}},
			},
			hidden: map[string]string{"csrf_token": "csrf-abc", "tax_code": "0312345678"},
		},
		page{
			name: "console_apps",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleAppsPage{Base: base(lang), Nav: sampleNav, CanWrite: true,
					Apps: []ConsoleApp{{ID: "dvc", Name: "Cổng dịch vụ công", RedirectURIs: []string{"https://dvc.example.gov.vn/cb"}}}}
			},
		},
		page{
			name: "console_app",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleAppPage{Base: base(lang), Nav: sampleNav, Secret: "s3cr3t-shown-once",
					App: ConsoleApp{ID: "dvc", Name: "Cổng dịch vụ công", RedirectURIs: []string{"https://dvc.example.gov.vn/cb"},
						GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid"}},
					Snippet: ConsoleSnippet{Issuer: "https://sso.example.gov.vn", Discovery: "https://sso.example.gov.vn/.well-known/openid-configuration",
						ClientID: "dvc", RedirectURIs: []string{"https://dvc.example.gov.vn/cb"}, AuthorizeExample: "https://sso.example.gov.vn/oauth2/auth?client_id=dvc"},
					CanWrite: true, CanDelete: true, CanEdit: true}
			},
			action: "/admin/apps/dvc/rotate",
			hidden: map[string]string{"csrf_token": "csrf-abc"},
		},
		page{
			name: "console_app_form",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleAppFormPage{Base: base(lang), Nav: sampleNav, Action: "/admin/apps",
					Values:     map[string]string{"name": "Một cửa", "redirect_uris": "https://mc.example.gov.vn/cb"},
					Checks:     map[string]bool{"authorization_code": true},
					Errors:     []ConsoleFieldError{{Field: "redirect_uri", Anchor: "redirect_uris", Detail: "must use https"}},
					Algorithms: []string{"RS256", "ES256", "EdDSA"}}
			},
			action: "/admin/apps",
			fields: []fieldWant{
				{"id", map[string]string{"name": "id"}},
				{"name", map[string]string{"name": "name", "value": "Một cửa"}},
				{"grant_authorization_code", map[string]string{"name": "grant_type", "value": "authorization_code", "checked": ""}},
				{"public", map[string]string{"name": "public", "type": "checkbox"}},
			},
			hidden: map[string]string{"csrf_token": "csrf-abc"},
		},
		page{
			name: "console_directories",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleDirectoriesPage{Base: base(lang), Nav: sampleNav,
					Checks:      []ConsoleCheck{{Directory: "ad-tinh", URL: "ldaps://ad.example:636", OK: true}, {Directory: "ad-tinh", URL: "ldaps://ad2.example:636", Error: "timeout"}},
					Synced:      &ConsoleSync{Directory: "ad-tinh", Seen: 120, Created: 2},
					Directories: []ConsoleDirectoryRow{{Name: "ad-tinh", Agency: "Sở Nội vụ", LastSync: grantedAt, FullSync: grantedAt, Accounts: 120, Disabled: 3, Servers: []string{"ldaps://ad.example:636"}, CanSync: true}}}
			},
			action: "/admin/directories/ad-tinh/sync",
		},
		page{
			name: "console_business",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleBusinessPage{Base: base(lang), Nav: sampleNav, TaxCode: "0312345678", Searched: true, Found: true,
					Name: "Công ty Minh Phát", CanWrite: true, Values: map[string]string{},
					Representatives: []ConsoleRepresentative{{AccountID: "sub-1", Name: "Nguyễn Thị Thu Hà", Role: "legal_representative"}}}
			},
			action: "/admin/businesses/link",
			fields: []fieldWant{{"account", map[string]string{"name": "account"}}, {"tax_code", map[string]string{"name": "tax_code"}}},
			hidden: map[string]string{"account": "sub-1", "tax_code": "0312345678"},
		},
		page{
			name: "console_audit",
			data: func(lang string) interface{ Language() string } {
				return &ConsoleAuditPage{Base: base(lang), Nav: sampleNav, Filters: map[string]string{"subject": "sub-1"}, Events: sampleAudit,
					NextURL: "/admin/audit?offset=50"}
			},
			fields: []fieldWant{{"subject", map[string]string{"name": "subject", "value": "sub-1"}}, {"from", map[string]string{"type": "date"}}},
		},
	)
}

func TestConsolePagesSpeakTheirLanguage(t *testing.T) {
	u := newUI(t)
	var pages = map[string]page{}
	for _, p := range featurePages {
		if strings.HasPrefix(p.name, "console_") {
			pages[p.name] = p
		}
	}
	cases := []struct {
		name   string
		vi, en []string
	}{
		{"console_person", []string{"Mở khóa", "Quản trị cấp cao", "Mật khẩu quá ngắn hoặc quá dài", `lang="en">(must be at least 12 characters)`, `aria-current="page"`},
			[]string{"Unlock", "Super administrator", "The password is too short or too long", "Sở Y tế"}},
		{"console_app", []string{"chỉ hiển thị một lần", "s3cr3t-shown-once", "https://sso.example.gov.vn/.well-known/openid-configuration"},
			[]string{"shown only this once", "client_id:       dvc"}},
		{"console_app_form", []string{"Có địa chỉ chuyển hướng không hợp lệ", `href="#redirect_uris"`}, []string{"A redirect URI is not valid"}},
		{"console_dashboard", []string{"30 ngày", "Chưa đồng bộ lần nào"}, []string{"30 days", "Never synchronised"}},
	}
	for _, c := range cases {
		for lang, wants := range map[string][]string{"vi": c.vi, "en": c.en} {
			_, doc := render(t, u, 200, c.name, pages[c.name].data(lang))
			for _, w := range wants {
				if !strings.Contains(doc, w) {
					t.Errorf("%s/%s: missing %q", c.name, lang, w)
				}
			}
			if !strings.Contains(doc, "console.css") || !strings.Contains(doc, "console.js") {
				t.Errorf("%s/%s: the console's style or script is not loaded", c.name, lang)
			}
		}
	}
}
