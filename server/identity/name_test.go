package identity_test

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestNormalizeFullNameValid(t *testing.T) {
	nfc := "Nguyễn Thị Ánh"
	nfd := norm.NFD.String(nfc)
	if nfd == nfc {
		t.Fatal("test input: NFD form equals NFC form")
	}
	tests := []struct {
		name, in, want string
	}{
		{"NFC", nfc, nfc},
		{"NFD", nfd, nfc},
		{"NFD with spaces", "  " + norm.NFD.String("Trần   Đức\tThắng") + " \n", "Trần Đức Thắng"},
		{"mixed NFC and NFD", "Phạm " + norm.NFD.String("Hồng") + " Nhung", "Phạm Hồng Nhung"},
		{"đ is a letter", "Đỗ Đình Được", "Đỗ Đình Được"},
		{"lower case kept", "lê văn tám", "lê văn tám"},
		{"upper case kept", "LÊ VĂN TÁM", "LÊ VĂN TÁM"},
		{"ethnic minority apostrophe", "K'Sơr Ha Đơk", "K'Sơr Ha Đơk"},
		{"typographic apostrophe", "K’Bông", "K'Bông"},
		{"hyphen", "Hồ-Nguyễn Minh", "Hồ-Nguyễn Minh"},
		{"dot", "Ng. Văn A", "Ng. Văn A"},
		{"no-break space collapses", "Lý\u00a0Thường\u2003Kiệt", "Lý Thường Kiệt"},
		{"one letter", "A", "A"},
		{"Chinese", "阮氏映", "阮氏映"},
		{"Thai with combining marks", "สมชาย ใจดี", "สมชาย ใจดี"},
		{"Cyrillic", "Иван Петров", "Иван Петров"},
		{"four marks on a letter", "A\u0330\u0331\u0332\u0333nh", "A\u0330\u0331\u0332\u0333nh"},
		{"100 runes", strings.Repeat("ễ", 100), strings.Repeat("ễ", 100)},
		{"100 runes after collapsing", strings.Repeat("a  ", 50), strings.TrimSpace(strings.Repeat("a ", 50))},
		{"100 runes NFD", norm.NFD.String(strings.Repeat("ễ", 100)), strings.Repeat("ễ", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.NormalizeFullName(tt.in)
			if err != nil {
				t.Fatalf("NormalizeFullName(%q) error = %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeFullName(%q) = %q (% x), want %q (% x)", tt.in, got, got, tt.want, tt.want)
			}
			if !norm.NFC.IsNormalString(got) {
				t.Errorf("result %q is not NFC", got)
			}
		})
	}
}

func TestNormalizeFullNameInvalid(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "required"},
		{"blank", " \t\n\u00a0", "required"},
		{"101 runes", strings.Repeat("a", 101), "too_long"},
		{"101 runes NFC from NFD", norm.NFD.String(strings.Repeat("ễ", 101)), "too_long"},
		{"huge", strings.Repeat("a", 10000), "too_long"},
		{"digit", "Nguyễn Văn 2", "invalid"},
		{"at sign", "an@example", "invalid"},
		{"comma", "Nguyễn, Văn", "invalid"},
		{"emoji", "Ánh 🌸", "invalid"},
		{"control char", "Ánh\x00", "invalid"},
		{"zero-width joiner", "Á\u200dnh", "invalid"},
		{"invalid UTF-8", "Nguy\xffn", "invalid"},
		{"punctuation only", "-'.", "invalid"},
		{"combining mark alone", "\u0301", "invalid"},
		{"combining mark after space", "An \u0301Bình", "invalid"},
		{"combining mark after hyphen", "An-\u0301", "invalid"},
		{"script tag", "<script>", "invalid"},
		{"five marks on a letter", "A\u0330\u0331\u0332\u0333\u0334nh", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.NormalizeFullName(tt.in)
			if got != "" {
				t.Errorf("NormalizeFullName(%q) = %q, want \"\"", tt.in, got)
			}
			wantInvalid(t, err, "full_name", tt.reason)
		})
	}
}

func TestSplitName(t *testing.T) {
	tests := []struct {
		full, family, middle, given string
	}{
		{"Nguyễn Thị Ánh", "Nguyễn", "Thị", "Ánh"},
		{"Tôn Nữ Thị Ninh", "Tôn", "Nữ Thị", "Ninh"},
		{"Trần Hưng", "Trần", "", "Hưng"},
		{"Ánh", "", "", "Ánh"},
		{"", "", "", ""},
		{"   ", "", "", ""},
		{"  Lê   Văn  Tám ", "Lê", "Văn", "Tám"},
		{"Công Tằng Tôn Nữ Bích Ngọc", "Công", "Tằng Tôn Nữ Bích", "Ngọc"},
	}
	for _, tt := range tests {
		family, middle, given := identity.SplitName(tt.full)
		if family != tt.family || middle != tt.middle || given != tt.given {
			t.Errorf("SplitName(%q) = %q, %q, %q; want %q, %q, %q",
				tt.full, family, middle, given, tt.family, tt.middle, tt.given)
		}
	}
}
