package csvio

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"roster"
)

// UserLoader loads users by store id, in the order asked, skipping ids
// without a user: roster.UserService does.
type UserLoader interface {
	FindUsersByIDs(ctx context.Context, ids []int64) ([]*roster.User, error)
}

// slabLoader is a UserLoader that fills users the caller provides and
// reuses from batch to batch, rather than allocating each: over a million
// users that is a good part of what the garbage collector has to do.
// sqldb.UserService is one.
type slabLoader interface {
	FindUsersByIDsInto(ctx context.Context, ids []int64, slab []roster.User) ([]*roster.User, error)
}

// Export is what ExportUsers writes and how.
type Export struct {
	Columns []roster.Field  // in order; ExportColumns for all
	Catalog *roster.Catalog // tag and group names
	// Access is the rule the access column follows: the account policy
	// when the export started.
	Access  roster.AccessRule
	Options WriteOptions
	// Batch is how many users are loaded at a time (default 1000) and
	// Workers how many batches are loaded and formatted at once (default:
	// one per CPU, at most 4).
	Batch   int
	Workers int
	// Progress, when set, is called after each batch is written with the
	// number of rows written so far.
	Progress func(written int)
}

// ExportUsers writes the header and then the users with the store ids ids,
// in that order, to w as CSV, and returns how many rows it wrote (ids
// whose user was deleted meanwhile are skipped). It never holds more than
// a few batches of users: workers load and format the next batches while
// the current one is written, and w receives one Write per batch, which
// makes a network client see the file grow. On error, including ctx ending
// or w failing (a client that went away), the count is of the rows w
// accepted before.
func ExportUsers(ctx context.Context, w io.Writer, src UserLoader, ids []int64, ex Export) (int, error) {
	batch := ex.Batch
	if batch <= 0 {
		batch = 1000
	}
	workers := ex.Workers
	if workers <= 0 {
		workers = min(max(runtime.GOMAXPROCS(0), 1), 4)
	}
	rf := newRowFormatter(ex.Columns, ex.Catalog, ex.Options.NoEscape)
	rf.access = ex.Access

	var head bytes.Buffer
	hw := NewWriter(&head, WriteOptions{BOM: ex.Options.BOM, NoEscape: true})
	if err := hw.Write(rf.header()); err != nil {
		return 0, err
	}
	if err := hw.Flush(); err != nil {
		return 0, err
	}
	if _, err := w.Write(head.Bytes()); err != nil {
		return 0, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		buf *[]byte
		n   int
		err error
	}
	type job struct {
		ids []int64
		out chan result
	}
	// Batch buffers go round: at most one per batch in flight, kept
	// between batches (a sync.Pool would drop them at every collection,
	// and an export allocates enough to collect often).
	free := make(chan *[]byte, 3*workers+1)
	getBuf := func() *[]byte {
		select {
		case b := <-free:
			return b
		default:
			return new([]byte)
		}
	}
	putBuf := func(b *[]byte) {
		select {
		case free <- b:
		default:
		}
	}
	jobs := make(chan job)
	// order holds the jobs' answers in id-list order; its capacity bounds
	// how far loading runs ahead of writing.
	order := make(chan chan result, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rf := rf.clone()
			load := src.FindUsersByIDs
			if sl, ok := src.(slabLoader); ok {
				// The users of a batch are formatted before the next
				// batch is loaded: the slab can serve them all.
				slab := make([]roster.User, batch)
				load = func(ctx context.Context, ids []int64) ([]*roster.User, error) {
					return sl.FindUsersByIDsInto(ctx, ids, slab)
				}
			}
			for j := range jobs {
				var r result
				users, err := load(ctx, j.ids)
				if err != nil {
					r.err = err
				} else {
					r.buf = getBuf()
					b := (*r.buf)[:0]
					for _, u := range users {
						b = rf.appendRow(b, u)
					}
					*r.buf = b
					r.n = len(users)
				}
				j.out <- r
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for start := 0; start < len(ids); start += batch {
			j := job{ids: ids[start:min(start+batch, len(ids))], out: make(chan result, 1)}
			select {
			case order <- j.out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				// The answer will never come: say so in order.
				j.out <- result{err: ctx.Err()}
				return
			}
		}
	}()

	written := 0
	var err error
	for out := range order {
		if err = ctx.Err(); err != nil {
			break
		}
		r := <-out
		if r.err != nil {
			err = r.err
			break
		}
		_, werr := w.Write(*r.buf)
		putBuf(r.buf)
		if werr != nil {
			err = werr
			break
		}
		written += r.n
		if ex.Progress != nil {
			ex.Progress(written)
		}
	}
	if err == nil {
		// The list ended early: the caller's ctx ended (ours is cancelled
		// only below).
		err = ctx.Err()
	}
	cancel()
	// Answers go to buffered channels, so no worker is left blocked: wait
	// for them, so that the loader is not used after ExportUsers returns.
	wg.Wait()
	return written, err
}

// ExportSummary describes an export for the audit log.
type ExportSummary struct {
	Filter   string // the filter text, as asked
	Sort     string // the sort applied
	Columns  string // the column keys asked for; "" for all
	Options  WriteOptions
	Written  int // rows written
	Selected int // users the filter selected
}

// AuditEntry is the audit entry of the export, action users.export, with
// what was asked and how many rows were written: the web and the CLI
// record the same.
func (s ExportSummary) AuditEntry() roster.AuditEntry {
	note := fmt.Sprintf("exported %d of %d users", s.Written, s.Selected)
	if s.Filter != "" {
		note += "; filter: " + s.Filter
	}
	if s.Sort != "" {
		note += "; sort: " + s.Sort
	}
	cols := s.Columns
	if cols == "" {
		cols = "all"
	}
	note += "; columns: " + cols
	if s.Options.NoEscape {
		note += "; formulas not escaped"
	}
	return roster.AuditEntry{Action: "users.export", TargetType: "user", Note: note}
}
