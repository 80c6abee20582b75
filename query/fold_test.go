package query

import (
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Zoé LEFÈVRE", "zoe lefevre"},
		{"Łukasz Wójcik", "lukasz wojcik"},
		{"Çağla Yılmaz", "cagla yilmaz"},
		{"Jürgen Müller", "jurgen muller"},
		{"ΣΩΚΡΆΤΗΣ", "σωκρατησ"},
		{"Дмитрий ПЕТРОВ", "дмитрии петров"},
		{"山田 太郎", "山田 太郎"},
		{"plain ascii 123", "plain ascii 123"},
		{"Nguyễn Thị Ánh", "nguyen thi anh"},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := FoldPhone("+33 (6) 12-34.56 78"); got != "+33612345678" {
		t.Errorf("FoldPhone = %q", got)
	}
}

// TestFoldTable checks the table against Unicode: every entry is the
// lower-case letter without its combining marks, folding is idempotent, and
// no letter of the covered blocks that should fold is missing.
func TestFoldTable(t *testing.T) {
	manual := map[rune]rune{'ø': 'o', 'Ø': 'o', 'đ': 'd', 'Đ': 'd', 'ł': 'l', 'Ł': 'l', 'ħ': 'h', 'Ħ': 'h', 'ı': 'i', 'ς': 'σ'}
	want := func(r rune) rune {
		if m, ok := manual[r]; ok {
			return m
		}
		l := unicode.ToLower(r)
		d := []rune(norm.NFD.String(string(l)))
		if len(d) == 1 {
			return l
		}
		for _, x := range d[1:] {
			if !unicode.Is(unicode.Mn, x) {
				return l
			}
		}
		if m, ok := manual[d[0]]; ok {
			return m
		}
		return d[0]
	}
	if len([]rune(FoldFrom)) != len([]rune(FoldTo)) {
		t.Fatal("FoldFrom and FoldTo differ in length")
	}
	for _, rg := range [][2]rune{{0x41, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x1E00, 0x1EFF}} {
		for r := rg[0]; r <= rg[1]; r++ {
			if !unicode.IsLetter(r) {
				continue
			}
			got := []rune(Fold(string(r)))[0]
			if w := want(r); got != w {
				t.Errorf("Fold(%q) = %q, want %q", r, got, w)
			}
			if again := []rune(Fold(string(got)))[0]; again != got {
				t.Errorf("Fold is not idempotent on %q: %q then %q", r, got, again)
			}
		}
	}
}
