package csvio

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"roster"
)

// bom is the UTF-8 byte order mark: Excel reads a CSV file as UTF-8 only
// when it starts with one.
const bom = "\uFEFF"

// WriteOptions says how a Writer writes.
type WriteOptions struct {
	// BOM starts the output with a UTF-8 byte order mark, for Excel.
	BOM bool
	// NoEscape writes cells as they are. By default a cell that a
	// spreadsheet would run as a formula is escaped (EscapeCell), which
	// import reverses.
	NoEscape bool
}

// Writer writes CSV records with spreadsheet-safe escaping. Output is
// buffered: call Flush at the end and check its error.
type Writer struct {
	bw      *bufio.Writer
	cw      *csv.Writer
	escape  bool
	scratch []string
}

// writeBuffer is the Writer's buffer: big enough that a stream of small
// rows costs few writes to a network connection or a file.
const writeBuffer = 64 << 10

// NewWriter returns a Writer on w; with opts.BOM the byte order mark is the
// first thing written.
func NewWriter(w io.Writer, opts WriteOptions) *Writer {
	bw := bufio.NewWriterSize(w, writeBuffer)
	if opts.BOM {
		// A write error stays in bw and comes back from Flush.
		_, _ = bw.WriteString(bom)
	}
	// csv.NewWriter keeps a *bufio.Writer of this size as it is.
	return &Writer{bw: bw, cw: csv.NewWriter(bw), escape: !opts.NoEscape}
}

// Write writes one record; cells is not modified.
func (w *Writer) Write(cells []string) error {
	if w.escape {
		w.scratch = w.scratch[:0]
		for _, c := range cells {
			w.scratch = append(w.scratch, EscapeCell(c))
		}
		cells = w.scratch
	}
	return w.cw.Write(cells)
}

// Flush writes what is buffered to the underlying writer and returns the
// first error met since the Writer was made.
func (w *Writer) Flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return err
	}
	return w.bw.Flush()
}

// FormatCell is the text of v, a value of field f as User.Get returns it,
// in a CSV cell: roster.FormatText, except that
//   - timestamps keep their nanoseconds (RFC 3339, UTC), so that export
//     then import gives back the same instant;
//   - tags and groups, which Get gives as ids, are their names from cat,
//     separated by "|" (an id cat does not know is left out);
//   - smart_type, for which Get gives nothing, takes the user's group ids
//     (Get("groups")) and is the name of their smart type;
//   - access, for which Get gives nothing, takes the state
//     (roster.AccessRule.Of) as a string.
func FormatCell(f roster.Field, v any, cat *roster.Catalog) string {
	switch f.Type {
	case roster.TypeTimestamp:
		t, _ := v.(time.Time)
		return formatTime(t)
	case roster.TypeTags:
		return joinNames(refIDs(v), func(id int64) (string, bool) {
			t, ok := cat.Tag(id)
			return t.Name, ok
		})
	case roster.TypeGroups:
		return joinNames(refIDs(v), func(id int64) (string, bool) {
			g, ok := cat.Group(id)
			return g.Name, ok
		})
	case roster.TypeSmartType:
		if s, ok := v.(string); ok {
			return s
		}
		g, _ := cat.SmartType(refIDs(v))
		return g.Name
	case roster.TypePassword:
		return ""
	}
	return roster.FormatText(f.Type, v)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// refIDs reads tag or group ids as Get gives them ([]string of decimal
// ids) or as User holds them ([]int64).
func refIDs(v any) []int64 {
	switch x := v.(type) {
	case []int64:
		return x
	case []string:
		out := make([]int64, 0, len(x))
		for _, s := range x {
			if id, err := strconv.ParseInt(s, 10, 64); err == nil {
				out = append(out, id)
			}
		}
		return out
	}
	return nil
}

func joinNames(ids []int64, name func(int64) (string, bool)) string {
	var b strings.Builder
	for _, id := range ids {
		n, ok := name(id)
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(n)
	}
	return b.String()
}

// ExportColumns returns the fields an export writes by default: every
// exportable field in table order, custom fields included.
func ExportColumns(reg *roster.Registry) []roster.Field {
	var out []roster.Field
	for _, f := range reg.Fields {
		if exportable(f) {
			out = append(out, f)
		}
	}
	return out
}

func exportable(f roster.Field) bool {
	return f.Exportable && !f.Retired && f.Type != roster.TypePassword && f.Key != "password_hash"
}

// ParseColumns resolves a list of field keys, as a request names the
// columns it wants, to exportable fields in the order given. An empty list
// is every exportable column. An unknown, repeated or secret key is an
// EINVALID error that names it.
func ParseColumns(reg *roster.Registry, keys []string) ([]roster.Field, error) {
	var out []roster.Field
	seen := map[string]bool{}
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		f, ok := reg.Field(k)
		switch {
		case !ok:
			return nil, roster.Errorf(roster.EINVALID, "columns: unknown field %s", roster.Quote(k))
		case !exportable(f):
			return nil, roster.Errorf(roster.EINVALID, "columns: %s cannot be exported", k)
		case seen[k]:
			return nil, roster.Errorf(roster.EINVALID, "columns: %s is listed twice", k)
		}
		seen[k] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return ExportColumns(reg), nil
	}
	return out, nil
}

// UserEncoder writes users as CSV: a header of field keys when it is made,
// then one row per user, cells as FormatCell gives them.
type UserEncoder struct {
	w   *Writer
	rf  *rowFormatter
	row []string
	n   int
}

// NewUserEncoder returns an encoder of the columns cols on w, with tag and
// group names from cat, and writes the header.
func NewUserEncoder(w io.Writer, cols []roster.Field, cat *roster.Catalog, opts WriteOptions) (*UserEncoder, error) {
	e := &UserEncoder{
		// The formatter escapes, so that numbers can stay as they are.
		w:  NewWriter(w, WriteOptions{BOM: opts.BOM, NoEscape: true}),
		rf: newRowFormatter(cols, cat, opts.NoEscape),
	}
	if err := e.w.Write(e.rf.header()); err != nil {
		return nil, err
	}
	return e, nil
}

// Encode writes the row of u.
func (e *UserEncoder) Encode(u *roster.User) error {
	e.row = e.rf.row(e.row, u)
	if err := e.w.Write(e.row); err != nil {
		return err
	}
	e.n++
	return nil
}

// Count returns how many users were encoded.
func (e *UserEncoder) Count() int { return e.n }

// Close flushes what is buffered and returns the first error met.
func (e *UserEncoder) Close() error { return e.w.Flush() }
