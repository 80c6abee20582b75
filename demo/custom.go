package demo

import (
	"strconv"

	"roster"
)

// Custom returns plausible values for the operator's custom fields for the
// i-th user, so that demo data exercises them too: about two users in three
// get a value for each field. The same seed, i and fields give the same
// values.
func (g *Generator) Custom(i int, fields []roster.Field) map[string]any {
	if len(fields) == 0 {
		return nil
	}
	var r rng
	r.p.Seed(mix64(g.seed^mix64(uint64(i)^0xc0ffee)), mix64(uint64(i)+0x94d049bb133111eb))
	out := map[string]any{}
	for _, f := range fields {
		if f.Builtin || f.Retired || (!f.Required && r.intn(3) == 0) {
			continue
		}
		switch f.Type {
		case roster.TypeText:
			out[f.Key] = customWords[r.intn(len(customWords))]
		case roster.TypeLongText:
			out[f.Key] = customWords[r.intn(len(customWords))] + " and " + customWords[r.intn(len(customWords))]
		case roster.TypeNumber:
			out[f.Key] = float64(r.intn(1000)) / 10
		case roster.TypeDate:
			out[f.Key] = roster.DateOf(unix(r.between(g.startSec, g.nowSec)))
		case roster.TypeBoolean:
			out[f.Key] = r.intn(2) == 0
		case roster.TypeChoice:
			if len(f.Choices) > 0 {
				out[f.Key] = f.Choices[r.skew(len(f.Choices))]
			}
		case roster.TypeMultiChoice:
			if len(f.Choices) == 0 {
				continue
			}
			var set []string
			for range 1 + r.intn(3) {
				if c := f.Choices[r.intn(len(f.Choices))]; !contains(set, c) {
					set = append(set, c)
				}
			}
			out[f.Key] = set
		case roster.TypeURL:
			out[f.Key] = "https://example.com/u/" + strconv.Itoa(i)
		case roster.TypeEmail:
			out[f.Key] = "user" + strconv.Itoa(i) + "@work.example.com"
		case roster.TypePhone:
			out[f.Key] = "+1 555 " + strconv.Itoa(1000000+r.intn(9000000))
		}
	}
	return out
}

var customWords = []string{"blue", "green", "early bird", "night owl", "weekend", "runner", "reader", "gamer", "chef", "traveller"}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
