package browser

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/services"
)

// contactsNoViolations runs axe-core on the tab's page and fails on any
// violation, then checks that the page fits the phone's screen.
func contactsNoViolations(t *testing.T, ctx context.Context, axe, where string) {
	t.Helper()
	noViolations(t, ctx, axe, where)
	contactsFits(t, ctx, where)
}

// contactsFits fails when the tab's page is wider than the phone's screen
// (it would scroll sideways), naming the elements that stick out. The
// window must be the phone's width: a mobile viewport widens itself to
// fit content that overflows, and headless Chromium gives a window no
// narrower than 500 px (chromedp.WindowSize(390, …) measures a 500 px page).
func contactsFits(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	if w := eval[[]int](t, ctx, "[document.documentElement.scrollWidth, window.innerWidth]"); len(w) != 2 || w[0] > w[1] || w[1] != phoneWidth {
		wide := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > `+strconv.Itoa(phoneWidth)+`).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " " + Math.round(e.getBoundingClientRect().width) + "px").slice(0, 12)`)
		t.Errorf("%s: the page is %v px wide (scroll width, window width): %v", where, w, wide)
	}
}

// TestContactsOnAPhone: at a phone's size, a citizen opens the profile,
// asks for a code for a new email, reads it from a real mailpit, enters it
// and sees the address verified; each page passes axe-core, and neither
// these nor the other pages of the console scroll sideways, even with a
// long address.
func TestContactsOnAPhone(t *testing.T) {
	axe := axeSource(t)
	ctx := phoneTab(t)
	mp := services.StartMailpit(t, services.MailpitOptions{})
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	t.Cleanup(gw.Close)
	srv := harness.StartInProcess(t,
		harness.WithEnv("DINHDANH_MAIL_HOST", "127.0.0.1"),
		harness.WithEnv("DINHDANH_MAIL_PORT", strconv.Itoa(mp.SMTPPort)),
		harness.WithEnv("DINHDANH_MAIL_TLS", "none"),
		harness.WithEnv("DINHDANH_MAIL_FROM", "Định danh điện tử <no-reply@tinh.gov.vn>"),
		harness.WithEnv("DINHDANH_SMS_URL", gw.URL+"/send"),
		harness.WithEnv("DINHDANH_OUTBOX_POLL_INTERVAL", "100ms"))
	srv.CreateCitizen(t, citizen)
	idp := srv.Issuer

	step(t, ctx, "opening the console", chromedp.Navigate(srv.URL("/account")))
	waitPath(t, ctx, idp, "/login")
	step(t, ctx, "logging in",
		chromedp.SendKeys(chromedp.ID("identifier"), citizen.PersonalID),
		chromedp.SendKeys(chromedp.ID("password"), citizen.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account")
	step(t, ctx, "opening the profile", chromedp.Click(chromedp.CSS(`a[href="/account/profile"]`)))
	waitPath(t, ctx, idp, "/account/profile")
	contactsNoViolations(t, ctx, axe, "profile")

	step(t, ctx, "asking for a code",
		chromedp.SendKeys(chromedp.ID("new_email"), "nguyen.thi.thanh.huong.phong.tiep.cong.dan@vanphong-ubnd-tinhbinhdinh.gov.vn"),
		chromedp.Click(chromedp.CSS(`#new_email ~ button, form:has(#new_email) button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account/contacts/verify")
	contactsNoViolations(t, ctx, axe, "code page")
	msgs := mp.WaitMessages(t, 1, 15*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("mailpit holds %d messages", len(msgs))
	}
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(msgs[0].Text)
	step(t, ctx, "a wrong code",
		chromedp.SendKeys(chromedp.ID("contact_code"), "999999x"),
		chromedp.Click(chromedp.CSS(`form[action="/account/contacts/verify"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account/contacts/verify")
	waitText(t, ctx, "#form-error", msg(t, ctx, "contact.wrong_code", 4))
	contactsNoViolations(t, ctx, axe, "code page with an error")
	step(t, ctx, "entering the code",
		chromedp.SendKeys(chromedp.ID("contact_code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/account/contacts/verify"] button[type="submit"]`)))
	waitPath(t, ctx, idp, "/account/profile")
	waitText(t, ctx, ".notice", msg(t, ctx, "contact.email_verified"))
	contactsNoViolations(t, ctx, axe, "profile after verifying")

	// A long address that is not one, refilled in the form with its error.
	step(t, ctx, "a wrong address",
		chromedp.SendKeys(chromedp.ID("new_email"), strings.Repeat("khong-phai-dia-chi-", 8)),
		chromedp.Click(chromedp.CSS(`form:has(#new_email) button[type="submit"]`)))
	waitText(t, ctx, "#form-error", msg(t, ctx, "error.email.invalid"))
	contactsNoViolations(t, ctx, axe, "profile with an error")

	// The rest of the console fits the phone too.
	for _, path := range []string{"/account", "/account/security", "/account/certificates", "/account/password",
		"/account/privacy/history", "/account/privacy/download", "/account/privacy/delete"} {
		step(t, ctx, "opening "+path, chromedp.Navigate(srv.URL(path)))
		waitPath(t, ctx, idp, path)
		contactsFits(t, ctx, path)
	}
}
