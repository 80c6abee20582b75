package sqldb

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"roster"
)

// The hand-written scanners must give what encoding/json gives, for what
// Roster writes and for anything else.

var listInputs = []string{
	`[]`, `[ ]`, `[{}]`,
	`[{"label":"Home","line1":"1 Main St","city":"Paris","country":"FR"}]`,
	`[{"line1": "1 Main St", "postal_code": "75001"}, {"line1": "2 rue X", "label": "Work"}]`,
	`[{"line1":"say \"hi\"","city":"Lyon"}]`,
	`[{"line1":"caf\u00e9"}]`,
	`[{"Line1":"case"}]`,
	`[{"line1":"x","extra":"ignored"}]`,
	`[{"line1":null}]`,
	`[{"line1":"x"},]`,
	`[{"line1":"x"}`,
	`{"line1":"x"}`,
	`[{"network":"x","url":"https://x.com/a"}]`,
	`[{"platform":"ios","token":"abc"},{"platform":"web","token":"def"}]`,
	`[{"url": "https://x.com/a", "network": "x"}]`,
	` [ { "token" : "t" } ] `,
	`[{"line1":"tab	inside"}]`,
	`[{"line1":"x"}] trailing`,
	`[1]`, `null`, `[{"line1":"x"},{"line1":"y"}]`,
}

func TestListScanners(t *testing.T) {
	for _, in := range listInputs {
		var addrs, wantAddrs []roster.Address
		errA := addressesScan{&addrs}.Scan(in)
		errWA := jsonScan{&wantAddrs}.Scan(in)
		if (errA != nil) != (errWA != nil) || !reflect.DeepEqual(addrs, wantAddrs) {
			t.Errorf("addresses %s: got %+v (%v), encoding/json %+v (%v)", in, addrs, errA, wantAddrs, errWA)
		}
		var links, wantLinks []roster.SocialLink
		errL := linksScan{&links}.Scan([]byte(in))
		errWL := jsonScan{&wantLinks}.Scan([]byte(in))
		if (errL != nil) != (errWL != nil) || !reflect.DeepEqual(links, wantLinks) {
			t.Errorf("links %s: got %+v (%v), encoding/json %+v (%v)", in, links, errL, wantLinks, errWL)
		}
		var toks, wantToks []roster.PushToken
		errT := tokensScan{&toks}.Scan(in)
		errWT := jsonScan{&wantToks}.Scan(in)
		if (errT != nil) != (errWT != nil) || !reflect.DeepEqual(toks, wantToks) {
			t.Errorf("tokens %s: got %+v (%v), encoding/json %+v (%v)", in, toks, errT, wantToks, errWT)
		}
	}
	var addrs []roster.Address
	if err := (addressesScan{&addrs}).Scan(nil); err != nil || addrs != nil {
		t.Errorf("NULL: %v %v", addrs, err)
	}
}

func FuzzAddressesScan(f *testing.F) {
	for _, in := range listInputs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got, want []roster.Address
		err := addressesScan{&got}.Scan(in)
		werr := jsonScan{&want}.Scan(in)
		if (err != nil) != (werr != nil) || (werr == nil && !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: got %+v (%v), encoding/json %+v (%v)", in, got, err, want, werr)
		}
	})
}

// decodeCustomSlow is how custom values were decoded before decodeCustom:
// encoding/json, then each field's DecodeJSON.
func decodeCustomSlow(b string, reg *roster.Registry) (map[string]any, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(b), &raw); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		f, ok := reg.Field(k)
		if !ok {
			if f, ok = reg.Retired(k); !ok {
				continue
			}
		}
		if val, err := f.DecodeJSON(v); err == nil && val != nil {
			out[k] = val
		}
	}
	return out, nil
}

var customInputs = []string{
	`{}`,
	`{"tier":"gold"}`,
	`{"tier": "gold", "score": -3.5, "tags2": ["a", "b"], "ok": true, "joined": "2024-05-06", "old": "kept"}`,
	`{"tier":"go\"ld","score":1e3}`,
	`{"tier":"","nope":"dropped","score":"not a number"}`,
	`{"note":"multi\nline","site":"https://example.com/?a=1&b=2"}`,
	`{"tags2":[],"score":null}`,
	`{"t\u0069er":"escaped key"}`,
	`{"tier":"gold",}`,
	`{"tier":"gold"`,
	`{"tier":{"nested":[1,2,{"x":"}"}]}}`,
	`[]`,
	`{"score":12,"ok":false}`,
}

func customRegistry() *roster.Registry {
	return roster.NewRegistry([]roster.Field{
		{Key: "tier", Type: roster.TypeChoice, Choices: []string{"gold"}},
		{Key: "score", Type: roster.TypeNumber},
		{Key: "tags2", Type: roster.TypeMultiChoice},
		{Key: "ok", Type: roster.TypeBoolean},
		{Key: "joined", Type: roster.TypeDate},
		{Key: "note", Type: roster.TypeLongText},
		{Key: "site", Type: roster.TypeURL},
		{Key: "old", Type: roster.TypeText, Retired: true},
	})
}

func TestDecodeCustom(t *testing.T) {
	reg := customRegistry()
	for _, in := range customInputs {
		got, err := decodeCustom(in, reg)
		want, werr := decodeCustomSlow(in, reg)
		if (err != nil) != (werr != nil) || (werr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: got %#v (%v), want %#v (%v)", in, got, err, want, werr)
		}
	}
}

func FuzzDecodeCustom(f *testing.F) {
	for _, in := range customInputs {
		f.Add(in)
	}
	reg := customRegistry()
	f.Fuzz(func(t *testing.T, in string) {
		got, err := decodeCustom(in, reg)
		want, werr := decodeCustomSlow(in, reg)
		if (err != nil) != (werr != nil) || (werr == nil && !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: got %#v (%v), want %#v (%v)", in, got, err, want, werr)
		}
	})
}

func TestParseSQLiteTime(t *testing.T) {
	for _, in := range []string{
		"2025-03-01T12:34:56.789Z", "1999-12-31T23:59:59.000Z", "2024-02-29T00:00:00.001Z",
		"2025-02-30T00:00:00.000Z", "2025-13-01T00:00:00.000Z", "2025-03-01T24:00:00.000Z",
		"2025-03-01T12:34:56Z", "2025-03-01T12:34:56.789+01:00", "2025-03-01 12:34:56.789Z", "2025-03-0aT12:34:56.789Z",
	} {
		var got, want time.Time
		err := timeScan{&got}.Scan(in)
		w, werr := time.Parse(time.RFC3339Nano, in)
		want = w.UTC()
		if (err != nil) != (werr != nil) || (werr == nil && !got.Equal(want)) || got.Location() != time.UTC {
			t.Errorf("%s: got %v (%v), time.Parse %v (%v)", in, got, err, want, werr)
		}
	}
}

func TestBoolScan(t *testing.T) {
	for _, tc := range []struct {
		src  any
		want bool
		err  bool
	}{{int64(1), true, false}, {int64(0), false, false}, {true, true, false}, {int64(2), false, true}, {"1", true, false}, {"x", false, true}} {
		var b bool
		err := boolScan{&b}.Scan(tc.src)
		if b != tc.want || (err != nil) != tc.err {
			t.Errorf("%#v: %v, %v", tc.src, b, err)
		}
	}
}

// BenchmarkListScan compares the hand-written scanner of a JSON list of
// addresses with encoding/json, which it must beat to be worth keeping.
func BenchmarkListScan(b *testing.B) {
	in := `[{"label":"Home","line1":"12 St James's Square","city":"London","postal_code":"SW1Y 4JH","country":"GB"},{"line1":"1 rue de Rivoli","city":"Paris","country":"FR"}]`
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v []roster.Address
			if err := (addressesScan{&v}).Scan(in); err != nil || len(v) != 2 {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v []roster.Address
			if err := (jsonScan{&v}).Scan(in); err != nil || len(v) != 2 {
				b.Fatal(v, err)
			}
		}
	})
}
