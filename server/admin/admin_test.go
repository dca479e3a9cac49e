package admin

import "testing"

func TestNewClientIDIsValid(t *testing.T) {
	// About one random base64url string in 32 starts with '-' or '_'.
	for range 2000 {
		if id := newClientID(); !clientIDPattern.MatchString(id) {
			t.Fatalf("generated client id %q is refused by the client id pattern", id)
		}
	}
}
