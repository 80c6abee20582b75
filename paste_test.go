package roster

import (
	"strings"
	"testing"
)

func TestParsePaste(t *testing.T) {
	type want struct {
		line    int
		address string
		problem string
		detail  string // a part of it
	}
	for _, tt := range []struct {
		name     string
		text     string
		validate bool
		want     []want
	}{
		{"one a line", "ada@example.com\r\nBob@Example.COM\n\n", false,
			[]want{{1, "ada@example.com", "", ""}, {2, "bob@example.com", "", ""}}},
		{"commas and semicolons", "a@example.com, b@example.com;c@example.com ;", false,
			[]want{{1, "a@example.com", "", ""}, {1, "b@example.com", "", ""}, {1, "c@example.com", "", ""}}},
		{"names", "Ada Lovelace <ada@example.com>, \"Lovelace, Ada\" <ada2@example.com>; \"Bob \\\"B\\\" Smith\" <bob@example.com>", false,
			[]want{{1, "ada@example.com", "", ""}, {1, "ada2@example.com", "", ""}, {1, "bob@example.com", "", ""}}},
		{"syntax", "nope\nada@\n@example.com\na b@example.com\nada@[127.0.0.1]\nada@-bad.com\nada@example..com", false,
			[]want{{1, "", PasteInvalid, "not an email"}, {2, "", PasteInvalid, ""}, {3, "", PasteInvalid, ""},
				{4, "", PasteInvalid, ""}, {5, "", PasteInvalid, "IP address"}, {6, "", PasteInvalid, "malformed domain"}, {7, "", PasteInvalid, ""}}},
		{"limits", strings.Repeat("a", 65) + "@example.com\n" + "a@" + strings.Repeat("b", 64) + ".com\n" + "a@" + strings.Repeat("b.", 130) + "com", false,
			[]want{{1, "", PasteInvalid, "before the @"}, {2, "", PasteInvalid, "malformed domain"}, {3, "", PasteInvalid, "longer than 254"}}},
		{"duplicates, any case", "ada@example.com\nx@example.com, ADA@example.com\nAda <ada@EXAMPLE.com>", false,
			[]want{{1, "ada@example.com", "", ""}, {2, "x@example.com", "", ""}, {2, "ada@example.com", PasteDuplicate, "line 1"}, {3, "ada@example.com", PasteDuplicate, "line 1"}}},
		{"no dot, validated", "ada@localhost", true, []want{{1, "ada@localhost", PasteInvalid, "no dot"}}},
		{"no dot, not validated", "ada@localhost", false, []want{{1, "ada@localhost", "", ""}}},
		{"typos", "ada@gmial.com\nbob@hotmial.com\ncy@yahooo.com\ndee@gmail.co\neve@outlok.com", true,
			[]want{{1, "ada@gmial.com", PasteTypo, "ada@gmail.com"}, {2, "bob@hotmial.com", PasteTypo, "bob@hotmail.com"},
				{3, "cy@yahooo.com", PasteTypo, "cy@yahoo.com"}, {4, "dee@gmail.co", PasteTypo, "dee@gmail.com"}, {5, "eve@outlok.com", PasteTypo, "eve@outlook.com"}}},
		{"providers and near names are fine", "a@gmail.com\nb@ymail.com\nc@mail.com\nd@hotmail.co.uk\ne@example.com\nf@gmx.de\ng@acme.io", true,
			[]want{{1, "a@gmail.com", "", ""}, {2, "b@ymail.com", "", ""}, {3, "c@mail.com", "", ""}, {4, "d@hotmail.co.uk", "", ""},
				{5, "e@example.com", "", ""}, {6, "f@gmx.de", "", ""}, {7, "g@acme.io", "", ""}}},
		{"disposable", "a@mailinator.com\nb@sub.yopmail.com\nc@10minutemail.com", true,
			[]want{{1, "a@mailinator.com", PasteDisposable, "throwaway"}, {2, "b@sub.yopmail.com", PasteDisposable, ""}, {3, "c@10minutemail.com", PasteDisposable, ""}}},
		{"roles", "info@acme.com\nNoReply@acme.com\nsupport+eu@acme.com\ninformation@acme.com", true,
			[]want{{1, "info@acme.com", PasteRole, "shared mailbox"}, {2, "noreply@acme.com", PasteRole, ""}, {3, "support+eu@acme.com", PasteRole, ""}, {4, "information@acme.com", "", ""}}},
		{"not validated: no typo, no role", "ada@gmial.com\ninfo@acme.com\nx@mailinator.com", false,
			[]want{{1, "ada@gmial.com", "", ""}, {2, "info@acme.com", "", ""}, {3, "x@mailinator.com", "", ""}}},
	} {
		got, err := ParsePaste(tt.text, tt.validate)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d entries %+v, want %d", tt.name, len(got), got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			g := got[i]
			if g.Line != w.line || g.Address != w.address || g.Problem != w.problem || !strings.Contains(g.Detail+" "+g.Suggestion, w.detail) {
				t.Errorf("%s: entry %d = %+v, want line %d %q %q %q", tt.name, i, g, w.line, w.address, w.problem, w.detail)
			}
		}
	}
}

func TestParsePaste_Refused(t *testing.T) {
	for _, tt := range []struct{ name, text, msg string }{
		{"empty", " \n ,; \n", "holds no address"},
		{"too many", strings.Repeat("a@example.com\n", MaxPasteAddresses+1), "more than 100000"},
	} {
		_, err := ParsePaste(tt.text, false)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorFields(err)["addresses"], tt.msg) {
			t.Errorf("%s: %v, want %q on addresses", tt.name, err, tt.msg)
		}
	}
	if got, err := ParsePaste(strings.Repeat("a@example.com\n", MaxPasteAddresses), false); err != nil || len(got) != MaxPasteAddresses {
		t.Errorf("exactly the limit: %d, %v", len(got), err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"gmail.com", "gmail.com", 0}, {"gmial.com", "gmail.com", 1}, {"gmai.com", "gmail.com", 1},
		{"gmaill.com", "gmail.com", 1}, {"gnail.com", "gmail.com", 1}, {"hotmial.cmo", "hotmail.com", 2},
		{"example.com", "gmail.com", 3}, // capped at limit+1
	} {
		if got := editDistance(tt.a, tt.b, 2); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPasteOptions_Check(t *testing.T) {
	for _, tt := range []struct {
		o     PasteOptions
		field string
	}{
		{PasteOptions{Mode: PasteSubscribe, Create: true, Consent: "At the fair, 2025"}, ""},
		{PasteOptions{Mode: PasteUnsubscribe}, ""},
		{PasteOptions{Mode: "both"}, "mode"},
		{PasteOptions{Mode: PasteUnsubscribe, Create: true}, "create"},
		{PasteOptions{Mode: PasteSubscribe, Consent: "two\nlines"}, "consent"},
		{PasteOptions{Mode: PasteSubscribe, Consent: strings.Repeat("x", MaxConsentLen+1)}, "consent"},
	} {
		err := tt.o.Check()
		if tt.field == "" && err != nil || tt.field != "" && ErrorFields(err)[tt.field] == "" {
			t.Errorf("%+v: %v, want an error on %q", tt.o, err, tt.field)
		}
	}
}

func TestPreviewPaste(t *testing.T) {
	text := "sub@example.com\nin@example.com\nnew@example.com\nbad\nsub@example.com\nada@gmial.com\nx@mailinator.com\ninfo@example.com\nout@example.com"
	entries, err := ParsePaste(text, true)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]Subscriber{
		"sub@example.com":  {ID: 1, Email: "sub@example.com"},
		"in@example.com":   {ID: 2, Email: "in@example.com", Newsletter: true},
		"info@example.com": {ID: 3, Email: "info@example.com"},
	}
	counts := func(p *PastePreview) string {
		var b []string
		for _, o := range p.Outcomes {
			b = append(b, o.Key+":"+o.LineRanges())
		}
		return strings.Join(b, " ")
	}
	for _, tt := range []struct {
		opts   PasteOptions
		want   string
		writes int
	}{
		{PasteOptions{Mode: PasteSubscribe, Create: true}, "subscribe:1, 8 create:3, 9 already:2 invalid:4 duplicate:5 typo:6 disposable:7 role:8", 4},
		{PasteOptions{Mode: PasteSubscribe}, "subscribe:1, 8 already:2 not_found:3, 9 invalid:4 duplicate:5 typo:6 disposable:7 role:8", 2},
		{PasteOptions{Mode: PasteUnsubscribe}, "unsubscribe:2 not_subscribed:1, 8 not_found:3, 6–7, 9 invalid:4 duplicate:5 role:8", 1},
	} {
		p := PreviewPaste(entries, tt.opts, found)
		if got := counts(p); got != tt.want || p.Writes != tt.writes || p.Total != 9 {
			t.Errorf("%s: %s, %d writes, want %s, %d", tt.opts.Mode, got, p.Writes, tt.want, tt.writes)
		}
	}
}
