package csvio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"roster"
)

// FuzzDecode feeds bytes through everything the importer calls: NewReader,
// MatchHeader (with and without a mapping), Read and DecodeRow. Nothing may
// panic, row numbers must increase, and every error must be one of the
// documented kinds.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	good := "email;First name;birth_date;tags;points;addresses;shoe_size\r\n" +
		"a@x.io;'-Anne;1990-01-02;vip|gold;42;\"[{\"\"line1\"\":\"\"1 rue\"\"}]\";38.5\r\n" +
		"\r\n;;;;;;\r\n\"b@x.io\";\"Bo\nb\";x;;-1;;\r\n"
	f.Add([]byte(good))
	f.Add([]byte("sep=,\nemail,city\na@x.io,Lyon\n"))
	f.Add([]byte("email,city\ra@x.io,Lyon\r"))
	f.Add([]byte("\xFF\xFE" + string(mustEncodeF(f, good, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder()))))
	f.Add(mustEncodeF(f, "email\tcity\na@x.io\tZürich €\n", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder()))
	f.Add(mustEncodeF(f, "email,city\na@x.io,Orléans ’€’\n", charmap.Windows1252.NewEncoder()))

	reg := testRegistry()
	lim := Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxCellBytes: 256, MaxRecordBytes: 1024}
	f.Fuzz(func(t *testing.T, data []byte) {
		size := int64(len(data))
		if len(data)%2 == 1 {
			size = -1 // both ways of calling
		}
		r, err := NewReader(bytes.NewReader(data), size, lim)
		if err != nil {
			if r != nil {
				t.Fatal("a Reader with an error")
			}
			if roster.ErrorCode(err) != roster.EINVALID {
				t.Fatalf("NewReader error is not EINVALID: %v", err)
			}
			return
		}
		header := r.Header()
		if len(header) == 0 {
			t.Fatal("no header and no error")
		}
		cols, unknown, err := MatchHeader(header, reg, nil)
		if err != nil && roster.ErrorCode(err) != roster.EINVALID {
			t.Fatalf("MatchHeader error is not EINVALID: %v", err)
		}
		if len(cols) != len(header) {
			t.Fatalf("%d columns for %d header cells", len(cols), len(header))
		}
		if len(unknown) > 0 {
			mapping := map[string]string{unknown[0]: "bio", header[0]: ""}
			if _, _, err := MatchHeader(header, reg, mapping); err != nil && roster.ErrorCode(err) != roster.EINVALID {
				t.Fatalf("MatchHeader with mapping: %v", err)
			}
		}
		last := 1
		for {
			rec, row, err := r.Read()
			if err == io.EOF {
				break
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Row != row || row <= last {
					t.Fatalf("row error %v at row %d after row %d", re, row, last)
				}
				last = row
				continue
			}
			if err != nil {
				if roster.ErrorCode(err) != roster.EINVALID {
					t.Fatalf("Read error is neither *RowError nor EINVALID: %v", err)
				}
				if _, _, again := r.Read(); again != err {
					t.Fatalf("Read after %v gave %v", err, again)
				}
				break
			}
			if row <= last {
				t.Fatalf("row %d after row %d", row, last)
			}
			last = row
			if len(rec) != len(header) {
				t.Fatalf("row %d has %d cells for %d header cells", row, len(rec), len(header))
			}
			values, errs := DecodeRow(cols, rec, row)
			for _, e := range errs {
				if e.Row != row {
					t.Fatalf("DecodeRow error %v for row %d", e, row)
				}
			}
			for k := range values {
				if k == "" {
					t.Fatal("a value for the empty key")
				}
			}
		}
		if r.Offset() > int64(len(data)) {
			t.Fatalf("Offset %d past the %d bytes", r.Offset(), len(data))
		}
	})
}

func mustEncodeF(f *testing.F, s string, enc interface {
	Bytes([]byte) ([]byte, error)
}) []byte {
	b, err := enc.Bytes([]byte(s))
	if err != nil {
		f.Fatal(err)
	}
	return b
}
