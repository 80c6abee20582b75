package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"roster"
)

// Default limits: what a zero field of Limits means.
const (
	DefaultMaxBytes       = 1 << 30
	DefaultMaxRows        = 5_000_000
	DefaultMaxCellBytes   = 1 << 20
	DefaultMaxRecordBytes = 16 << 20
)

// Limits bound what one import may read. Zero values mean the defaults.
type Limits struct {
	MaxBytes     int64 // whole file; default 1 GiB
	MaxRows      int   // data rows; default 5,000,000
	MaxCellBytes int   // one cell; default 1 MiB (a longer cell is a row error, not a crash)
	// MaxRecordBytes bounds one record: a physical line, or several when a
	// quoted cell holds line breaks. Past it the reader gives up with a clear
	// error instead of buffering a runaway quote. Default 16 MiB. It is
	// checked on the reader's 64 KiB buffer, so a record may pass it by that
	// much before it is stopped.
	MaxRecordBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxCellBytes <= 0 {
		l.MaxCellBytes = DefaultMaxCellBytes
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	return l
}

// Encoding names, as Reader.Encoding returns them.
const (
	EncodingUTF8        = "UTF-8"
	EncodingUTF8BOM     = "UTF-8 with BOM"
	EncodingUTF16LE     = "UTF-16LE"
	EncodingUTF16BE     = "UTF-16BE"
	EncodingWindows1252 = "Windows-1252"
)

// bufSize is both how much of the file is sniffed and the size of the
// buffers the CSV parser reads from.
const bufSize = 64 << 10

// maxHeaderCell bounds one column name: a longer one means the first row is
// not a header, and it would make every message that quotes it unreadable.
const maxHeaderCell = 1024

// Reader reads an uploaded CSV file: it sniffs the encoding and the
// delimiter, reads the header, then returns one record per Read with its row
// number as a spreadsheet shows it.
//
// The input flows through: a size counter (MaxBytes, Offset), a buffer to
// sniff from, the decoder of the sniffed encoding, a record guard
// (MaxRecordBytes), and encoding/csv.
type Reader struct {
	lim      Limits
	size     *sizeReader
	guard    *recordGuard
	text     *bufio.Reader // what encoding/csv reads (it reuses this buffer)
	csv      *csv.Reader
	header   []string
	encoding string
	delim    rune
	decoded  bool // the text went through a decoder, which turns bad bytes into U+FFFD
	lineBase int  // lines before the parser's line 1 (an Excel "sep=" line)

	lastRow  int // spreadsheet row of the previous record
	lastLine int // parser line on which the previous record ended
	rows     int // data rows read, bad ones included
	fatal    error
}

// NewReader sniffs the encoding (UTF-8 with or without BOM, UTF-16 with a BOM
// or recognised by its NUL bytes, otherwise Windows-1252) and the delimiter
// (',', ';' or tab, the most frequent outside quotes on the header line, or
// the one an Excel "sep=" first line names), and reads the header. size is
// the file size if known, or -1: a size over lim.MaxBytes is refused before
// anything is read.
//
// Errors about the file are *roster.Error with code EINVALID and a message
// for the person who uploaded it. An error reading r is returned wrapped.
func NewReader(r io.Reader, size int64, lim Limits) (*Reader, error) {
	lim = lim.withDefaults()
	if size > lim.MaxBytes {
		return nil, invalidf("the file is %s; the limit is %s", formatSize(size), formatSize(lim.MaxBytes))
	}
	rd := &Reader{lim: lim, size: &sizeReader{r: r, max: lim.MaxBytes}}

	raw := bufio.NewReaderSize(rd.size, bufSize)
	sample, err := raw.Peek(bufSize)
	if err := rd.stopErr(err); err != nil {
		return nil, err
	}
	enc, bom, err := sniffEncoding(sample, len(sample) < bufSize)
	if err != nil {
		return nil, err
	}
	rd.encoding = enc
	if _, err := raw.Discard(bom); err != nil {
		return nil, fmt.Errorf("csvio: %w", err)
	}

	var text io.Reader = raw
	switch enc {
	case EncodingUTF16LE:
		text = transform.NewReader(raw, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())
		rd.decoded = true
	case EncodingUTF16BE:
		text = transform.NewReader(raw, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder())
		rd.decoded = true
	case EncodingWindows1252:
		text = transform.NewReader(raw, charmap.Windows1252.NewDecoder())
		rd.decoded = true
	}
	// Classic Mac files end lines with a lone CR, which encoding/csv does
	// not see as a line end. The byte test holds in every encoding we read:
	// at worst a UTF-16 character with a 0x0A byte hides the case.
	if bytes.IndexByte(sample, '\n') < 0 && bytes.IndexByte(sample, '\r') >= 0 {
		text = crReader{text}
	}
	// What the guard has delivered runs ahead of the parser by at most the
	// parser's buffer.
	rd.guard = &recordGuard{r: text, max: int64(lim.MaxRecordBytes) + bufSize}
	rd.text = bufio.NewReaderSize(rd.guard, bufSize)

	peek, err := rd.text.Peek(bufSize)
	if err := rd.stopErr(err); err != nil {
		return nil, err
	}
	delim, sepLen := sniffSepLine(peek)
	if sepLen > 0 {
		_, _ = rd.text.Discard(sepLen) // cannot fail: the bytes are buffered
		rd.lineBase = 1
		rd.guard.base = int64(sepLen)
	} else {
		delim = sniffDelimiter(peek)
	}
	rd.delim = delim

	rd.csv = csv.NewReader(rd.text) // the buffer is big enough that csv keeps it
	rd.csv.Comma = delim
	rd.csv.FieldsPerRecord = -1
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// readHeader reads the first record as the header.
func (r *Reader) readHeader() error {
	rec, row, err := r.next()
	if err == io.EOF {
		return invalidf("the file is empty")
	} else if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			return invalidf("the header row (row %d) cannot be read: %s", re.Row, re.Message)
		}
		return err
	}
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a second BOM, or one inside UTF-16 text
	}
	blank := true
	for i, c := range rec {
		if len(c) > maxHeaderCell {
			return invalidf("the name of column %d in the header row is longer than %d characters: the first row must hold the column names", i+1, maxHeaderCell)
		}
		if msg := r.checkCell(c); msg != "" {
			return invalidf("the header row (row %d), column %d: %s", row, i+1, msg)
		}
		rec[i] = strings.TrimSpace(c)
		if rec[i] != "" {
			blank = false
		}
	}
	if blank {
		return invalidf("the first row must hold the column names, but it is empty")
	}
	r.header = rec
	return nil
}

// Header returns the header cells, BOM stripped and trimmed.
func (r *Reader) Header() []string {
	return append([]string(nil), r.header...)
}

// Encoding returns the sniffed encoding: "UTF-8", "UTF-8 with BOM",
// "UTF-16LE", "UTF-16BE" or "Windows-1252".
func (r *Reader) Encoding() string { return r.encoding }

// Delimiter returns the sniffed delimiter.
func (r *Reader) Delimiter() rune { return r.delim }

// Offset returns how many bytes of the original input have been read, for
// progress bars. It runs ahead of the last record by the read-ahead buffers
// (at most about 200 KiB) and equals the file size at the end.
func (r *Reader) Offset() int64 { return r.size.n }

// Read returns the next data record and its row number as a spreadsheet
// shows it: the header is row 1 (later if blank lines precede it), a record
// whose quoted cells hold line breaks is one row, and blank lines count.
// Records whose cells are all blank are skipped.
//
// At the end Read returns io.EOF; if the file had no data row at all, it
// returns an EINVALID error instead.
//
// A malformed row (more or fewer cells than the header, a misplaced quote,
// a NUL character, text that is not valid in the file's encoding, a cell over
// MaxCellBytes) is a *RowError for that row, and the next Read continues with
// the next row. When the row could be split into cells, rec holds them, for
// an error report. A problem that stops the import (the file over MaxBytes,
// more than MaxRows rows, a record over MaxRecordBytes, a quote left open
// to the end of the file) is a *roster.Error, which every later Read
// returns again. An error reading the input is returned wrapped, also for
// good.
func (r *Reader) Read() (rec []string, row int, err error) {
	for {
		rec, row, err = r.next()
		if err == io.EOF && r.rows == 0 {
			r.fatal = invalidf("the file has a header but no rows")
			return nil, 0, r.fatal
		}
		var re *RowError
		if err != nil && !errors.As(err, &re) {
			return nil, 0, err
		}
		if err == nil && isBlank(rec) {
			continue
		}
		r.rows++
		if r.rows > r.lim.MaxRows {
			r.fatal = invalidf("the file has more than %s rows, the most one import can take; split it into several files", thousands(r.lim.MaxRows))
			return nil, 0, r.fatal
		}
		if err != nil {
			return nil, row, err
		}
		if err := r.checkRecord(rec, row); err != nil {
			return rec, row, err
		}
		if len(rec) > len(r.header) {
			rec = rec[:len(r.header)] // checkRecord allows extra cells only when blank
		}
		return rec, row, nil
	}
}

// next reads one record with encoding/csv and numbers its row. Parse errors
// that spoil one row come back as *RowError; everything else but io.EOF is
// fatal and sticky.
func (r *Reader) next() ([]string, int, error) {
	if r.fatal != nil {
		return nil, 0, r.fatal
	}
	rec, err := r.csv.Read()
	r.guard.mark(r.csv.InputOffset())
	var start, end int
	switch {
	case err == nil && len(rec) > 0:
		start, _ = r.csv.FieldPos(0)
		last := len(rec) - 1
		end, _ = r.csv.FieldPos(last)
		// A quoted cell with line breaks ends below where it starts; the
		// parser turned each CRLF inside it into LF.
		end += strings.Count(rec[last], "\n")
	case err == nil:
		return nil, 0, r.setFatal(errors.New("csvio: empty record")) // encoding/csv never does this
	case err == io.EOF:
		if ferr := r.stopErr(nil); ferr != nil {
			return nil, 0, r.setFatal(ferr)
		}
		return nil, 0, io.EOF
	default:
		if ferr := r.stopErr(err); ferr != nil {
			return nil, 0, r.setFatal(ferr)
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, 0, r.setFatal(fmt.Errorf("csvio: read: %w", err))
		}
		// A quote opened on one line and still open at the end of the
		// file swallowed every row after it: nothing after can be trusted.
		if errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine && r.atEOF() {
			return nil, 0, r.setFatal(invalidf("line %d: a quoted field is not closed: the quote runs to the end of the file", pe.StartLine+r.lineBase))
		}
		start, end = pe.StartLine, pe.Line
		rec, err = nil, parseMessage(pe)
	}
	row := r.lastRow + start - r.lastLine
	r.lastRow, r.lastLine = row, end
	if err != nil {
		return nil, row, &RowError{Row: row, Message: err.Error()}
	}
	return rec, row, nil
}

func (r *Reader) setFatal(err error) error {
	r.fatal = err
	return err
}

// atEOF reports whether the parser has consumed the whole input.
func (r *Reader) atEOF() bool { return r.guard.eof && r.text.Buffered() == 0 }

// stopErr turns the limits the input readers enforce into their messages,
// and any other read error but io.EOF into an internal error. It returns nil
// when err is nil or io.EOF and no limit tripped.
func (r *Reader) stopErr(err error) error {
	switch {
	case r.size.tooBig:
		return invalidf("the file is larger than the limit of %s", formatSize(r.lim.MaxBytes))
	case r.guard != nil && r.guard.tooLong:
		return invalidf("line %d: a row is longer than the limit of %s; check that every quoted cell has its closing quote",
			r.lastLine+1+r.lineBase, formatSize(int64(r.lim.MaxRecordBytes)))
	case err == nil || err == io.EOF:
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil
	}
	return fmt.Errorf("csvio: read: %w", err)
}

// parseMessage says what is wrong with a row encoding/csv could not parse.
func parseMessage(pe *csv.ParseError) error {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return errors.New(`a cell that does not start with a double quote (") contains one; a cell with quotes must be written "like ""this"""`)
	case errors.Is(pe.Err, csv.ErrQuote):
		return errors.New(`a quoted cell is not closed properly: its closing double quote (") must be followed by a delimiter or the end of the line`)
	}
	return errors.New("the row cannot be read as CSV")
}

// checkRecord checks the cells of a parsed record.
func (r *Reader) checkRecord(rec []string, row int) error {
	if n, want := len(rec), len(r.header); n < want || n > want && !isBlank(rec[want:]) {
		msg := fmt.Sprintf("the row has %d cells but the header has %d", n, want)
		if n > want {
			msg += fmt.Sprintf("; a value that contains %s must be put in double quotes", delimName(r.delim))
		}
		return &RowError{Row: row, Message: msg}
	}
	for i, c := range rec {
		if msg := r.checkCell(c); msg != "" {
			re := &RowError{Row: row, Message: msg}
			if i < len(r.header) && r.header[i] != "" {
				re.Column = r.header[i]
			} else {
				re.Message = fmt.Sprintf("column %d: %s", i+1, msg)
			}
			return re
		}
	}
	return nil
}

// checkCell returns what is wrong with one cell, or "".
func (r *Reader) checkCell(c string) string {
	if len(c) > r.lim.MaxCellBytes {
		return fmt.Sprintf("the cell holds %s; the limit is %s", formatSize(int64(len(c))), formatSize(int64(r.lim.MaxCellBytes)))
	}
	if strings.IndexByte(c, 0) >= 0 {
		return "the cell contains a NUL character: the file may be damaged"
	}
	if r.decoded {
		// The decoders turn bytes that mean nothing in their encoding into
		// U+FFFD.
		if hasReplacement(c) {
			return "the cell contains bytes that are not " + r.encoding + " text"
		}
	} else if !utf8.ValidString(c) {
		return `the cell is not valid UTF-8 text; save the file as "CSV UTF-8"`
	}
	return ""
}

// hasReplacement reports whether s holds U+FFFD. It looks for the
// character's first byte, which is rare in text, with the fast IndexByte.
func hasReplacement(s string) bool {
	for {
		i := strings.IndexByte(s, 0xEF)
		if i < 0 {
			return false
		}
		if strings.HasPrefix(s[i:], "\uFFFD") {
			return true
		}
		s = s[i+1:]
	}
}

// isBlank reports whether every cell is empty or spaces.
func isBlank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func delimName(d rune) string {
	switch d {
	case ',':
		return "a comma"
	case ';':
		return "a semicolon"
	case '\t':
		return "a tab"
	}
	return strconv.QuoteRune(d)
}

// sniffEncoding names the encoding of the sample, the start of the file, and
// the length of its byte order mark. atEOF says the sample is the whole file.
func sniffEncoding(b []byte, atEOF bool) (enc string, bom int, err error) {
	switch {
	case len(b) == 0:
		return "", 0, invalidf("the file is empty")
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		enc, bom = EncodingUTF8BOM, 3
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		enc, bom = EncodingUTF16LE, 2
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		enc, bom = EncodingUTF16BE, 2
	}
	if bom > 0 {
		if len(b) == bom && atEOF {
			return "", 0, invalidf("the file is empty")
		}
		return enc, bom, nil
	}
	if err := sniffFormat(b); err != nil {
		return "", 0, err
	}
	if enc := sniffUTF16(b); enc != "" {
		return enc, 0, nil
	}
	if err := sniffBinary(b); err != nil {
		return "", 0, err
	}
	if mostlyUTF8(b, atEOF) {
		return EncodingUTF8, 0, nil
	}
	if !plausible1252(b) {
		return "", 0, invalidf(`the file's text encoding was not recognised; save it as "CSV UTF-8" and try again`)
	}
	return EncodingWindows1252, 0, nil
}

// sniffUTF16 recognises UTF-16 without a BOM by its NUL bytes: CSV text is
// mostly ASCII (delimiters, digits, emails), whose UTF-16 code units have a
// zero high byte, so about every other byte is NUL, always on the same side.
func sniffUTF16(b []byte) string {
	n := min(len(b), 4096) &^ 1
	if n < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	// A few NULs in a tiny sample prove nothing: ask for three.
	units := n / 2
	switch {
	case odd >= 3 && odd*4 >= units && even*16 <= odd:
		return EncodingUTF16LE
	case even >= 3 && even*4 >= units && odd*16 <= even:
		return EncodingUTF16BE
	}
	return ""
}

// sniffFormat refuses the files people upload by mistake: a spreadsheet
// saved in its own format (the most common one) and PDFs.
func sniffFormat(b []byte) error {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return invalidf(`this is a spreadsheet workbook (or another archive), not a CSV file; in your spreadsheet, use "Save as" and choose "CSV UTF-8"`)
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return invalidf("this is a PDF document, not a CSV file")
	}
	return nil
}

// sniffBinary refuses files with many control characters: text has
// almost none, random bytes one in nine. A few stray ones are left to be
// reported as row errors.
func sniffBinary(b []byte) error {
	ctl := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7F {
			ctl++
		}
	}
	if ctl > 8 && ctl*20 > len(b) {
		return invalidf("the file does not look like a CSV file: it holds binary data, not text")
	}
	return nil
}

// mostlyUTF8 reports whether the sample is UTF-8: all of it, or so much of
// it that the few bad bytes are better reported as row errors than turned
// into wrong letters everywhere by reading the file as Windows-1252.
func mostlyUTF8(b []byte, atEOF bool) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !atEOF && !utf8.FullRune(b[i:]) {
			break // cut by the end of the sample
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	return invalid == 0 || valid >= 4*invalid
}

// plausible1252 reports whether non-UTF-8 text can be Windows-1252: it must
// not use the five bytes that encoding leaves undefined, and its non-ASCII
// bytes must be mostly alone (é in "Hélène"), not in the runs that
// multi-byte encodings such as Shift-JIS or GBK write.
func plausible1252(b []byte) bool {
	high, paired := 0, 0
	for i, c := range b {
		if c < 0x80 {
			continue
		}
		switch c {
		case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
			return false
		}
		high++
		if i > 0 && b[i-1] >= 0x80 || i+1 < len(b) && b[i+1] >= 0x80 {
			paired++
		}
	}
	return high < 8 || paired*2 <= high
}

// sniffSepLine recognises the "sep=;" first line that Excel writes and
// reads, and returns its delimiter and length.
func sniffSepLine(text []byte) (rune, int) {
	if len(text) < 5 || !bytes.EqualFold(text[:4], []byte("sep=")) {
		return 0, 0
	}
	d := rune(text[4])
	if !strings.ContainsRune(",;\t|", d) {
		return 0, 0
	}
	rest := text[5:]
	switch {
	case len(rest) == 0:
		return d, 5
	case rest[0] == '\n':
		return d, 6
	case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
		return d, 7
	}
	return 0, 0
}

var delimiters = [...]rune{',', ';', '\t'}

// sniffDelimiter picks the delimiter that appears most often outside quotes
// on the header line. A tie goes to the one that appears as often on the
// next line, then to the order of delimiters. A single column gives ','.
func sniffDelimiter(text []byte) rune {
	head, rest := lineCounts(text)
	next, _ := lineCounts(rest)
	best := 0
	for i := 1; i < len(delimiters); i++ {
		switch {
		case head[i] > head[best]:
			best = i
		case head[i] == head[best] && next[i] == head[i] && next[best] != head[best]:
			best = i
		}
	}
	return delimiters[best]
}

// lineCounts counts each delimiter outside quotes in the first line of text
// (a line break inside quotes does not end it) and returns the rest.
func lineCounts(text []byte) (counts [len(delimiters)]int, rest []byte) {
	quoted := false
	for i, c := range text {
		switch c {
		case '"':
			quoted = !quoted
		case '\n':
			if !quoted {
				return counts, text[i+1:]
			}
		case ',':
			if !quoted {
				counts[0]++
			}
		case ';':
			if !quoted {
				counts[1]++
			}
		case '\t':
			if !quoted {
				counts[2]++
			}
		}
	}
	return counts, nil
}

// errTooBig is what sizeReader returns past the limit; Reader reports it
// with the limit in words.
var errTooBig = errors.New("csvio: file over the size limit")

// sizeReader counts the bytes read from the input and fails past max.
type sizeReader struct {
	r      io.Reader
	n, max int64
	tooBig bool
}

func (s *sizeReader) Read(p []byte) (int, error) {
	if s.tooBig {
		return 0, errTooBig
	}
	// Read at most one byte past the limit: enough to know it is crossed.
	if room := s.max - s.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n > s.max {
		s.tooBig = true
		return n, errTooBig
	}
	return n, err
}

// errTooLong is what recordGuard returns past the limit.
var errTooLong = errors.New("csvio: record over the size limit")

// recordGuard fails when the parser has read more than max bytes since the
// end of the last record, so that a runaway quote or a file without line
// breaks cannot make encoding/csv buffer the whole file. Reader marks each
// record's end with the parser's input offset; the guard counts the same
// decoded bytes, plus what was consumed before the parser started (base).
type recordGuard struct {
	r       io.Reader
	n       int64 // bytes delivered
	base    int64 // bytes consumed before the parser's offset 0
	start   int64 // n at the end of the last record
	max     int64
	eof     bool
	tooLong bool
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.tooLong {
		return 0, errTooLong
	}
	if g.n-g.start > g.max {
		g.tooLong = true
		return 0, errTooLong
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if err == io.EOF {
		g.eof = true
	}
	return n, err
}

// mark records that the parser's last record ended at offset.
func (g *recordGuard) mark(offset int64) { g.start = g.base + offset }

// crReader turns the lone CRs of classic Mac line ends into LFs.
type crReader struct{ r io.Reader }

func (c crReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			break
		}
		b[i] = '\n'
		b = b[i+1:]
	}
	return n, err
}

func invalidf(format string, args ...any) error {
	return roster.Errorf(roster.EINVALID, format, args...)
}

// formatSize writes a byte count the way file managers do.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// thousands writes n with comma separators: 5,000,000.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
