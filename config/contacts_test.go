package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateContacts(t *testing.T) {
	c := Default()
	c.Contacts = Contacts{CodeLifetime: Duration(2 * time.Hour), MaxAttempts: 0, MaxSends: 51, SendWindow: Duration(time.Minute)}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad contacts section")
	}
	for _, key := range []string{"contacts.code_lifetime", "contacts.max_attempts", "contacts.max_sends", "contacts.send_window"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate does not report %s: %v", key, err)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
}
