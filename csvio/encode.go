package csvio

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
		bw.WriteString(bom)
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
//     (Get("groups")) and is the name of their smart type.
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
			return nil, roster.Errorf(roster.EINVALID, "columns: unknown field %q", k)
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

// rowFormatter turns users into CSV rows. It resolves tag and group names
// from maps built once, not by a search of the catalog per cell, and
// escapes cells itself: numbers are never escaped (a negative number is no
// formula), everything else is unless raw.
type rowFormatter struct {
	cols    []roster.Field
	cat     *roster.Catalog
	tags    map[int64]string
	groups  map[int64]string
	raw     bool
	scratch []byte
}

func newRowFormatter(cols []roster.Field, cat *roster.Catalog, raw bool) *rowFormatter {
	rf := &rowFormatter{cols: cols, cat: cat, raw: raw, tags: map[int64]string{}, groups: map[int64]string{}}
	if cat != nil {
		for _, t := range cat.Tags {
			rf.tags[t.ID] = t.Name
		}
		for _, g := range cat.Groups {
			rf.groups[g.ID] = g.Name
		}
	}
	return rf
}

// header is the row of field keys.
func (rf *rowFormatter) header() []string {
	out := make([]string, len(rf.cols))
	for i, f := range rf.cols {
		out[i] = f.Key
	}
	return out
}

// escapes reports whether cells of f are escaped.
func (rf *rowFormatter) escapes(f roster.Field) bool {
	return !rf.raw && f.Type != roster.TypeInteger && f.Type != roster.TypeNumber
}

// row appends the cells of u to dst[:0], escaped: for a Writer that does
// not escape.
func (rf *rowFormatter) row(dst []string, u *roster.User) []string {
	dst = dst[:0]
	for _, f := range rf.cols {
		c := string(rf.cell(rf.scratch[:0], f, u))
		if rf.escapes(f) {
			c = EscapeCell(c)
		}
		dst = append(dst, c)
	}
	return dst
}

// appendRow appends the CSV record of u to dst, as a Writer writes the
// cells row gives, without making a string per cell.
func (rf *rowFormatter) appendRow(dst []byte, u *roster.User) []byte {
	for i, f := range rf.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		rf.scratch = rf.cell(rf.scratch[:0], f, u)
		dst = appendField(dst, rf.escapes(f) && needsEscape(string(rf.scratch)), rf.scratch)
	}
	return append(dst, '\n')
}

// appendField appends c as a CSV field, preceded by a ' when esc, and
// quoted when encoding/csv would quote it: a comma, quote, CR or LF in it,
// a leading space, or \. alone.
func appendField(dst []byte, esc bool, c []byte) []byte {
	quote := false
	for _, b := range c {
		if b == ',' || b == '"' || b == '\r' || b == '\n' {
			quote = true
			break
		}
	}
	if !quote && !esc && len(c) > 0 {
		switch {
		case string(c) == `\.`:
			quote = true
		case c[0] < utf8.RuneSelf:
			quote = c[0] == ' ' || c[0] == '\t' || c[0] == '\v' || c[0] == '\f'
		default:
			r, _ := utf8.DecodeRune(c)
			quote = unicode.IsSpace(r)
		}
	}
	if quote {
		dst = append(dst, '"')
	}
	if esc {
		dst = append(dst, '\'')
	}
	if !quote {
		return append(dst, c...)
	}
	for _, b := range c {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// cell appends the text of u's value of f to dst: FormatCell, with the
// built-in fields read straight from the struct, because User.Get boxes
// every value in an interface, an allocation per cell over a million rows.
func (rf *rowFormatter) cell(dst []byte, f roster.Field, u *roster.User) []byte {
	if !f.Builtin {
		return append(dst, FormatCell(f, u.Custom[f.Key], rf.cat)...)
	}
	switch f.Key {
	case "id":
		return append(dst, u.PublicID...)
	case "client_id":
		return append(dst, u.ClientID...)
	case "app_id":
		return append(dst, u.AppID...)
	case "stripe_id":
		return append(dst, u.StripeID...)
	case "email":
		return append(dst, u.Email...)
	case "email_confirmed":
		return strconv.AppendBool(dst, u.EmailConfirmed)
	case "first_name":
		return append(dst, u.FirstName...)
	case "last_name":
		return append(dst, u.LastName...)
	case "mobile_phone":
		return append(dst, u.MobilePhone...)
	case "home_phone":
		return append(dst, u.HomePhone...)
	case "bio":
		return append(dst, u.Bio...)
	case "birth_date":
		if u.BirthDate.IsZero() {
			return dst
		}
		return u.BirthDate.In(time.UTC).AppendFormat(dst, time.DateOnly)
	case "city":
		return append(dst, u.City...)
	case "country":
		return append(dst, u.Country...)
	case "profile_image_url":
		return append(dst, u.ProfileImageURL...)
	case "cover_image_url":
		return append(dst, u.CoverImageURL...)
	case "store_location":
		return append(dst, u.StoreLocation...)
	case "teams":
		return appendSet(dst, u.Teams)
	case "roles":
		return appendSet(dst, u.Roles)
	case "badges":
		return appendSet(dst, u.Badges)
	case "missions":
		return appendSet(dst, u.Missions)
	case "created_at":
		return appendTime(dst, u.CreatedAt)
	case "updated_at":
		return appendTime(dst, u.UpdatedAt)
	case "last_interaction":
		return appendTime(dst, u.LastInteraction)
	case "last_visit":
		return appendTime(dst, u.LastVisit)
	case "last_login":
		return appendTime(dst, u.LastLogin)
	case "newsletter_at":
		return appendTime(dst, u.NewsletterAt)
	case "points":
		return strconv.AppendInt(dst, u.Points, 10)
	case "instagram_followers":
		return strconv.AppendInt(dst, u.InstagramFollowers, 10)
	case "tiktok_followers":
		return strconv.AppendInt(dst, u.TikTokFollowers, 10)
	case "youtube_followers":
		return strconv.AppendInt(dst, u.YouTubeFollowers, 10)
	case "total_followers":
		return strconv.AppendInt(dst, u.TotalFollowers(), 10)
	case "status":
		return append(dst, u.Status...)
	case "newsletter":
		return strconv.AppendBool(dst, u.Newsletter)
	case "tags":
		return appendNames(dst, u.Tags, rf.tags)
	case "groups":
		return appendNames(dst, u.Groups, rf.groups)
	case "smart_type":
		g, _ := rf.cat.SmartType(u.Groups)
		return append(dst, g.Name...)
	}
	return append(dst, FormatCell(f, u.Get(f.Key), rf.cat)...)
}

func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

func appendSet(dst []byte, set []string) []byte {
	for i, s := range set {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = append(dst, s...)
	}
	return dst
}

func appendNames(dst []byte, ids []int64, names map[int64]string) []byte {
	first := true
	for _, id := range ids {
		n, ok := names[id]
		if !ok {
			continue
		}
		if !first {
			dst = append(dst, '|')
		}
		first = false
		dst = append(dst, n...)
	}
	return dst
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
