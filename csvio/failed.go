package csvio

import (
	"context"
	"io"
	"strconv"

	"roster"
)

// WriteFailedRows writes job j's failed rows as CSV: the file's header and
// a reason column, then each row's cells as read, escaped as any export is,
// so that the operator can fix the rows and import this very file. each,
// when set, sees every row.
func WriteFailedRows(ctx context.Context, js roster.JobService, j *roster.Job, w io.Writer, each func(roster.FailedRow)) error {
	cw := NewWriter(w, WriteOptions{})
	header := append([]string{"reason"}, j.Header...)
	if err := cw.Write(header); err != nil {
		return err
	}
	var after int64
	for {
		rows, err := js.FailedRows(ctx, j.ID, after, 1000)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if each != nil {
				each(r)
			}
			// Cells are kept as read; the writer escapes what they mean,
			// so a cell escaped in the file is not escaped twice.
			cells := make([]string, 0, len(r.Cells)+1)
			cells = append(cells, "row "+strconv.FormatInt(r.Row, 10)+": "+r.Reason())
			for _, c := range r.Cells {
				cells = append(cells, UnescapeCell(c))
			}
			if err := cw.Write(cells); err != nil {
				return err
			}
			after = r.Row
		}
		if len(rows) < 1000 {
			return cw.Flush()
		}
	}
}
