package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"roster"
	"roster/csvio"
)

// Imports: what the import API and the import pages share. An upload is
// checked as far as its header before anything is stored, so that a file
// that cannot be imported (no key column, a repeated header, an empty file,
// an encoding we cannot read) is refused at once with nothing kept. A file
// with columns that match no field is kept, and its job waits for the
// operator to map them. The jobs themselves run in the server's runner.

// uploadPrefix is how much of an upload is read ahead to check its header.
const uploadPrefix = 1 << 20

// defaultImportBytes is the upload limit when ImportLimits sets none: the
// decoder's own default.
const defaultImportBytes = 1 << 30

// recentImports is how many imports the lists show, and how far back a
// dry run's follow-up import is looked for.
const recentImports = 50

// importMaxBytes is the largest upload this server accepts.
func (s *Server) importMaxBytes() int64 {
	if s.ImportLimits.MaxBytes > 0 {
		return s.ImportLimits.MaxBytes
	}
	return defaultImportBytes
}

// tooLargeError is an upload over the import limit: 413 in the API, a
// field error everywhere else.
type tooLargeError struct{ err *roster.Error }

func (e tooLargeError) Error() string { return e.err.Error() }
func (e tooLargeError) Unwrap() error { return e.err }

// tooLarge is the refusal of an upload over the limit, naming the limit.
func tooLarge(limit int64) error {
	size := roster.FormatBytes(limit)
	return tooLargeError{&roster.Error{Code: roster.EINVALID, Position: -1,
		Message: fmt.Sprintf("The file is larger than the import limit of %s (%d bytes).", size, limit),
		Fields:  map[string]string{"file": "is larger than the import limit of " + size}}}
}

// jobsReady refuses imports on a server wired without a job store.
func (s *Server) jobsReady() error {
	if s.Jobs == nil {
		return roster.Errorf(roster.EUNAVAILABLE, "Imports are not set up on this server.")
	}
	return nil
}

// wake tells the runner that a job is waiting.
func (s *Server) wake() {
	if s.WakeJobs != nil {
		s.WakeJobs()
	}
}

// createImport checks the header of an uploaded file and stores the file
// with a new import job: queued, or waiting for a mapping when some
// columns match no field.
func (s *Server) createImport(ctx context.Context, file io.Reader, name string, opts roster.ImportOptions) (*roster.Job, error) {
	if err := s.jobsReady(); err != nil {
		return nil, err
	}
	opts.Normalize()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkMapping(reg, opts.Mapping); err != nil {
		return nil, err
	}
	// The header is read from a prefix of the upload: the whole file is
	// read once, by CreateJob, on its way to the store.
	br := bufio.NewReaderSize(file, uploadPrefix)
	prefix, err := br.Peek(uploadPrefix)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	r, err := csvio.NewReader(bytes.NewReader(prefix), -1, s.ImportLimits)
	if err != nil {
		return nil, asField(err, "file")
	}
	j := &roster.Job{Kind: "import", Status: roster.JobQueued, Options: opts, FileName: cleanFileName(name)}
	plan, err := csvio.PlanColumns(r, reg, opts)
	switch {
	case err == nil && len(plan.Unknown) > 0:
		j.Status, j.Unknown = roster.JobNeedsMapping, plan.Unknown
	case err != nil:
		// The key column may be there under a name that matches no field
		// ("E-mail address"): then the operator maps it rather than edit
		// the file. Other problems are the file's.
		unknown, ok := unknownColumns(r.Header(), reg, opts.Mapping)
		if !ok || len(unknown) == 0 {
			return nil, asField(err, "file")
		}
		j.Status, j.Unknown = roster.JobNeedsMapping, unknown
	}
	if err := s.Jobs.CreateJob(ctx, j, br, s.importMaxBytes()); err != nil {
		return nil, asField(err, "file")
	}
	s.wake()
	return j, nil
}

// unknownColumns returns the header cells that match no field, as the
// planner counts them, and whether the header could be matched at all.
func unknownColumns(header []string, reg *roster.Registry, mapping map[string]string) ([]string, bool) {
	_, unknown, err := csvio.MatchHeader(header, reg, mapping)
	if err != nil {
		return nil, false
	}
	// As in csvio.PlanColumns: a failed-rows file's reason column is not data.
	return slices.DeleteFunc(unknown, func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), "reason") }), true
}

// mappingTargets are the fields a column may be mapped to: the importable
// fields, id (which imports can match users on) and password_hash (hashes
// from another product).
func mappingTargets(reg *roster.Registry) []roster.Field {
	var out []roster.Field
	for _, f := range reg.Fields {
		if f.Importable || f.Key == "id" || f.Key == "password_hash" {
			out = append(out, f)
		}
	}
	return out
}

// checkMapping refuses a mapping to anything but a field a column may be
// mapped to, naming every such key. "" ignores a column.
func checkMapping(reg *roster.Registry, mapping map[string]string) error {
	ok := map[string]bool{}
	for _, f := range mappingTargets(reg) {
		ok[f.Key] = true
	}
	var bad []string
	for _, key := range mapping {
		if key != "" && !ok[key] {
			bad = append(bad, strconv.Quote(key))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	bad = slices.Compact(bad)
	verb := "is not a field"
	if len(bad) > 1 {
		verb = "are not fields"
	}
	return roster.FieldErrors{"mapping": fmt.Sprintf("%s %s that a column can be imported into", strings.Join(bad, ", "), verb)}.Err()
}

// cleanMapping trims the field keys of a mapping as typed.
func cleanMapping(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for h, k := range m {
		out[h] = strings.TrimSpace(k)
	}
	return out
}

// cleanFileName keeps the last part of an uploaded file's name, without
// control characters, at most 200 bytes.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name))
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return "upload.csv"
	}
	return name
}

// findImport returns import job id. ENOTFOUND.
func (s *Server) findImport(ctx context.Context, id int64) (*roster.Job, error) {
	if err := s.jobsReady(); err != nil {
		return nil, err
	}
	j, err := s.Jobs.FindJob(ctx, id)
	if roster.ErrorCode(err) == roster.ENOTFOUND || (err == nil && j.Kind != "import") {
		return nil, roster.Errorf(roster.ENOTFOUND, "There is no import %d.", id)
	}
	return j, err
}

// recentJobs returns the newest import jobs.
func (s *Server) recentJobs(ctx context.Context) ([]*roster.Job, error) {
	if err := s.jobsReady(); err != nil {
		return nil, err
	}
	return s.Jobs.FindJobs(ctx, "import", recentImports)
}

// mapImport stores the operator's mapping of a waiting job's columns, once
// the file's header with it has no unknown column left and its key column,
// and queues the job. Columns mapped earlier keep their mapping.
func (s *Server) mapImport(ctx context.Context, id int64, mapping map[string]string) (*roster.Job, error) {
	j, err := s.findImport(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.Status != roster.JobNeedsMapping {
		return nil, roster.Errorf(roster.ECONFLICT, "Import %d is %s: its columns can no longer be mapped.", id, statusText(j.Status))
	}
	mapping = cleanMapping(mapping)
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkMapping(reg, mapping); err != nil {
		return nil, err
	}
	f, err := s.Jobs.OpenJobFile(ctx, j)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := csvio.NewReader(f, j.FileSize, s.ImportLimits)
	if err != nil {
		return nil, asField(err, "file")
	}
	var missing []string
	for h := range mapping {
		if !slices.Contains(r.Header(), h) {
			missing = append(missing, strconv.Quote(h))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, roster.FieldErrors{"mapping": "the file has no column " + strings.Join(missing, ", ")}.Err()
	}
	merged := maps.Clone(j.Options.Mapping)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, mapping)
	opts := j.Options
	opts.Mapping = merged
	plan, err := csvio.PlanColumns(r, reg, opts)
	if err != nil {
		return nil, asField(err, "mapping")
	}
	if len(plan.Unknown) > 0 {
		return nil, roster.FieldErrors{"mapping": fmt.Sprintf("%s still %s no field: map each to a field, or to nothing to ignore it",
			quoteList(plan.Unknown), plural(len(plan.Unknown), "matches", "match"))}.Err()
	}
	if j, err = s.Jobs.SetMapping(ctx, id, merged); err != nil {
		return nil, err
	}
	s.wake()
	return j, nil
}

// followUp returns the real import started from dry run j, if any.
func (s *Server) followUp(ctx context.Context, j *roster.Job) (*roster.Job, error) {
	if !j.Options.DryRun || j.FileJob == 0 {
		return nil, nil
	}
	recent, err := s.recentJobs(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range recent {
		if r.FileJob == j.FileJob && !r.Options.DryRun {
			return r, nil
		}
	}
	return nil, nil
}

// runDryImport starts the real import of a finished dry run: a new job
// with the same options and the dry run's stored file.
func (s *Server) runDryImport(ctx context.Context, id int64) (*roster.Job, error) {
	dry, err := s.findImport(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case !dry.Options.DryRun:
		return nil, roster.Errorf(roster.ECONFLICT, "Import %d is not a dry run: it writes as it goes.", id)
	case dry.Status != roster.JobDone:
		return nil, roster.Errorf(roster.ECONFLICT, "Dry run %d is %s: only a finished dry run can be imported.", id, statusText(dry.Status))
	case dry.FileJob == 0:
		return nil, roster.Errorf(roster.ECONFLICT, "Dry run %d was run from the command line: run roster import again without --dry-run.", id)
	}
	// The real import deletes the stored file when it ends: one per dry run.
	prev, err := s.followUp(ctx, dry)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		return nil, roster.Errorf(roster.ECONFLICT, "Dry run %d has been imported already: import %d.", id, prev.ID)
	}
	opts := dry.Options
	opts.DryRun = false
	j := &roster.Job{Kind: "import", Status: roster.JobQueued, Options: opts,
		FileName: dry.FileName, FileSize: dry.FileSize, FileSHA256: dry.FileSHA256, FileJob: dry.FileJob}
	if err := s.Jobs.CreateJob(ctx, j, nil, 0); err != nil {
		return nil, err
	}
	s.wake()
	return j, nil
}

// cancelImport stops an import that has not finished. Chunks already
// committed stay: a canceled import has imported the rows before them.
func (s *Server) cancelImport(ctx context.Context, id int64, by *roster.Staff) (*roster.Job, error) {
	j, err := s.findImport(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.Status.Finished() {
		return nil, roster.Errorf(roster.ECONFLICT, "Import %d is %s already.", id, statusText(j.Status))
	}
	if err := s.Jobs.FinishJob(ctx, id, roster.JobCanceled, "canceled by "+by.Email); err != nil {
		return nil, err
	}
	return s.Jobs.FindJob(ctx, id)
}

// statusText says a job status in words.
func statusText(st roster.JobStatus) string {
	switch st {
	case roster.JobNeedsMapping:
		return "waiting for its columns to be mapped"
	case roster.JobQueued:
		return "waiting to run"
	case roster.JobRunning:
		return "running"
	case roster.JobDone:
		return "done"
	case roster.JobFailed:
		return "failed"
	case roster.JobCanceled:
		return "canceled"
	}
	return string(st)
}

// quoteList writes cells for a message: "a", "b" and "c".
func quoteList(cells []string) string {
	q := make([]string, len(cells))
	for i, c := range cells {
		q[i] = strconv.Quote(c)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// importBody is an import job as the API shows it: the job, the share of
// its file read, and where its failed rows are.
type importBody struct {
	*roster.Job
	Progress      float64 `json:"progress"`
	URL           string  `json:"url"`
	ErrorsURL     string  `json:"errors_url"`
	FailedRowsURL string  `json:"failed_rows_url"`
}

func importJSON(j *roster.Job) importBody {
	u := "/api/v1/imports/" + strconv.FormatInt(j.ID, 10)
	return importBody{Job: j, Progress: j.Progress(), URL: u, ErrorsURL: u + "/errors", FailedRowsURL: u + "/failed.csv"}
}

// readUpload reads a multipart upload of at most the import limit and
// returns its file part. On a page the body was parsed already, for the
// CSRF field; the size check below still holds there.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (multipart.File, *multipart.FileHeader, error) {
	limit := s.importMaxBytes()
	if r.MultipartForm == nil {
		// The multipart framing and the other parts fit in the extra MiB.
		r.Body = http.MaxBytesReader(w, r.Body, limit+uploadPrefix)
	}
	if err := r.ParseMultipartForm(uploadPrefix); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, tooLarge(limit)
		}
		if errors.Is(err, http.ErrNotMultipart) {
			return nil, nil, roster.Errorf(roster.EINVALID, "Send the file as multipart/form-data, in a part named file.")
		}
		return nil, nil, roster.Errorf(roster.EINVALID, "The upload could not be read: %v.", err)
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		return nil, nil, roster.Errorf(roster.EINVALID, "The request has no file: send the CSV file in a multipart part named file.")
	}
	if fh.Size > limit {
		f.Close()
		return nil, nil, tooLarge(limit)
	}
	return f, fh, nil
}

// writeFailedCSV sends the failed rows of j as a CSV attachment, with the
// file's header and a reason column: fixed, it can be imported as it is.
func (s *Server) writeFailedCSV(w http.ResponseWriter, r *http.Request, j *roster.Job) {
	name := strings.TrimSuffix(strings.TrimSuffix(j.FileName, ".csv"), ".CSV") + "-failed.csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if cd == "" {
		cd = `attachment; filename="import-failed.csv"`
	}
	w.Header().Set("Content-Disposition", cd)
	if err := csvio.WriteFailedRows(r.Context(), s.Jobs, j, w, nil); err != nil && r.Context().Err() == nil {
		// The status is sent: log, and let the client see a cut file.
		s.Logger.Error("failed rows csv", "job_id", j.ID, "err", err)
	}
}
