package identity_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func ExampleParsePersonalID() {
	p, err := identity.ParsePersonalID(" 079303001234 ")
	if err != nil {
		panic(err)
	}
	code, name, abroad := p.Province()
	fmt.Println(p.Masked(), code, name, abroad, p.Gender(), p.BirthYear())

	born := time.Date(2002, time.June, 1, 0, 0, 0, 0, time.UTC)
	fmt.Println(p.CheckBirth(born, identity.GenderFemale))

	_, err = identity.ParsePersonalID("003099012345")
	var ie *identity.InvalidError
	if errors.As(err, &ie) {
		fmt.Println(ie.MessageKey())
	}
	// Output:
	// 079*******34 079 Hồ Chí Minh false female 2003
	// personal_id: year of birth does not match the number
	// error.personal_id.province
}

func ExampleParseTaxCode() {
	for _, s := range []string{"0314409058999", "0100233489"} {
		t, err := identity.ParseTaxCode(s)
		fmt.Println(t, t.IsBranch(), t.Parent(), err)
	}
	// Output:
	// 0314409058-999 true 0314409058 <nil>
	//  false  tax_code: check digit does not match
}

func ExampleNormalizePhone() {
	for _, s := range []string{"091 234 5678", "(+84) 28.3829.1234"} {
		p, _ := identity.NormalizePhone(s)
		fmt.Println(p)
	}
	// Output:
	// +84912345678
	// +842838291234
}

func ExampleAccount_Claims() {
	a := &identity.Account{
		ID:         identity.NewSubject(),
		FullName:   "Nguyễn Thị Ánh",
		PersonalID: "079303001234",
		Locale:     "vi",
	}
	c := a.Claims(identity.ClaimRequest{
		Scopes:   []string{"openid", "profile", "personal_id"},
		Capacity: identity.CapacityCitizen,
		// PersonalIDConsented is false: the personal ID is not released.
	})
	fmt.Println(c["account_kind"], c["family_name"], c["middle_name"], c["given_name"], c["personal_id"])
	// Output: citizen Nguyễn Thị Ánh <nil>
}
