package csvio

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"

	"roster"
)

// TestExportImportRoundTrip exports users with every exportable column,
// escaped and with a BOM, and reads the file back as an import does
// (NewReader, MatchHeader, Read, DecodeRow): every importable value comes
// back as it was, tags and groups by name, and the read-only columns are
// recognised and skipped.
func TestExportImportRoundTrip(t *testing.T) {
	reg := exportRegistry()
	l, ids := newMemLoader(3)
	var b bytes.Buffer
	if _, err := ExportUsers(context.Background(), &b, l, ids, Export{Columns: ExportColumns(reg), Catalog: reg.Catalog, Options: WriteOptions{BOM: true}}); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	cols, unknown, err := MatchHeader(r.Header(), reg, nil)
	if err != nil || len(unknown) > 0 {
		t.Fatalf("header: unknown %v, %v", unknown, err)
	}
	for i := 0; ; i++ {
		rec, row, err := r.Read()
		if err == io.EOF {
			if i != len(ids) {
				t.Errorf("read %d rows, want %d", i, len(ids))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		values, errs := DecodeRow(cols, rec, row)
		if len(errs) > 0 {
			t.Fatalf("row %d: %v", row, errs[0])
		}
		u := l.users[ids[i]]
		for _, f := range ExportColumns(reg) {
			got, ok := values[f.Key]
			switch {
			case f.ReadOnly && f.Key != "id" && !f.Importable:
				if ok {
					t.Errorf("%s: read-only column imported", f.Key)
				}
			case f.Type == roster.TypeTags:
				if want := []string{"early adopter", "VIP"}; !slices.Equal(got.([]string), want) {
					t.Errorf("tags %v, want %v", got, want)
				}
			case f.Type == roster.TypeGroups:
				if want := []string{"Gold", "Silver"}; !slices.Equal(got.([]string), want) {
					t.Errorf("groups %v, want %v", got, want)
				}
			default:
				if a, b := FormatCell(f, got, reg.Catalog), FormatCell(f, u.Get(f.Key), reg.Catalog); a != b {
					t.Errorf("%s: imported %q, exported %q", f.Key, a, b)
				}
			}
		}
	}
}
