package query

import (
	"math"
	"strings"
	"testing"
	"time"

	"roster"
)

func TestHints(t *testing.T) {
	reg := roster.NewRegistry(nil)
	for _, tc := range []struct {
		q       string
		suggest string // "" when no hint
		all     bool   // the hint says the conditions match everyone with a value
	}{
		{q: "points:>5 points:<10", suggest: "points:5..10", all: true},
		{q: "points:>=5 points:<=10", suggest: "points:5..10", all: true},
		{q: "points:>10 points:<5", suggest: "points:5..10"},
		{q: "points:<5 points:>10", suggest: "points:5..10"},
		{q: "points:>5 points:<5", suggest: "points:5..5"}, // 5 itself matches neither
		{q: "points:>=5 points:<=5", suggest: "points:5..5", all: true},
		{q: "created_at:>2025-03-01 created_at:<2025-04-01", suggest: "created_at:2025-03-01..2025-04-01", all: true},
		{q: "Points:>5 points:<10", suggest: "points:5..10", all: true}, // field names fold
		{q: "points:>5 points:<10 points:3", suggest: "points:5..10", all: true},
		{q: "points:5..10"},
		{q: "points:>5"},
		{q: "points:>5 points:>10"},
		{q: "points:>5 -points:>10"},             // AND NOT: meant
		{q: "points:>5 instagram_followers:<10"}, // two fields: AND
		{q: "city:Paris city:Lyon"},              // OR on text is meant
	} {
		f, err := Parse(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		p, err := Compile(f, reg, time.UTC)
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if tc.suggest == "" {
			if len(p.Hints) != 0 {
				t.Errorf("%s: hints %+v, want none", tc.q, p.Hints)
			}
			continue
		}
		if len(p.Hints) != 1 {
			t.Errorf("%s: hints %+v, want one", tc.q, p.Hints)
			continue
		}
		h := p.Hints[0]
		if h.Suggest != tc.suggest || h.Field != strings.SplitN(tc.suggest, ":", 2)[0] {
			t.Errorf("%s: hint on %s suggests %q, want %q", tc.q, h.Field, h.Suggest, tc.suggest)
		}
		if got := strings.Contains(h.Message, "every user with a value"); got != tc.all {
			t.Errorf("%s: message %q; says everyone: %v, want %v", tc.q, h.Message, got, tc.all)
		}
		if !strings.Contains(h.Message, "OR") || !strings.Contains(h.Message, tc.suggest) {
			t.Errorf("%s: message %q does not explain OR and suggest %s", tc.q, h.Message, tc.suggest)
		}
		// Taking the advice leaves one range and no hint.
		g := h.Apply(f)
		if p, err := Compile(g, reg, time.UTC); err != nil || len(p.Hints) != 0 {
			t.Errorf("%s: after the hint, %q: %v, hints %+v", tc.q, g, err, p)
		}
		if !strings.Contains(g.String(), tc.suggest) {
			t.Errorf("%s: after the hint, %q lacks %s", tc.q, g, tc.suggest)
		}
	}
}

func TestCoversAll(t *testing.T) {
	inf := math.Inf
	for _, tc := range []struct {
		name string
		rs   []Range
		want bool
	}{
		{"nothing", nil, false},
		{"everything", []Range{{Lo: inf(-1), Hi: inf(1)}}, true},
		{"overlap", []Range{{Lo: inf(-1), Hi: 10}, {Lo: 5, Hi: inf(1)}}, true},
		{"touch, both closed", []Range{{Lo: inf(-1), Hi: 5, HiIncl: true}, {Lo: 5, LoIncl: true, Hi: inf(1)}}, true},
		{"touch, one closed", []Range{{Lo: inf(-1), Hi: 5}, {Lo: 5, LoIncl: true, Hi: inf(1)}}, true},
		{"touch, both open", []Range{{Lo: inf(-1), Hi: 5}, {Lo: 5, Hi: inf(1)}}, false},
		{"gap", []Range{{Lo: inf(-1), Hi: 4, HiIncl: true}, {Lo: 5, LoIncl: true, Hi: inf(1)}}, false},
		{"no upper end", []Range{{Lo: inf(-1), Hi: 5, HiIncl: true}}, false},
		{"three pieces", []Range{{Lo: 3, LoIncl: true, Hi: 7, HiIncl: true}, {Lo: 6, Hi: inf(1)}, {Lo: inf(-1), Hi: 3}}, true},
	} {
		if got := coversAll(tc.rs); got != tc.want {
			t.Errorf("%s: coversAll = %v, want %v", tc.name, got, tc.want)
		}
	}
}
