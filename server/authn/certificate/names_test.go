package certificate

import "testing"

func TestSameName(t *testing.T) {
	decomposed := "Tra\u0302\u0300n Thi\u0323 Bi\u0300nh" // combining marks
	cases := []struct {
		a, b string
		want bool
	}{
		{"Trần Thị Bình", "Trần Thị Bình", true},
		{"Trần Thị Bình", "TRẦN THỊ BÌNH", true},
		{"Trần Thị Bình", "  trần   thị\tbình ", true},
		{"Trần Thị Bình", decomposed, true},
		{"Đinh Văn Khách", "đinh văn khách", true},
		{"Trần Thị Bình", "Tran Thi Binh", false},
		{"Trần Thị Bình", "Trần Thị Bính", false},
		{"Trần Thị Bình", "Nguyễn Hữu Đạt", false},
		{"Trần Thị Bình", "Trần Thị", false},
		{"", "", false},
		{"Trần Thị Bình", "", false},
	}
	for _, c := range cases {
		if got := SameName(c.a, c.b); got != c.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
