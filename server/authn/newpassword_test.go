package authn

import "testing"

func TestPasswordRules(t *testing.T) {
	r := PasswordRules{MinLength: 8}
	for _, c := range []struct {
		pw, want string
	}{
		{"short", PasswordTooShort},
		{"ngắn7", PasswordTooShort},
		{string(make([]byte, 257)), PasswordTooLong},
		{"password", PasswordCommon},
		{"PassWord", PasswordCommon},
		{"qwertyuiop", PasswordCommon},
		{"1qaz2wsx", PasswordCommon},
		{"MatKhau123", PasswordCommon},
		{"anhyeuem", PasswordCommon},
		{"ngựa-vằn-7-tím", ""},
		{"correct horse battery staple", ""},
		{"Zq8#vL2!pT", ""},
	} {
		if got := r.Check(c.pw); got != c.want {
			t.Errorf("Check(%q) = %q, want %q", c.pw, got, c.want)
		}
	}
}

func TestCommonPasswordListIsLoaded(t *testing.T) {
	if n := len(common()); n < 40000 {
		t.Fatalf("the bundled list holds %d passwords, want the whole list (>40000)", n)
	}
	// The first and last entries are found: the binary search covers the ends.
	list := common()
	for _, pw := range []string{list[0], list[len(list)-1]} {
		if !CommonPassword(pw) {
			t.Errorf("CommonPassword(%q) = false for an entry of the list", pw)
		}
	}
}
