package csvio

import (
	"encoding/json"
	"testing"
	"time"

	"roster"
	"roster/demo"
)

// BenchmarkExportRow formats demo users with every exportable column, the
// export's hot loop (rowFormatter.appendRow), and reports the time per row.
func BenchmarkExportRow(b *testing.B) {
	const n = 1000
	g := demo.New(1, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	users := make([]*roster.User, n)
	for i := range users {
		users[i] = g.User(i + 1)
	}
	reg := exportRegistry()
	rf := newRowFormatter(ExportColumns(reg), reg.Catalog, false)
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range users {
			dst = rf.appendRow(dst[:0], u)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}

// BenchmarkAppendJSON compares the hand-written JSON of a list of
// addresses with json.Marshal, which it must beat to be worth keeping.
func BenchmarkAppendJSON(b *testing.B) {
	in := []roster.Address{
		{Label: "Home", Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		{Line1: "1 rue de Rivoli", City: "Paris", Country: "FR"},
	}
	var dst []byte
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst = appendAddresses(dst[:0], in)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, _ := json.Marshal(in)
			dst = append(dst[:0], out...)
		}
	})
}
