// Package jobs runs long work with stored progress: a Runner runs each
// queued job with the Handler of its kind (imports here; others register
// theirs). A job commits in chunks and records its position with each, so
// that a process killed at any moment is resumed from its last chunk by
// the next one.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"roster"
	"roster/csvio"
	"roster/password"
)

// Config bounds an import.
type Config struct {
	Limits csvio.Limits
	// TxRows is how many rows one transaction applies at most: a killed
	// import resumes from its last commit. Larger transactions write the
	// pages of the unique indexes less often; they also hold SQLite's one
	// writer longer, which a server shares with its other writes.
	TxRows int
	// ChunkRows is how many rows the reader hands the writer at a time;
	// at most about three chunks are in memory.
	ChunkRows int
	// HashWorkers bounds how many plain passwords are hashed at once.
	HashWorkers int
}

func (c Config) txRows() int {
	if c.TxRows > 0 {
		return c.TxRows
	}
	return 5000
}

func (c Config) chunkRows() int {
	if c.ChunkRows > 0 {
		return min(c.ChunkRows, c.txRows())
	}
	return min(1000, c.txRows())
}

func (c Config) hashWorkers() int {
	if c.HashWorkers > 0 {
		return c.HashWorkers
	}
	return runtime.GOMAXPROCS(0)
}

// maxChunkBytes bounds the file bytes one chunk holds.
const maxChunkBytes = 4 << 20

// Registries gives the current field registry.
type Registries interface {
	Registry(ctx context.Context) (*roster.Registry, error)
}

// Importer runs import jobs.
type Importer struct {
	Jobs   roster.JobService
	Fields Registries
	Config Config
	Log    *slog.Logger
	// Progress, when set, is called after each committed chunk.
	Progress func(j *roster.Job)
}

// Run runs the claimed job j over file, from its recorded position to the
// end, and finishes it. It returns an error only when the job could not be
// recorded as finished (the database is gone, or another process took it
// over); a bad file finishes the job as failed with the reason.
func (im *Importer) Run(ctx context.Context, j *roster.Job, file io.Reader) error {
	return Finish(ctx, im.Jobs, j, im.run(ctx, j, file))
}

func (im *Importer) run(ctx context.Context, j *roster.Job, file io.Reader) error {
	reg, err := im.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	r, err := csvio.NewReader(file, j.FileSize, im.Config.Limits)
	if err != nil {
		return err
	}
	plan, err := csvio.PlanColumns(r, reg, j.Options)
	if err != nil {
		return err
	}
	if len(plan.Unknown) > 0 {
		return roster.Errorf(roster.EINVALID, "the file has columns that match no field: %s; map each to a field, or to nothing to ignore it", strings.Join(plan.Unknown, ", "))
	}
	chunks := make(chan *roster.ImportChunk, 1)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		readErr <- im.read(rctx, j, reg, r, plan, chunks)
	}()
	// A transaction spans chunks until it holds TxRows rows. It is
	// committed before hashing passwords, which takes seconds: nothing
	// waits on the database for that.
	var tx roster.ImportTx
	pending := int64(0)
	commit := func() error {
		err := tx.Commit()
		tx, pending = nil, 0
		if err == nil && im.Progress != nil {
			im.Progress(j)
		}
		return err
	}
	err = func() error {
		for c := range chunks {
			if tx != nil && needsHashing(j, c) {
				if err := commit(); err != nil {
					return err
				}
			}
			if err := im.hashPasswords(ctx, j, c); err != nil {
				return err
			}
			if tx == nil {
				if tx, err = im.Jobs.BeginImport(ctx, j); err != nil {
					return err
				}
			}
			if err := tx.Apply(ctx, c, applyRows(j.Options, c)); err != nil {
				return err
			}
			if pending += c.Read; pending >= int64(im.Config.txRows()) {
				if err := commit(); err != nil {
					return err
				}
			}
		}
		if tx != nil {
			return commit()
		}
		return nil
	}()
	if err != nil {
		if tx != nil {
			_ = tx.Rollback() // the error that stops the import is err
		}
		cancel()
		for range chunks {
		}
		return err
	}
	return <-readErr
}

// seen remembers the unique values rows already used, by a 64-bit hash and
// the row, so that a file's duplicates are reported in 16 bytes a value.
type seen struct {
	seed maphash.Seed
	m    map[uint64]int64
}

func (s *seen) check(field, v string) (int64, uint64) {
	h := maphash.String(s.seed, field+"\x00"+v)
	return s.m[h], h
}

// read decodes rows into chunks. Rows up to the job's position were
// applied by an earlier run: they are read again only to remember their
// keys, exactly as that run did, so that duplicates are still found.
func (im *Importer) read(ctx context.Context, j *roster.Job, reg *roster.Registry, r *csvio.Reader, plan *csvio.Plan, out chan<- *roster.ImportChunk) error {
	// A key that appears twice would make its second row update the user
	// its first created. Other unique values the database refuses when
	// taken, with the user who has them; but a dry run undoes each chunk,
	// so it remembers them all to report what the import would. (Three
	// fields of a million rows take 75 MB.)
	uniques := []string{j.Options.Key}
	if j.Options.DryRun {
		for _, f := range []string{"email", "client_id", "id"} {
			if _, ok := plan.Headers[f]; ok && f != j.Options.Key {
				uniques = append(uniques, f)
			}
		}
	}
	dup := &seen{seed: maphash.MakeSeed(), m: map[uint64]int64{}}
	key := j.Options.Key
	per := im.Config.chunkRows()
	from := j.Position
	c := &roster.ImportChunk{From: from, To: from, Headers: plan.Headers, Header: r.Header()}
	send := func() error {
		c.Offset = r.Offset()
		select {
		case out <- c:
		case <-ctx.Done():
			return ctx.Err()
		}
		c = &roster.ImportChunk{From: c.To, To: c.To, Headers: plan.Headers, Header: c.Header}
		return nil
	}
	rows := 0
	start := r.Offset()
	// Failed rows are kept for the report: never with a password in them.
	var secret []int
	for _, col := range plan.Columns {
		if k := col.Field.Key; k == "password" || k == "password_hash" {
			secret = append(secret, col.Index)
		}
	}
	for {
		rec, row, err := r.Read()
		if err == io.EOF {
			break
		}
		var rowErr *csvio.RowError
		if err != nil && !errors.As(err, &rowErr) {
			return err
		}
		rows++
		resumed := int64(row) <= from
		if !resumed {
			c.Read++
			c.To = int64(row)
		}
		cells := redact(rec, secret)
		fail := func(errs ...roster.CellError) {
			if !resumed {
				c.Failed = append(c.Failed, roster.FailedRow{Row: int64(row), Errors: errs, Cells: cells})
			}
		}
		if rowErr != nil {
			fail(roster.CellError{Column: rowErr.Column, Message: rowErr.Message})
		} else if ir, errs := im.decode(reg, plan, rec, row, key, uniques, dup, resumed); len(errs) > 0 {
			fail(errs...)
		} else if !resumed {
			ir.Cells = cells
			c.Rows = append(c.Rows, ir)
		}
		// Rows of large cells make a chunk of fewer rows: a chunk's
		// memory, not its row count, is what must stay bounded.
		if c.Read >= int64(per) || r.Offset()-start >= maxChunkBytes {
			start = r.Offset()
			if err := send(); err != nil {
				return err
			}
		}
	}
	if rows == 0 {
		return roster.Errorf(roster.EINVALID, "the file has a header but no rows")
	}
	if c.Read > 0 || c.To > from {
		return send()
	}
	return nil
}

// decode turns one record into a row for the store, or the row's errors.
func (im *Importer) decode(reg *roster.Registry, plan *csvio.Plan, rec []string, row int, key string, uniques []string, dup *seen, resumed bool) (roster.ImportRow, []roster.CellError) {
	values, errs := csvio.DecodeRow(plan.Columns, rec, row)
	var out []roster.CellError
	for _, e := range errs {
		out = append(out, roster.CellError{Column: e.Column, Message: e.Message})
	}
	ir := roster.ImportRow{Row: int64(row), Values: values, Cells: rec}
	kv := roster.UniqueValue(key, values[key])
	if kv == "" && len(out) == 0 {
		out = append(out, roster.CellError{Column: plan.Headers[key], Message: "is empty, and it is the key this import matches users on"})
	}
	ir.Key = kv
	if len(out) > 0 {
		return ir, out
	}
	if !resumed {
		// Validated here, on the reader's goroutine, so that the
		// writer's does less; an update is validated against its user.
		u, errs := ir.ApplyTo(nil, reg, key, time.Now().UTC(), plan.Headers)
		if len(errs) == 0 {
			ir.New = u
		} else {
			ir.NewErrors = errs
		}
	}
	// Every unique value of the row must be new to the file.
	hashes := make([]uint64, 0, len(uniques))
	for _, f := range uniques {
		v := roster.UniqueValue(f, values[f])
		if v == "" {
			continue
		}
		first, h := dup.check(f, v)
		if first > 0 {
			out = append(out, roster.CellError{Column: plan.Headers[f], Message: fmt.Sprintf("%s appears again (first on row %d)", v, first)})
		}
		hashes = append(hashes, h)
	}
	if len(out) > 0 {
		return ir, out
	}
	for _, h := range hashes {
		dup.m[h] = int64(row)
	}
	if resumed {
		return ir, nil
	}
	plain, _ := values["password"].(string)
	hash, _ := values["password_hash"].(string)
	switch {
	case plain != "" && hash != "":
		out = append(out, roster.CellError{Column: plan.Headers["password_hash"], Message: "give a password or a password hash, not both"})
	case plain != "":
		if err := roster.CheckPassword(plain); err != nil {
			out = append(out, roster.CellError{Column: plan.Headers["password"], Message: roster.ErrorFields(err)["password"]})
		}
	case hash != "":
		if err := password.CheckImported(hash); err != nil {
			out = append(out, roster.CellError{Column: plan.Headers["password_hash"], Message: roster.ErrorMessage(err)})
		}
		ir.PasswordHash = hash
	}
	return ir, out
}

// redact returns rec with the cells at secret blanked, copying only when
// there is one to blank.
func redact(rec []string, secret []int) []string {
	var out []string
	for _, i := range secret {
		if i < len(rec) && rec[i] != "" {
			if out == nil {
				out = slices.Clone(rec)
			}
			out[i] = ""
		}
	}
	if out == nil {
		return rec
	}
	return out
}

// needsHashing reports whether chunk c has plain passwords to hash.
func needsHashing(j *roster.Job, c *roster.ImportChunk) bool {
	if j.Options.DryRun {
		return false
	}
	for _, r := range c.Rows {
		if p, _ := r.Values["password"].(string); p != "" {
			return true
		}
	}
	return false
}

// hashPasswords hashes the chunk's plain passwords on a bounded number of
// goroutines: 40 ms of CPU each. A password that matches the user's stored
// hash keeps it, so that importing a file again changes nothing. A dry run
// hashes nothing.
func (im *Importer) hashPasswords(ctx context.Context, j *roster.Job, c *roster.ImportChunk) error {
	if !needsHashing(j, c) {
		return nil
	}
	var todo []int
	var keys []string
	for i, r := range c.Rows {
		if p, _ := r.Values["password"].(string); p != "" {
			todo = append(todo, i)
			keys = append(keys, r.Key)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	stored := map[string]string{}
	if j.Options.Mode.MayUpdate() {
		var err error
		if stored, err = im.Jobs.PasswordHashes(ctx, j.Options.Key, keys); err != nil {
			return err
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range im.Config.hashWorkers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := &c.Rows[i]
				plain := r.Values["password"].(string)
				if h := stored[r.Key]; h != "" && password.Verify(plain, h) == nil {
					r.PasswordHash = h
					continue
				}
				h, err := password.Hash(plain)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				r.PasswordHash = h
			}
		}()
	}
	for _, i := range todo {
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
