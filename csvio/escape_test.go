package csvio

import "testing"

func TestEscapeRoundTrip(t *testing.T) {
	tests := []struct{ in, out string }{
		{"", ""},
		{"Anne", "Anne"},
		{"+33612345678", "'+33612345678"},
		{"-Anne", "'-Anne"},
		{"=1+1", "'=1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"'=1", "''=1"},
		{"''=1", "'''=1"},
		{"'quoted'", "'quoted'"},
		{"a=b", "a=b"},
		{"'", "'"},
	}
	for _, tt := range tests {
		if got := EscapeCell(tt.in); got != tt.out {
			t.Errorf("EscapeCell(%q) = %q, want %q", tt.in, got, tt.out)
		}
		if got := UnescapeCell(tt.out); got != tt.in {
			t.Errorf("UnescapeCell(%q) = %q, want %q", tt.out, got, tt.in)
		}
	}
}

func FuzzEscapeRoundTrip(f *testing.F) {
	for _, s := range []string{"", "=1+1", "'=", "''-", "plain", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := EscapeCell(s)
		if got := UnescapeCell(e); got != s {
			t.Fatalf("round trip of %q: escaped %q, back %q", s, e, got)
		}
		if e != "" && triggers(e[0]) {
			t.Fatalf("escaped %q still begins with a formula trigger", e)
		}
	})
}
