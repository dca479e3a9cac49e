package certificate

import (
	"testing"

	"github.com/dinhdanh/dinhdanh/test/pki"
)

func TestDisplayName(t *testing.T) {
	p := pki.New(t)
	for _, tt := range []struct {
		got, want string
	}{
		{SubjectText(p.Business.Cert), "UID=MST:" + pki.BusinessTaxCode + ", CN=" + pki.BusinessName + ", O=" + pki.BusinessName +
			", ST=Thừa Thiên Huế, C=VN"},
		{SubjectText(p.Official.Cert), "UID=CCCD:" + pki.OfficialPersonalID + ", CN=Nguyễn Văn An, O=Sở Thông tin và Truyền thông tỉnh, ST=Thừa Thiên Huế, C=VN"},
		{IssuerText(p.Official.Cert), "CN=CA phục vụ các cơ quan Nhà nước G2, O=Ban Cơ yếu Chính phủ, C=VN"},
		{DisplayName([]byte{0x30, 0x03}), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("got  %q\nwant %q", tt.got, tt.want)
		}
	}
}
