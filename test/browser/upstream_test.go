package browser

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/upstreamop"
)

// The person VNeID knows: the national portal's claims, and the provider's login.
var lan = upstreamop.Person{Sub: "vneid-7f3a91", Username: "nguyen.thi.lan", Password: "mat-khau-VNeID-2024",
	PersonalID: "079190001234", Name: "Nguyễn Thị Lan", Birthdate: "19900517", Gender: "2"}

// verifiedClaimsRequest asks, with the claims parameter, for the verified
// personal ID and name in the ID token, with the evidence of the proof.
const verifiedClaimsRequest = `{"id_token":{"verified_claims":{"verification":{"trust_framework":null,"evidence":null},` +
	`"claims":{"personal_id":null,"name":null}}}}`

// TestUpstreamLogin: in Chromium, a person opens a go-oidc application,
// chooses "Đăng nhập bằng VNeID" on dinhdanh's Vietnamese login page, signs
// in on the provider's own login page and comes back to the application,
// whose verified ID token carries the personal ID and name VNeID released,
// verified under the vn_eid trust framework with VNeID's electronic record
// as evidence. A second login, from a fresh browser, is the same subject.
func TestUpstreamLogin(t *testing.T) {
	chromium(t)
	op := upstreamop.Start(t, "dinhdanh-tinh", "bi-mat-cua-dinhdanh-tai-vneid",
		"http://127.0.0.1:*/login/upstream/vneid/callback", lan)
	srv := harness.Start(t, harness.WithConfigFile(
		upstreamop.WriteConfig(t, op.Issuer, "dinhdanh-tinh", "bi-mat-cua-dinhdanh-tai-vneid", "5s")))
	rp := startRP(t, srv, "openid", "profile", "personal_id")
	idp := srv.Issuer
	start := rp.URL + "/start?claims=" + url.QueryEscape(verifiedClaimsRequest)

	login := func(run string) map[string]any {
		t.Helper()
		// A browser set to Vietnamese, as the person's phone or computer.
		ctx := newTab(t, chromedp.Flag("lang", "vi-VN"), chromedp.Flag("accept-lang", "vi-VN,vi"))
		step(t, ctx, run+": opening the application", chromedp.Navigate(start))
		waitPath(t, ctx, idp, "/login")
		if lang := eval[string](t, ctx, "document.documentElement.lang"); lang != "vi" {
			t.Errorf("%s: the login page's language is %q, want vi", run, lang)
		}
		button := `a.button[href^="/login/upstream/vneid?flow="]`
		waitText(t, ctx, button, "Đăng nhập bằng VNeID")
		step(t, ctx, run+": choosing VNeID", chromedp.Click(chromedp.CSS(button)))
		waitPath(t, ctx, op.Issuer, "/login/username")
		step(t, ctx, run+": signing in at VNeID",
			chromedp.SendKeys(chromedp.ID("username"), lan.Username),
			chromedp.SendKeys(chromedp.ID("password"), lan.Password),
			chromedp.Click(chromedp.CSS(`form[action="/login/username"] button[type="submit"]`)))
		// Back on dinhdanh: the consent, if it is asked, then the application.
		deadline := time.Now().Add(stepTimeout)
		for {
			loc := location(ctx)
			if u, err := url.Parse(loc); err == nil && u.Scheme+"://"+u.Host == rp.URL && u.Path == "/callback" {
				break
			}
			if strings.HasPrefix(loc, idp+"/consent") {
				waitPath(t, ctx, idp, "/consent")
				if lang := eval[string](t, ctx, "document.documentElement.lang"); lang != "vi" {
					t.Errorf("%s: the consent page's language is %q, want vi", run, lang)
				}
				step(t, ctx, run+": consenting", chromedp.Click(chromedp.CSS(`button[name="decision"][value="allow"]`)))
				waitPath(t, ctx, rp.URL, "/callback")
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the browser did not come back from VNeID; it is at %s\n%s", run, loc, bodyText(ctx))
			}
			time.Sleep(100 * time.Millisecond)
		}
		return rp.result(t)
	}

	claims := login("first login")
	for name, want := range map[string]string{"personal_id": lan.PersonalID, "name": lan.Name, "acr": "LoA2"} {
		if got, _ := claims[name].(string); got != want {
			t.Errorf("ID token claim %s = %v, want %q", name, claims[name], want)
		}
	}
	vc, _ := claims["verified_claims"].(map[string]any)
	verification, _ := vc["verification"].(map[string]any)
	if verification["trust_framework"] != "vn_eid" {
		t.Errorf("verified_claims.verification.trust_framework = %v, want vn_eid (verified_claims %v)", verification["trust_framework"], vc)
	}
	evidence, _ := verification["evidence"].([]any)
	if len(evidence) != 1 {
		t.Fatalf("verified_claims.verification.evidence = %v, want one", verification["evidence"])
	}
	ev, _ := evidence[0].(map[string]any)
	record, _ := ev["record"].(map[string]any)
	source, _ := record["source"].(map[string]any)
	if ev["type"] != "electronic_record" || record["type"] != "population_register" || source["name"] != "vneid" {
		t.Errorf("evidence = %v, want an electronic_record of the population register whose source is the provider vneid", ev)
	}
	vclaims, _ := vc["claims"].(map[string]any)
	if vclaims["personal_id"] != lan.PersonalID || vclaims["name"] != lan.Name {
		t.Errorf("verified_claims.claims = %v, want the personal ID and name VNeID released", vclaims)
	}
	sub := fmt.Sprint(claims["sub"])
	if sub == "" || sub == lan.Sub {
		t.Errorf("sub = %q: want dinhdanh's own subject", sub)
	}

	again := login("second login")
	if again["sub"] != claims["sub"] {
		t.Fatalf("the second login through VNeID is subject %v, the first %v", again["sub"], claims["sub"])
	}
}
