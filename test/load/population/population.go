// Package population generates a province's people for load tests: the
// i-th person is a pure function of i (names with diacritics in the
// frequencies of Vietnamese family names, 12-digit personal IDs, mobile
// phones, emails, and about 5 % officials spread over 30 agencies), so that
// a seeded database and the queries that measure it agree without reading
// each other. Person i is created at Base + i seconds: the creation order is
// the index order.
//
// Queries returns the mix of an administrator's searches over the first n
// people, one kind of query per identifier a helpdesk official is given.
package population

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// Base is the creation time of person 0.
var Base = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Family names with their approximate share of the population (per mille).
var families = []struct {
	name string
	w    int
}{
	{"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95}, {"Phạm", 70}, {"Hoàng", 50}, {"Huỳnh", 40}, {"Phan", 45},
	{"Vũ", 39}, {"Võ", 30}, {"Đặng", 21}, {"Bùi", 20}, {"Đỗ", 14}, {"Hồ", 13}, {"Ngô", 13}, {"Dương", 10},
	{"Lý", 5}, {"Đinh", 8}, {"Đoàn", 7}, {"Lâm", 6}, {"Mai", 5}, {"Trịnh", 5}, {"Cao", 4}, {"Lưu", 3}, {"Tạ", 2},
}

var (
	middlesMale   = []string{"Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Gia", "Bảo", "Trọng", "Hoàng", "Anh", "Tuấn", "Đình"}
	middlesFemale = []string{"Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh", "Minh", "Phương", "Hồng", "Mai", "Bích", "Thùy", "Hoài", "Khánh"}
	givensMale    = []string{"An", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Giang", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang", "Khoa", "Khải", "Kiên", "Lâm", "Long", "Lực", "Mạnh", "Minh", "Nam", "Nghĩa", "Nhân", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Khiêm", "Ửng", "Lộc", "Tú"}
	givensFemale  = []string{"An", "Anh", "Châu", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hòa", "Huệ", "Hương", "Lan", "Liên", "Linh", "Loan", "Ly", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Quỳnh", "Tâm", "Thảo", "Thơ", "Thủy", "Trang", "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Điểm", "Ánh", "Ngà"}
	mailDomains   = []string{"gmail.com", "gmail.com", "gmail.com", "yahoo.com.vn", "outlook.com", "hotmail.com", "icloud.com"}
	mobiles       = []string{"90", "91", "93", "94", "96", "97", "98", "86", "88", "89", "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "32", "33", "34", "35", "36", "37", "38", "39", "56", "58", "59"}
	provinces     = []string{"001", "079", "031", "048", "092", "038", "040", "036", "034", "037", "026", "027", "030", "033", "035", "042", "044", "045", "046", "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "068"}
)

// Agencies are the 30 agencies of the province that officials belong to.
var Agencies = []struct{ Name, Code string }{
	{"Văn phòng UBND tỉnh", "vpubnd"}, {"Sở Nội vụ", "snv"}, {"Sở Tư pháp", "stp"}, {"Sở Kế hoạch và Đầu tư", "skhdt"},
	{"Sở Tài chính", "stc"}, {"Sở Công Thương", "sct"}, {"Sở Nông nghiệp và Phát triển nông thôn", "snnptnt"},
	{"Sở Giao thông vận tải", "sgtvt"}, {"Sở Xây dựng", "sxd"}, {"Sở Tài nguyên và Môi trường", "stnmt"},
	{"Sở Thông tin và Truyền thông", "stttt"}, {"Sở Lao động - Thương binh và Xã hội", "sldtbxh"},
	{"Sở Văn hóa, Thể thao và Du lịch", "svhttdl"}, {"Sở Khoa học và Công nghệ", "skhcn"},
	{"Sở Giáo dục và Đào tạo", "sgddt"}, {"Sở Y tế", "syt"}, {"Thanh tra tỉnh", "ttt"}, {"Ban Dân tộc", "bdt"},
	{"Sở Ngoại vụ", "sngv"}, {"Ban Quản lý các Khu công nghiệp", "bqlkcn"}, {"UBND thành phố", "ubndtp"},
	{"UBND thị xã Phú Mỹ", "ubndtxpm"}, {"UBND huyện Châu Đức", "ubndhcd"}, {"UBND huyện Xuyên Mộc", "ubndhxm"},
	{"UBND huyện Long Điền", "ubndhld"}, {"UBND huyện Đất Đỏ", "ubndhdd"}, {"UBND huyện Côn Đảo", "ubndhcdao"},
	{"Trung tâm Phục vụ hành chính công", "ttpvhcc"}, {"Công an tỉnh", "cat"}, {"Bảo hiểm xã hội tỉnh", "bhxh"},
}

var familyTotal = func() int {
	n := 0
	for _, f := range families {
		n += f.w
	}
	return n
}()

func rng(i int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(i)*0x9E3779B97F4A7C15+stream, 0xD1B54A32D192ED03))
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// ascii is s without diacritics, lower case, for emails and usernames.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == 'đ' {
			b.WriteByte('d')
			continue
		}
		if r < 128 {
			b.WriteRune(r)
			continue
		}
		b.WriteString(strings.ToLower(baseLetter(r)))
	}
	return b.String()
}

// baseLetter maps the Vietnamese vowels with marks to their base letter.
func baseLetter(r rune) string {
	for base, set := range map[string]string{
		"a": "àáảãạăằắẳẵặâầấẩẫậ", "e": "èéẻẽẹêềếểễệ", "i": "ìíỉĩị", "o": "òóỏõọôồốổỗộơờớởỡợ",
		"u": "ùúủũụưừứửữự", "y": "ỳýỷỹỵ",
	} {
		if strings.ContainsRune(set, r) {
			return base
		}
	}
	return string(r)
}

// Official reports whether person i is an official (about 5 %), and of
// which agency (an index into Agencies).
func Official(i int) (bool, int) {
	r := rng(i, 7)
	if r.IntN(100) >= 5 {
		return false, 0
	}
	return true, r.IntN(len(Agencies))
}

// PersonalID is person i's 12-digit personal ID: a province, a digit of
// century and sex, two of the year of birth and six of serial. The last
// eight digits are a bijection of i below 100,000,000, so IDs never repeat.
func PersonalID(i int) string {
	r := rng(i, 1)
	k := (uint64(i)*48271 + 12345) % 100_000_000
	return fmt.Sprintf("%s%d%08d", pick(r, provinces), r.IntN(4), k)
}

// Phone is person i's mobile number in E.164 form, unique below 10,000,000.
func Phone(i int) string {
	r := rng(i, 2)
	k := (uint64(i)*7919 + 4242) % 10_000_000
	return fmt.Sprintf("+84%s%07d", pick(r, mobiles), k)
}

// Person returns person i, with a fresh subject id.
func Person(i int) *identity.Account {
	r := rng(i, 0)
	female := r.IntN(2) == 0
	w := r.IntN(familyTotal)
	family := families[0].name
	for _, f := range families {
		if w < f.w {
			family = f.name
			break
		}
		w -= f.w
	}
	middles, givens, gender := middlesMale, givensMale, identity.GenderMale
	if female {
		middles, givens, gender = middlesFemale, givensFemale, identity.GenderFemale
	}
	middle, given := pick(r, middles), pick(r, givens)
	a := &identity.Account{
		ID:         identity.NewSubject(),
		FullName:   family + " " + middle + " " + given,
		Gender:     gender,
		Birthdate:  fmt.Sprintf("%d-%02d-%02d", 1940+r.IntN(66), 1+r.IntN(12), 1+r.IntN(28)),
		Locale:     "vi",
		PersonalID: identity.PersonalID(PersonalID(i)),
		Phone:      Phone(i),
		CreatedAt:  Base.Add(time.Duration(i) * time.Second),
	}
	a.UpdatedAt = a.CreatedAt
	if r.IntN(10) < 7 {
		a.Email = fmt.Sprintf("%s.%s%d@%s", ascii(given), ascii(family), i, pick(r, mailDomains))
	}
	if off, ag := Official(i); off {
		a.Official = &identity.Official{
			Username: fmt.Sprintf("%s.%s%d", ascii(given), initials(family, middle), i),
			Agency:   Agencies[ag].Name,
			Title:    pick(r, []string{"Chuyên viên", "Chuyên viên chính", "Trưởng phòng", "Phó Trưởng phòng", "Cán bộ một cửa"}),
		}
		a.Email = fmt.Sprintf("%s.%s%d@%s.gov.vn", ascii(given), initials(family, middle), i, Agencies[ag].Code)
	}
	return a
}

func initials(words ...string) string {
	var b strings.Builder
	for _, w := range words {
		b.WriteString(ascii(w)[:1])
	}
	return b.String()
}

// Kinds are the kinds of query Queries makes, in the order reports list them.
var Kinds = []string{"personal_id", "personal_id_prefix", "phone", "phone_intl", "email", "username",
	"name", "name_folded", "name_fragment", "agency", "agency_name", "page_after"}

// Query is one search of an administrator.
type Query struct {
	Kind   string
	Filter store.AccountFilter
	// Want is the index of a person the search must find on its first page,
	// or -1 when it may find many (the page is then only required to be
	// non-empty).
	Want int
}

// Queries returns count queries over the first n people, cycling through
// Kinds, drawn from r.
func Queries(r *rand.Rand, n, count int) []Query {
	out := make([]Query, 0, count)
	for len(out) < count {
		for _, kind := range Kinds {
			if len(out) == count {
				break
			}
			out = append(out, query(r, n, kind))
		}
	}
	return out
}

func query(r *rand.Rand, n int, kind string) Query {
	i := r.IntN(n)
	p := Person(i)
	q := Query{Kind: kind, Want: i}
	switch kind {
	case "personal_id":
		q.Filter.Query = string(p.PersonalID)
	case "personal_id_prefix":
		q.Filter.Query = string(p.PersonalID)[:9]
		q.Want = -1
	case "phone":
		q.Filter.Query = "0" + p.Phone[3:] // 0901234567
	case "phone_intl":
		d := p.Phone[3:]
		q.Filter.Query = "+84 " + d[:2] + " " + d[2:5] + " " + d[5:]
	case "email":
		for p.Email == "" {
			i = r.IntN(n)
			p, q.Want = Person(i), i
		}
		q.Filter.Query = strings.ToUpper(p.Email[:1]) + p.Email[1:]
	case "username", "agency_name":
		for tries := 0; p.Official == nil; tries++ {
			i = r.IntN(n)
			p, q.Want = Person(i), i
			if tries > 1000 {
				q.Filter.Query, q.Want = p.FullName, -1
				return q
			}
		}
		if kind == "username" {
			q.Filter.Query = p.Official.Username
			break
		}
		// An agency admin looks for a colleague by the given name.
		q.Filter.Agency = p.Official.Agency
		q.Filter.Query = lastWord(p.FullName)
		q.Want = -1
	case "name":
		q.Filter.Query = p.FullName
		q.Want = -1 // a common name is held by more than a page of people
	case "name_folded":
		q.Filter.Query = ascii(p.FullName)
		q.Want = -1
	case "name_fragment":
		w := strings.Fields(p.FullName)
		q.Filter.Query = ascii(w[1] + " " + w[2])
		if r.IntN(2) == 0 {
			q.Filter.Query = w[1] + " " + w[2]
		}
		q.Want = -1
	case "agency":
		q.Filter.Agency = Agencies[r.IntN(len(Agencies))].Name
		q.Want = -1
	case "page_after":
		q.Filter.After = store.AccountCursor(p)
		q.Want = -1
	}
	return q
}

func lastWord(s string) string {
	w := strings.Fields(s)
	return w[len(w)-1]
}
