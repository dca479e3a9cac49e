package browser

import (
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// passwordResetCode and passwordResetLink find the code and the link of a
// reset mail.
var (
	passwordResetCode = regexp.MustCompile(`\b([0-9]{6,8})\b`)
	passwordResetLink = regexp.MustCompile(`https?://\S+/login/forgot/reset\?\S+`)
)

// TestPasswordPagesOnAPhone: at a phone's size, in Vietnamese and in
// English, a citizen who forgot the password asks for a code from the
// login page, enters a wrong code, opens the link of the mail a real
// mailpit got, sets a new password and logs in with it; then changes it in
// the console, first with a wrong current password. Every page (forgot,
// code page with and without an error, new password, done, change with and
// without an error, changed) passes axe-core and has no sideways scrolling.
func TestPasswordPagesOnAPhone(t *testing.T) {
	chromium(t)
	axe := axeSource(t)
	for i, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			mp := services.StartMailpit(t, services.MailpitOptions{})
			srv := harness.StartInProcess(t,
				harness.WithEnv("DINHDANH_MAIL_HOST", "127.0.0.1"),
				harness.WithEnv("DINHDANH_MAIL_PORT", strconv.Itoa(mp.SMTPPort)),
				harness.WithEnv("DINHDANH_MAIL_TLS", "none"),
				harness.WithEnv("DINHDANH_MAIL_FROM", "Định danh điện tử <no-reply@tinh.gov.vn>"),
				harness.WithEnv("DINHDANH_OUTBOX_POLL_INTERVAL", "100ms"))
			person := citizen
			person.PersonalID = "00109901234" + strconv.Itoa(6+i)
			person.Email = "dat." + lang + "@example.vn"
			sub := srv.CreateCitizen(t, person)
			a, err := srv.App.Store.GetAccount(t.Context(), sub)
			if err != nil {
				t.Fatal(err)
			}
			a.EmailVerified = true
			if err := srv.App.Store.UpdateAccount(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			idp := srv.Issuer
			// A phone whose browser asks for the language.
			ctx := newTab(t, chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang))
			step(t, ctx, "a phone's screen", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateScale(3)))
			check := func(name string) {
				t.Helper()
				if got := eval[string](t, ctx, "document.documentElement.lang"); got != lang {
					t.Errorf("%s: the page is in %q, want %q", name, got, lang)
				}
				checkPage(t, ctx, axe, name)
			}

			// Forgot password, from the login page's link.
			step(t, ctx, "opening the login page", chromedp.Navigate(srv.URL("/login")))
			waitPath(t, ctx, idp, "/login")
			step(t, ctx, "following the forgot-password link", chromedp.Click(chromedp.CSS(`a[href^="/login/forgot"]`)))
			waitPath(t, ctx, idp, "/login/forgot")
			waitText(t, ctx, "h1", msg(t, ctx, "reset.title"))
			check("forgot password")
			step(t, ctx, "asking for a code",
				chromedp.SendKeys(chromedp.ID("contact"), person.Email),
				chromedp.Click(chromedp.CSS(`form[action="/login/forgot"] button[type="submit"]`)))
			waitPath(t, ctx, idp, "/login/forgot/reset")
			waitText(t, ctx, "h1", msg(t, ctx, "reset.new_title"))
			check("code page")

			msgs := mp.WaitMessages(t, 1, 15*time.Second)
			if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0].Address != person.Email {
				t.Fatalf("mailpit holds %d messages, want one to %s", len(msgs), person.Email)
			}
			code := passwordResetCode.FindStringSubmatch(msgs[0].Text)
			link := passwordResetLink.FindString(msgs[0].Text)
			if code == nil || link == "" {
				t.Fatalf("the reset mail holds no code or link:\n%s", msgs[0].Text)
			}
			wrong := "00000000"[:len(code[1])]
			if wrong == code[1] {
				wrong = "11111111"[:len(code[1])]
			}
			step(t, ctx, "a wrong code",
				chromedp.SendKeys(chromedp.ID("code"), wrong),
				chromedp.SendKeys(chromedp.ID("password"), newPassword),
				chromedp.SendKeys(chromedp.ID("password_confirm"), newPassword),
				chromedp.Click(chromedp.CSS(`form[action="/login/forgot/reset"] button[type="submit"]`)))
			waitPath(t, ctx, idp, "/login/forgot/reset")
			waitText(t, ctx, "#form-error", msg(t, ctx, "reset.bad_code"))
			check("code page with an error")

			// The mail's link: the new-password page with the code filled in.
			lu, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			step(t, ctx, "opening the mail's link", chromedp.Navigate(srv.URL(lu.RequestURI())))
			waitPath(t, ctx, idp, "/login/forgot/reset")
			if got := eval[string](t, ctx, `document.getElementById("code").value`); got != code[1] {
				t.Fatalf("the link's page holds the code %q, want %q", got, code[1])
			}
			check("new password")
			step(t, ctx, "setting the new password",
				chromedp.SendKeys(chromedp.ID("password"), newPassword),
				chromedp.SendKeys(chromedp.ID("password_confirm"), newPassword),
				chromedp.Click(chromedp.CSS(`form[action="/login/forgot/reset"] button[type="submit"]`)))
			waitText(t, ctx, "h1", msg(t, ctx, "reset.done_title"))
			check("password reset")

			// Log in with it, and change it in the console.
			step(t, ctx, "going to log in", chromedp.Click(chromedp.CSS(`main a[href^="/login"]`)))
			waitPath(t, ctx, idp, "/login")
			step(t, ctx, "logging in with the new password",
				chromedp.SendKeys(chromedp.ID("identifier"), person.PersonalID),
				chromedp.SendKeys(chromedp.ID("password"), newPassword),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
			waitPath(t, ctx, idp, "/account")
			step(t, ctx, "opening the change of password", chromedp.Click(chromedp.CSS(`a[href="/account/password"]`)))
			waitPath(t, ctx, idp, "/account/password")
			waitText(t, ctx, "h1", msg(t, ctx, "change.title"))
			check("change password")
			step(t, ctx, "a wrong current password",
				chromedp.SendKeys(chromedp.ID("current_password"), "không-phải-mật-khẩu"),
				chromedp.SendKeys(chromedp.ID("password"), changedPassword),
				chromedp.SendKeys(chromedp.ID("password_confirm"), changedPassword),
				chromedp.Click(chromedp.CSS(`form[action="/account/password"] button[type="submit"]`)))
			waitPath(t, ctx, idp, "/account/password")
			waitText(t, ctx, "#form-error", msg(t, ctx, "change.wrong_current"))
			check("change password with an error")
			step(t, ctx, "changing the password",
				chromedp.SendKeys(chromedp.ID("current_password"), newPassword),
				chromedp.SendKeys(chromedp.ID("password"), changedPassword),
				chromedp.SendKeys(chromedp.ID("password_confirm"), changedPassword),
				chromedp.Click(chromedp.CSS(`form[action="/account/password"] button[type="submit"]`)))
			waitText(t, ctx, "main", msg(t, ctx, "change.done"))
			check("password changed")
		})
	}
}

// newPassword and changedPassword are the passwords the reset and the
// change set.
const (
	newPassword     = "Sông-Đà-mười-hai-bến-nước"
	changedPassword = "Ba-con-sông-một-dòng-chảy"
)
