package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"roster"
	"roster/csvio"
	"roster/query"
)

// benchExport times exports of every user with every exportable column,
// as the table's Export button runs them (the ordered ids from the index,
// then csvio.ExportUsers over the store), written to nowhere: in the
// table's default order, which reads users scattered over the table, and
// in id order, which reads them as ranges. It reports the time, the CPU
// time of the process, the size of the CSV and the peak resident memory
// above what the process held before.
func (m *Main) benchExport(ctx context.Context, stdout io.Writer, reg *roster.Registry) error {
	cols := csvio.ExportColumns(reg)
	fmt.Fprintf(stdout, "\n%-52s %9s %9s %9s %12s\n", fmt.Sprintf("export, %d columns", len(cols)), "time", "CPU", "CSV", "peak RSS")
	for _, sort := range []string{query.DefaultSort, "id"} {
		runtime.GC()
		resting := rssMB()
		var peak atomic.Int64
		peak.Store(int64(resting))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if r := int64(rssMB()); r > peak.Load() {
						peak.Store(r)
					}
				}
			}
		}()
		c0, t0 := cpuTime(), time.Now()
		ids, err := query.OrderedIDs(ctx, m.Index, &query.Plan{Sort: mustSort(reg, sort)})
		if err != nil {
			close(stop)
			return err
		}
		listed := time.Since(t0)
		var w countingWriter
		n, err := csvio.ExportUsers(ctx, &w, m.Users, ids, csvio.Export{Columns: cols, Catalog: reg.Catalog, Access: reg.Access})
		el, cpu := time.Since(t0), cpuTime()-c0
		close(stop)
		wg.Wait()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-52s %9s %9s %6d MB %+9d MB   (ids from the index: %s)\n", fmt.Sprintf("export %d users, sort %s", n, sort),
			el.Round(10*time.Millisecond), cpu.Round(10*time.Millisecond), w.n>>20, peak.Load()-int64(resting), listed.Round(time.Millisecond))
	}
	return nil
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
