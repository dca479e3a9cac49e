package harness

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

const consentPage = `<!DOCTYPE html><html lang="vi"><body>
<p class="lead">Ứng dụng <strong>Đặt lịch khám</strong> xin phép</p>
<ul class="consent-list">
<li class="consent-item"><span class="consent-scope">Hồ sơ</span>
<ul class="claim-list"><li>Họ và tên</li><li>Ngày sinh</li></ul></li>
<li class="consent-item"><span class="consent-scope">Thư điện tử</span></li>
</ul>
<form class="form" method="post" action="/consent">
<input type="hidden" name="csrf_token" value="abc&amp;def">
<input type="hidden" name="flow" value="F1">
<input id="remember" name="remember" type="checkbox" value="1" checked>
<input name="note" type="text">
<textarea name="reason">lý do</textarea>
<select name="lang"><option value="vi">Tiếng Việt</option><option value="en" selected>English</option></select>
<input name="off" type="text" value="x" disabled>
<button type="submit" name="decision" value="allow">Đồng ý</button>
<button class="button" type="submit" name="decision" value="deny">Từ chối</button>
</form>
<form method="post" action="/login/business">
<input name="tax_code" type="radio" value="" checked>
<input name="tax_code" type="radio" value="0101234565">
</form>
<form action="?lang=en"><input type="submit" value="Go"></form>
</body></html>`

func TestParseForms(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080/consent?flow=F1")
	forms := ParseForms(consentPage, base)
	if len(forms) != 3 {
		t.Fatalf("%d forms, want 3", len(forms))
	}
	f := forms[0]
	if f.Action != "http://127.0.0.1:8080/consent" || f.Method != "POST" {
		t.Errorf("action %q method %q", f.Action, f.Method)
	}
	if forms[2].Action != "http://127.0.0.1:8080/consent?lang=en" || forms[2].Method != "GET" {
		t.Errorf("third form: action %q method %q", forms[2].Action, forms[2].Method)
	}

	vals, err := f.Values(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"csrf_token": {"abc&def"}, "flow": {"F1"}, "remember": {"1"}, "note": {""}, "reason": {"lý do"}, "lang": {"en"}}
	if vals.Encode() != want.Encode() {
		t.Errorf("default values %v, want %v", vals, want)
	}
	vals, err = f.Values(map[string]string{"decision": "deny", "remember": "", "note": "ghi chú"})
	if err != nil {
		t.Fatal(err)
	}
	if vals.Get("decision") != "deny" || vals.Has("remember") || vals.Get("note") != "ghi chú" || len(vals["decision"]) != 1 {
		t.Errorf("values after set: %v", vals)
	}
	if !slices.Equal(f.Options("decision"), []string{"allow", "deny"}) || !slices.Equal(f.Options("lang"), []string{"vi", "en"}) {
		t.Errorf("options %q %q", f.Options("decision"), f.Options("lang"))
	}
	for _, bad := range []map[string]string{{"decision": "maybe"}, {"missing": "x"}, {"off": "y"}, {"remember": "2"}} {
		if _, err := f.Values(bad); err == nil {
			t.Errorf("Values(%v) accepted a control or value the form does not offer", bad)
		}
	}

	biz := forms[1]
	if biz.Value("tax_code") != "" || !biz.Has("tax_code") {
		t.Errorf("radio default %q", biz.Value("tax_code"))
	}
	vals, _ = biz.Values(map[string]string{"tax_code": "0101234565"})
	if !slices.Equal(vals["tax_code"], []string{"0101234565"}) {
		t.Errorf("radio choice %v", vals)
	}
}

func TestElements(t *testing.T) {
	items := ElementsByClass(consentPage, "consent-item")
	if len(items) != 2 {
		t.Fatalf("%d consent items, want 2", len(items))
	}
	if s := items[0].ByClass("consent-scope"); len(s) != 1 || s[0].Text != "Hồ sơ" {
		t.Errorf("scope %v", s)
	}
	var claims []string
	for _, li := range items[0].ByTag("li") {
		claims = append(claims, li.Text)
	}
	if !slices.Equal(claims, []string{"Họ và tên", "Ngày sinh"}) {
		t.Errorf("claims %q", claims)
	}
	if items[1].Text != "Thư điện tử" || len(items[1].ByTag("li")) != 0 {
		t.Errorf("second item %q", items[1].Text)
	}
	lead := ElementsByClass(consentPage, "lead")
	if len(lead) != 1 || lead[0].Text != "Ứng dụng Đặt lịch khám xin phép" || !strings.Contains(lead[0].Inner, "<strong>") {
		t.Errorf("lead %+v", lead)
	}
	if html := ElementsByTag(consentPage, "html"); len(html) != 1 || html[0].Attrs["lang"] != "vi" {
		t.Errorf("html element %v", html)
	}
	if buttons := ElementsByClass(consentPage, "button"); len(buttons) != 1 || buttons[0].Text != "Từ chối" {
		t.Errorf("buttons %v", buttons)
	}
}
