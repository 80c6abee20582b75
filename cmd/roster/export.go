package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"roster/csvio"
	"roster/query"
)

// exportFlags are the options of roster export.
type exportFlags struct {
	q, sort, columns, out string
	bom, noEscape         bool
}

// runExport writes the users a filter selects as CSV, in the order of a
// sort: what the table's Export button downloads. It needs no query
// index: the store runs the filter in SQL, which gives the index's answers.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	m := &Main{Config: DefaultConfig()}
	var ef exportFlags
	err := parse("export", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&ef.q, "q", "", "filter, as the user table takes it (dates in UTC)")
		fs.StringVar(&ef.sort, "sort", "", "sort: field keys, - before a key for descending (default "+query.DefaultSort+")")
		fs.StringVar(&ef.columns, "columns", "", "field keys of the columns, comma-separated (default: every exportable field)")
		fs.BoolVar(&ef.bom, "bom", false, "start with a UTF-8 byte order mark, for Excel")
		fs.BoolVar(&ef.noEscape, "no-escape", false, "write cells as they are, without escaping those a spreadsheet would run as formulas")
		fs.StringVar(&ef.out, "o", "", "write to this file (default: standard output)")
	})
	if err != nil {
		return err
	}
	if err := m.open(ctx, stderr); err != nil {
		return err
	}
	defer m.Close()
	return m.export(cliContext(ctx), ef, stdout, stderr)
}

func (m *Main) export(ctx context.Context, ef exportFlags, stdout, stderr io.Writer) error {
	start := time.Now()
	reg, err := m.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	f, err := query.Parse(ef.q)
	if err != nil {
		return fmt.Errorf("--q: %w", err)
	}
	plan, err := query.Compile(f, reg, time.UTC)
	if err != nil {
		return fmt.Errorf("--q: %w", err)
	}
	if plan.Sort, err = query.ParseSort(ef.sort, reg); err != nil {
		return fmt.Errorf("--sort: %w", err)
	}
	var keys []string
	if ef.columns != "" {
		keys = strings.Split(ef.columns, ",")
	}
	cols, err := csvio.ParseColumns(reg, keys)
	if err != nil {
		return fmt.Errorf("--columns: %w", err)
	}
	ids, err := query.OrderedIDs(ctx, m.Users, plan)
	if err != nil {
		return err
	}

	w, where := stdout, "standard output"
	var file *os.File
	if ef.out != "" {
		if file, err = os.Create(ef.out); err != nil {
			return err
		}
		w, where = file, ef.out
	}
	var bar *progressbar.ProgressBar
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(len(ids), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("exporting"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("users"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	opts := csvio.WriteOptions{BOM: ef.bom, NoEscape: ef.noEscape}
	n, err := csvio.ExportUsers(ctx, w, m.Users, ids, csvio.Export{Columns: cols, Catalog: reg.Catalog, Access: reg.Access, Options: opts,
		Progress: func(done int) {
			if bar != nil {
				bar.Set(done)
			}
		}})
	if bar != nil {
		bar.Finish()
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	sum := csvio.ExportSummary{Filter: ef.q, Sort: query.FormatSort(plan.Sort), Columns: ef.columns, Options: opts, Written: n, Selected: len(ids)}
	// An interrupted export is audited too, with what it wrote.
	if aerr := m.Audit.Record(context.WithoutCancel(ctx), sum.AuditEntry()); aerr != nil && err == nil {
		err = aerr
	}
	if err != nil {
		return fmt.Errorf("export: %d of %d users written to %s: %w", n, len(ids), where, err)
	}
	fmt.Fprintf(stderr, "Exported %d users to %s in %s.\n", n, where, time.Since(start).Round(time.Millisecond))
	return nil
}
