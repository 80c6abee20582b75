package csvio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"roster"
)

// memLoader is a UserLoader over a map, counting the users it holds at
// once for the memory check.
type memLoader struct {
	users  map[int64]*roster.User
	calls  atomic.Int64
	fail   int64 // the call that fails, from 1; 0 never
	maxIDs atomic.Int64
}

func (l *memLoader) FindUsersByIDs(ctx context.Context, ids []int64) ([]*roster.User, error) {
	n := l.calls.Add(1)
	if n == l.fail {
		return nil, errors.New("database gone")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if int64(len(ids)) > l.maxIDs.Load() {
		l.maxIDs.Store(int64(len(ids)))
	}
	var out []*roster.User
	for _, id := range ids {
		if u := l.users[id]; u != nil {
			out = append(out, u)
		}
	}
	return out, nil
}

func newMemLoader(n int) (*memLoader, []int64) {
	l := &memLoader{users: map[int64]*roster.User{}}
	var ids []int64
	for i := n; i >= 1; i-- { // descending: order must come from ids
		u := fullUser(int64(i))
		u.Email = fmt.Sprintf("user%d@example.com", i)
		l.users[int64(i)] = u
		ids = append(ids, int64(i))
	}
	return l, ids
}

func TestExportUsers(t *testing.T) {
	reg := exportRegistry()
	cols := ExportColumns(reg)
	l, ids := newMemLoader(2500)
	ids = append(ids, 99999) // deleted meanwhile: skipped
	// What the simple encoder writes is what the pipeline must write.
	var want bytes.Buffer
	e, _ := NewUserEncoder(&want, cols, reg.Catalog, WriteOptions{BOM: true})
	for _, id := range ids {
		if u := l.users[id]; u != nil {
			e.Encode(u)
		}
	}
	e.Close()

	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			l.calls.Store(0)
			var got bytes.Buffer
			var progress []int
			n, err := ExportUsers(context.Background(), &got, l, ids, Export{
				Columns: cols, Catalog: reg.Catalog, Options: WriteOptions{BOM: true},
				Batch: 300, Workers: workers, Progress: func(done int) { progress = append(progress, done) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != 2500 {
				t.Errorf("wrote %d rows, want 2500", n)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("export differs from the encoder's output (%d vs %d bytes)", got.Len(), want.Len())
			}
			if l.maxIDs.Load() > 300 {
				t.Errorf("a batch of %d ids, want at most 300", l.maxIDs.Load())
			}
			if len(progress) != 9 || progress[len(progress)-1] != 2500 {
				t.Errorf("progress %v, want 9 steps to 2500", progress)
			}
		})
	}
}

func TestExportUsers_Empty(t *testing.T) {
	reg := exportRegistry()
	cols, _ := ParseColumns(reg, []string{"email"})
	var b bytes.Buffer
	n, err := ExportUsers(context.Background(), &b, &memLoader{}, nil, Export{Columns: cols})
	if err != nil || n != 0 || b.String() != "email\n" {
		t.Errorf("empty export: %d, %v, %q", n, err, b.String())
	}
}

// cutWriter accepts limit writes, then fails: a client that went away.
type cutWriter struct {
	mu    sync.Mutex
	limit int
	rows  int
}

func (w *cutWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.limit == 0 {
		return 0, errors.New("connection reset")
	}
	w.limit--
	w.rows += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

func TestExportUsers_Errors(t *testing.T) {
	reg := exportRegistry()
	cols, _ := ParseColumns(reg, []string{"id", "email"})

	t.Run("client gone", func(t *testing.T) {
		l, ids := newMemLoader(1000)
		w := &cutWriter{limit: 3} // the header and two batches
		n, err := ExportUsers(context.Background(), w, l, ids, Export{Columns: cols, Batch: 100, Workers: 2})
		if err == nil || !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("err = %v, want the write error", err)
		}
		if n != 200 || w.rows != 201 {
			t.Errorf("count %d, rows written %d; want 200 and 201 with the header", n, w.rows)
		}
	})
	t.Run("load fails", func(t *testing.T) {
		l, ids := newMemLoader(1000)
		l.fail = 1
		n, err := ExportUsers(context.Background(), &bytes.Buffer{}, l, ids, Export{Columns: cols, Batch: 100, Workers: 1})
		if err == nil || !strings.Contains(err.Error(), "database gone") || n != 0 {
			t.Errorf("got %d, %v; want 0 and the load error", n, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		l, ids := newMemLoader(1000)
		ctx, cancel := context.WithCancel(context.Background())
		var b bytes.Buffer
		n, err := ExportUsers(ctx, &b, l, ids, Export{Columns: cols, Batch: 100, Workers: 2, Progress: func(done int) {
			if done >= 300 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n != 300 || bytes.Count(b.Bytes(), []byte("\n")) != n+1 {
			t.Errorf("count %d for %d lines", n, bytes.Count(b.Bytes(), []byte("\n")))
		}
	})
}

// slabMemLoader is a memLoader that fills the caller's slab, as
// sqldb.UserService does, and scribbles on the slab first so that a user
// formatted after the slab was reused would show.
type slabMemLoader struct {
	*memLoader
	slabs atomic.Int64
}

func (l *slabMemLoader) FindUsersByIDsInto(ctx context.Context, ids []int64, slab []roster.User) ([]*roster.User, error) {
	users, err := l.FindUsersByIDs(ctx, ids)
	if err != nil || len(slab) < len(users) {
		return users, err
	}
	l.slabs.Add(1)
	for i := range slab {
		slab[i] = roster.User{Email: "stale@example.com"}
	}
	out := make([]*roster.User, len(users))
	for i, u := range users {
		slab[i] = *u
		out[i] = &slab[i]
	}
	return out, nil
}

func TestExportUsers_Slab(t *testing.T) {
	reg := exportRegistry()
	cols := ExportColumns(reg)
	ml, ids := newMemLoader(1000)
	var want bytes.Buffer
	if _, err := ExportUsers(context.Background(), &want, ml, ids, Export{Columns: cols, Catalog: reg.Catalog, Batch: 70, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	sl := &slabMemLoader{memLoader: ml}
	var got bytes.Buffer
	n, err := ExportUsers(context.Background(), &got, sl, ids, Export{Columns: cols, Catalog: reg.Catalog, Batch: 70, Workers: 2})
	if err != nil || n != 1000 {
		t.Fatalf("%d, %v", n, err)
	}
	if sl.slabs.Load() != 15 {
		t.Errorf("%d batches filled a slab, want 15", sl.slabs.Load())
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) || strings.Contains(got.String(), "stale@") {
		t.Error("the export through a slab differs")
	}
}
