package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/dinhdanh/dinhdanh/test/harness"
)

// TestParallelRegistrationsFromOneAddress sends a burst of valid
// registrations from one address at once: exactly the address's limit of
// them create an account, whatever arrives together. A registration of a
// personal ID already taken is answered as a registration and takes its
// place, as a registration does; invalid ones take none.
func TestParallelRegistrationsFromOneAddress(t *testing.T) {
	t.Parallel()
	const limit, burstSize = 3, 12
	srv := harness.StartInProcess(t, harness.WithEnv("DINHDANH_BRUTE_FORCE_ADDRESS_MAX_FAILURES", fmt.Sprint(limit)))
	srv.CreateCitizen(t, dat)
	b := srv.NewBrowser(t)
	form := b.Get(t, "/register").MustPage(t, http.StatusOK, "/register").Form(t, "/register")
	// 036 Nam Định, 0 = man born in the 1900s, 88 = 1988.
	person := func(i int) url.Values {
		return formValues(t, form, map[string]string{"personal_id": fmt.Sprintf("036088%06d", i), "full_name": "Lê Văn Cường",
			"birthdate": "1988-11-20", "gender": "male", "email": fmt.Sprintf("cuong%d@example.vn", i),
			"password": "mật khẩu của Cường", "password_confirm": "mật khẩu của Cường", "privacy_accept": "1"})
	}

	// Invalid registrations take no place.
	for range limit + 1 {
		invalid := person(998)
		invalid.Set("password_confirm", "another password")
		if s := b.Send(t, http.MethodPost, "/register", invalid).Hops[0].Status; s != http.StatusBadRequest {
			t.Fatalf("an invalid registration was answered %d, want 400", s)
		}
	}
	// A registration of a taken personal ID takes one, answered alike.
	taken := person(999)
	taken.Set("personal_id", dat.PersonalID)
	taken.Set("birthdate", dat.Birthdate)
	if s := b.Send(t, http.MethodPost, "/register", taken).Hops[0].Status; s != http.StatusSeeOther {
		t.Fatalf("a registration of a taken personal ID was answered %d, want 303 as a registration", s)
	}

	statuses := make([]int, burstSize)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range burstSize {
		wg.Go(func() {
			<-start
			statuses[i] = b.Send(t, http.MethodPost, "/register", person(i)).Hops[0].Status
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, s := range statuses {
		switch s {
		case http.StatusSeeOther:
			created++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("registration %d was answered %d", i, s)
		}
		res, err := srv.RunCLI("", "account", "show", fmt.Sprintf("036088%06d", i))
		if err != nil {
			t.Fatal(err)
		}
		if exists := res.ExitCode == 0; exists != (s == http.StatusSeeOther) {
			t.Errorf("registration %d answered %d, account exists: %v", i, s, exists)
		}
	}
	if created != limit-1 {
		t.Fatalf("%d of %d parallel registrations from one address created an account, limit %d with one place taken", created, burstSize, limit)
	}
}
