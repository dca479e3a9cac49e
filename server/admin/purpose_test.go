package admin

import (
	"strings"
	"testing"
)

func TestValidatePurpose(t *testing.T) {
	ok := ClientSpec{PurposeVI: "  Đặt lịch khám  ", PurposeEN: "Booking", PrivacyURLVI: "https://bv.example.vn/rieng-tu",
		PrivacyURLEN: "http://localhost:8080/privacy"}
	var p Problems
	validatePurpose(&p, &ok)
	if len(p) != 0 || ok.PurposeVI != "Đặt lịch khám" {
		t.Fatalf("a valid purpose: problems %v, purpose %q", p, ok.PurposeVI)
	}
	for _, tc := range []struct {
		name  string
		spec  ClientSpec
		field string
	}{
		{"too long", ClientSpec{PurposeVI: strings.Repeat("ạ", maxPurposeLength+1)}, "purpose_vi"},
		{"two lines", ClientSpec{PurposeEN: "one\ntwo"}, "purpose_en"},
		{"script URL", ClientSpec{PrivacyURLVI: "javascript:alert(1)"}, "privacy_url_vi"},
		{"plain http", ClientSpec{PrivacyURLEN: "http://bv.example.vn/privacy"}, "privacy_url_en"},
		{"relative", ClientSpec{PrivacyURLVI: "/rieng-tu"}, "privacy_url_vi"},
		{"fragment", ClientSpec{PrivacyURLVI: "https://bv.example.vn/#x"}, "privacy_url_vi"},
		{"user info", ClientSpec{PrivacyURLVI: "https://u:p@bv.example.vn/"}, "privacy_url_vi"},
	} {
		var p Problems
		validatePurpose(&p, &tc.spec)
		if len(p) != 1 || p[0].Field != tc.field {
			t.Errorf("%s: problems %v, want one on %s", tc.name, p, tc.field)
		}
	}
}
