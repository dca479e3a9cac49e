package adminui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// BenchmarkConsolePages measures the server time of the console's main
// pages: the node's whole handler (middleware, session, principal, the
// service's reads, rendering) answering a signed-in super_admin, with no
// network in between. The province holds 200 people, 20 applications and
// 500 audit events. The target is under 50 ms a page.
//
//	go test -run '^$' -bench ConsolePages -benchtime 200x ./test/adminui/
var (
	middle = []string{"Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Ngọc", "Đức", "Thu", "Bảo"}
	given  = []string{"An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Khoa", "Lan", "Linh", "Long",
		"Mai", "Nam", "Phong", "Quân", "Sơn", "Trang", "Vy"}
)

func BenchmarkConsolePages(b *testing.B) {
	srv := harness.StartInProcess(b)
	ctx := context.Background()
	super := official(b, srv, "qtv", "Quản trị viên", "Sở Khoa học và Công nghệ")
	grant(b, srv, super, "super_admin", "")
	svc := srv.Admin(b)
	var someone string
	for i := 0; i < 200; i++ {
		name := "Nguyễn " + middle[i%len(middle)] + " " + given[i/len(middle)%len(given)]
		p := official(b, srv, fmt.Sprintf("cb.%03d", i), name, []string{soYTe, soTaiCh}[i%2])
		someone = p.Sub
	}
	var app string
	for i := 0; i < 20; i++ {
		c, _, err := svc.CreateClient(ctx, admin.ClientSpec{Name: fmt.Sprintf("Ứng dụng %d", i), Agency: soYTe,
			RedirectURIs: []string{fmt.Sprintf("https://app%d.example.gov.vn/cb", i)}})
		if err != nil {
			b.Fatal(err)
		}
		app = c.ID
	}
	for i := 0; i < 500; i++ {
		if err := srv.App.Store.AppendAudit(ctx, &store.AuditEvent{Time: time.Now().Add(-time.Duration(i) * time.Minute),
			Type: []string{"login.success", "login.failure"}[i%2], Actor: someone, Subject: someone,
			Details: map[string]string{"method": "password"}}); err != nil {
			b.Fatal(err)
		}
	}
	browser := signIn(b, srv, super)
	cookie := &http.Cookie{Name: srv.Config.Session.CookieName, Value: browser.Cookie(srv.Config.Session.CookieName)}
	for _, page := range []struct{ name, path string }{{"dashboard", "/admin"}, {"search", "/admin/people?q=Nguy%E1%BB%85n"},
		{"person", "/admin/people/" + someone}, {"apps", "/admin/apps"}, {"app", "/admin/apps/" + app}, {"audit", "/admin/audit"}} {
		path := page.path
		b.Run(page.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, srv.Base+path, nil)
				req.AddCookie(cookie)
				req.Header.Set("Accept-Language", "vi")
				rec := httptest.NewRecorder()
				srv.App.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: status %d\n%s", path, rec.Code, rec.Body)
				}
			}
		})
	}
}
