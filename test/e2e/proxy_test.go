package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/test/harness"
)

// A node behind a reverse proxy: the proxy (an httputil.ReverseProxy on
// 127.0.0.1, which appends the client to X-Forwarded-For) is the node's one
// trusted proxy, and its clients connect from other loopback addresses.

// proxyLimit is the address limit of the nodes behind the proxy.
const proxyLimit = 3

// startBehindProxy starts a node that trusts 127.0.0.1 and a reverse proxy
// in front of it on 127.0.0.1, and returns the node and the proxy's URL.
func startBehindProxy(t *testing.T) (*harness.Server, string) {
	t.Helper()
	srv := harness.StartInProcess(t,
		harness.WithEnv("DINHDANH_TRUSTED_PROXIES", "127.0.0.1"),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_ADDRESS_MAX_FAILURES", fmt.Sprint(proxyLimit)),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_BASE_DELAY", "100ms"),
		harness.WithEnv("DINHDANH_BRUTE_FORCE_MAX_DELAY", "400ms"))
	target, err := url.Parse(srv.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxy := &http.Server{Handler: httputil.NewSingleHostReverseProxy(target), ReadHeaderTimeout: harness.RequestTimeout}
	go proxy.Serve(ln)
	t.Cleanup(func() { proxy.Close() })
	return srv, "http://" + ln.Addr().String()
}

// proxiedBrowser returns a browser that reaches the node through the proxy,
// connecting from the loopback address ip.
func proxiedBrowser(t *testing.T, srv *harness.Server, proxy, ip string) *harness.Browser {
	b := srv.NewBrowser(t)
	b.AddOrigin(proxy)
	b.UseLocalAddress(t, ip)
	return b
}

// auditedAddress returns the address of the latest event of the type of the
// subject.
func auditedAddress(t *testing.T, srv *harness.Server, subject string, ev audit.Event) string {
	t.Helper()
	for _, e := range srv.Audit(t, subject, 100) {
		if e.Type == string(ev) {
			return e.Address
		}
	}
	t.Fatalf("no %s event of %s", ev, subject)
	return ""
}

func TestClientsBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	srv, proxy := startBehindProxy(t)
	datSub, hangSub, tuanSub := srv.CreateCitizen(t, dat), srv.CreateCitizen(t, hang), srv.CreateCitizen(t, tuan)

	// Two people behind the proxy; one sends an X-Forwarded-For of their
	// own, which the proxy keeps on the left of the address it saw.
	b2 := proxiedBrowser(t, srv, proxy, "127.0.0.2")
	b2.Header = http.Header{"X-Forwarded-For": {"203.0.113.66"}}
	b3 := proxiedBrowser(t, srv, proxy, "127.0.0.3")
	for _, c := range []struct {
		b      *harness.Browser
		who    harness.Citizen
		sub    string
		wantIP string
	}{{b2, dat, datSub, "127.0.0.2"}, {b3, hang, hangSub, "127.0.0.3"}} {
		resp := login(t, c.b, c.b.Get(t, proxy+"/login"), c.who.PersonalID, c.who.Password)
		if resp.Hops[0].Status != http.StatusSeeOther || c.b.Cookie("dinhdanh_session") == "" {
			t.Fatalf("login of %s through the proxy: %s", c.who.Name, resp)
		}
		if got := auditedAddress(t, srv, c.sub, audit.LoginSuccess); got != c.wantIP {
			t.Errorf("the login of %s through the proxy was audited from %q, want %q", c.who.Name, got, c.wantIP)
		}
	}

	// A client that reaches the node directly is no proxy: its header is
	// not believed.
	direct := srv.NewBrowser(t)
	direct.UseLocalAddress(t, "127.0.0.4")
	direct.Header = http.Header{"X-Forwarded-For": {"198.51.100.9"}, "Forwarded": {"for=198.51.100.9"}}
	resp := login(t, direct, direct.Get(t, "/login"), tuan.PersonalID, tuan.Password)
	if resp.Hops[0].Status != http.StatusSeeOther {
		t.Fatalf("direct login: %s", resp)
	}
	if got := auditedAddress(t, srv, tuanSub, audit.LoginSuccess); got != "127.0.0.4" {
		t.Errorf("a direct client's spoofed header was believed: audited from %q", got)
	}
}

func TestSlowedAddressStillLogsInAnotherAccount(t *testing.T) {
	t.Parallel()
	srv, proxy := startBehindProxy(t)
	datSub := srv.CreateCitizen(t, dat)
	b := proxiedBrowser(t, srv, proxy, "127.0.0.5")

	// More failures than the address limit, each against another account.
	failures := proxyLimit + 2
	for i := range failures {
		resp := login(t, b, b.Get(t, proxy+"/login"), fmt.Sprintf("khong-ai-%d@example.vn", i), "mật khẩu sai")
		if s := resp.Hops[0].Status; s != http.StatusUnauthorized {
			t.Fatalf("failure %d from the address was answered %d, want 401", i+1, s)
		}
	}
	// A different account's right password from that address logs in,
	// after the address's delay: the try counted limit+3 waits 100ms × 2².
	page := b.Get(t, proxy+"/login")
	start := time.Now()
	resp := login(t, b, page, dat.PersonalID, dat.Password)
	elapsed := time.Since(start)
	if resp.Hops[0].Status != http.StatusSeeOther || b.Cookie("dinhdanh_session") == "" {
		t.Fatalf("the right password of another account from the slowed address: %s", resp)
	}
	if elapsed < 400*time.Millisecond {
		t.Errorf("the login from the slowed address took %v, want at least the 400ms delay", elapsed)
	}
	if got := auditedAddress(t, srv, datSub, audit.LoginSuccess); got != "127.0.0.5" {
		t.Errorf("audited from %q, want 127.0.0.5", got)
	}
}
