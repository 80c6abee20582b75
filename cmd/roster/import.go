package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"roster"
	"roster/csvio"
	"roster/jobs"
	"roster/sqldb"
)

// mappingFlag collects --map "Header=field" pairs.
type mappingFlag map[string]string

func (m mappingFlag) String() string { return "" }

func (m mappingFlag) Set(s string) error {
	h, f, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("--map wants HEADER=FIELD (or HEADER= to ignore the column), not %q", s)
	}
	m[strings.TrimSpace(h)] = strings.TrimSpace(f)
	return nil
}

// splitFile takes the file argument out of args: the first argument, or
// the last when flags come first.
func splitFile(args []string) (string, []string, error) {
	switch {
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		return args[0], args[1:], nil
	case len(args) > 1 && !strings.HasPrefix(args[len(args)-1], "-"):
		return args[len(args)-1], args[:len(args)-1], nil
	}
	return "", nil, fmt.Errorf("which file? usage: roster import FILE [--mode create|update|upsert] [--key email|client_id|id] [--dry-run]")
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	path, rest, err := splitFile(args)
	switch {
	case err == nil:
		args = rest
	case !helpAsked(args): // with -h, parse prints the help
		return err
	}
	// Transactions of 100,000 rows touch nearly every page of the unique
	// indexes (about 100 MB at a million users): the fewer commits, the
	// fewer times those pages are written. A cache that holds them all
	// gained nothing measurable over 64 MiB, which the driver's allocator
	// rounds up to about 128 MB of memory. The WAL may reach 200 MB between
	// checkpoints (see sqldb.Config).
	m := &Main{Config: DefaultConfig(), writerCacheMiB: 64, checkpointPages: 50000}
	var opts roster.ImportOptions
	mapping := mappingFlag{}
	var chunk int
	var maxBytes int64
	var maxRows int
	var failedPath string
	var mode string
	err = parse("import", args, &m.Config, false, stdout, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&mode, "mode", "upsert", "create, update or upsert")
		fs.StringVar(&opts.Key, "key", "email", "the field rows are matched on: email, client_id or id")
		fs.BoolVar(&opts.DryRun, "dry-run", false, "check every row and count what would change; write nothing")
		fs.Var(mapping, "map", `map a column: "Header=field", or "Header=" to ignore it (repeatable)`)
		fs.IntVar(&chunk, "chunk", 100000, "rows per transaction: a killed import resumes from the last")
		fs.Int64Var(&maxBytes, "max-bytes", 0, "refuse files larger than this many bytes (default 1 GiB)")
		fs.IntVar(&maxRows, "max-rows", 0, "refuse files with more rows (default 5,000,000)")
		fs.StringVar(&failedPath, "failed", "", "write the rows that failed, with a reason column, to this CSV file (default FILE-failed.csv when some fail)")
	})
	if err != nil {
		return err
	}
	// The import's live heap is small and bounded (the chunks in flight
	// and the file's keys, ~50 MB at a million rows) while it makes
	// garbage fast: collecting only near 160 MiB saves a fifth of its
	// CPU, within its memory budget.
	if getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(160 << 20)
	}
	opts.Mode = roster.ImportMode(mode)
	if len(mapping) > 0 {
		opts.Mapping = mapping
	}
	opts.Normalize()
	if err := opts.Validate(); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	limits := csvio.Limits{MaxBytes: maxBytes, MaxRows: maxRows}
	// The reader refuses a file over the limit by its size alone: before
	// hashing gigabytes.
	if f, err := os.Open(abs); err != nil {
		return err
	} else if _, err := csvio.NewReader(f, info.Size(), limits); err != nil {
		f.Close()
		return err
	} else {
		f.Close()
	}
	sum, err := fileSHA256(abs)
	if err != nil {
		return err
	}
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	defer m.Close()
	ctx = cliContext(ctx)
	js := sqldb.NewJobService(m.DB)
	// The invite column's messages wait in the outbox for a server.
	if js.Mail, _, err = m.renderer(); err != nil {
		return err
	}
	j, err := js.FindResumable(ctx, sum, opts)
	if err != nil {
		return err
	}
	if j != nil {
		fmt.Fprintf(stderr, "Resuming import job %d of %s after row %d.\n", j.ID, filepath.Base(path), j.Position)
	} else {
		j = &roster.Job{Kind: "import", Options: opts, FileName: filepath.Base(path), FileSize: info.Size(), FileSHA256: sum, FilePath: abs}
		if err := js.CreateJob(ctx, j, nil, 0); err != nil {
			return err
		}
	}
	owner := jobs.Owner("cli")
	ok, err := js.ClaimJob(ctx, j.ID, owner, jobs.StaleOwner)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("import job %d of this file is being run by another process; wait for it, or stop it", j.ID)
	}
	j.Owner = owner
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()

	var bar *progressbar.ProgressBar
	if fd, ok := stderr.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
		bar = progressbar.NewOptions64(info.Size(), progressbar.OptionSetWriter(stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish(), progressbar.OptionSetDescription("importing"))
		bar.Set64(j.Offset)
	}
	logger, err := m.Config.logger(stderr)
	if err != nil {
		return err
	}
	im := &jobs.Importer{Jobs: js, Fields: m.Fields, Log: logger.With("component", "jobs"),
		Config: jobs.Config{Limits: limits, TxRows: chunk},
		Progress: func(j *roster.Job) {
			if bar != nil {
				c := j.Counts
				bar.Describe(fmt.Sprintf("%d created, %d updated, %d unchanged, %d failed", c.Created, c.Updated, c.Unchanged, c.Failed))
				bar.Set64(j.Offset)
			}
		}}
	hctx, stop := context.WithCancel(ctx)
	go jobs.Heartbeat(hctx, js, j.ID, owner)
	start := time.Now()
	err = im.Run(ctx, j, f)
	stop()
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	if j, err = js.FindJob(ctx, j.ID); err != nil {
		return err
	}
	c := j.Counts
	verb := "Imported"
	if opts.DryRun {
		verb = "Dry run (nothing written)"
	}
	if j.Status == roster.JobFailed {
		return roster.Errorf(roster.EINVALID, "%s: %s", path, j.Error)
	}
	fmt.Fprintf(stdout, "%s %s in %s: %d rows read, %d created, %d updated, %d unchanged, %d failed (job %d).\n",
		verb, filepath.Base(path), time.Since(start).Round(time.Millisecond), c.Read, c.Created, c.Updated, c.Unchanged, c.Failed, j.ID)
	if c.Failed == 0 {
		return nil
	}
	if failedPath == "" {
		failedPath = strings.TrimSuffix(path, filepath.Ext(path)) + "-failed.csv"
	}
	if err := writeFailedRows(ctx, js, j, failedPath, stdout); err != nil {
		return err
	}
	return roster.Errorf(roster.EINVALID, "%d rows failed; they are in %s with a reason column.", c.Failed, failedPath)
}

// writeFailedRows writes the job's failed rows, with the file's header and
// a reason column, and shows the first few.
func writeFailedRows(ctx context.Context, js roster.JobService, j *roster.Job, path string, stdout io.Writer) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	shown := 0
	err = csvio.WriteFailedRows(ctx, js, j, f, func(r roster.FailedRow) {
		if shown < 10 {
			fmt.Fprintf(stdout, "  row %d: %s\n", r.Row, r.Reason())
		}
		shown++
	})
	if err != nil {
		return err
	}
	return f.Close()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
