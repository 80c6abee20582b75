package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// The import pages: the upload form, the list of recent imports, and one
// import's page, which is a mapping form while the job waits for one, a
// progress bar that import.js keeps current while it runs, and the outcome
// with the failed rows once it has finished.

// option is one choice of a select or a radio group.
type option struct {
	Value, Label, Hint string
}

var importModes = []option{
	{string(roster.ImportUpsert), "Create or update", "add new users, update those that exist"},
	{string(roster.ImportCreate), "Create only", "rows of users that exist fail"},
	{string(roster.ImportUpdate), "Update only", "rows of users that do not exist fail"},
}

var importKeys = []option{
	{"email", "Email", ""},
	{"client_id", "Client ID", ""},
	{"id", "User ID", "the u_… ids of an export"},
}

// importFormView is the upload form as typed.
type importFormView struct {
	Mode, Key string
	DryRun    bool
	Error     string
	Modes     []option
	Keys      []option
	MaxSize   string
}

func (s *Server) importForm(f importFormView) importFormView {
	f.Modes, f.Keys, f.MaxSize = importModes, importKeys, roster.FormatBytes(s.importMaxBytes())
	return f
}

func (s *Server) handleImportForm(w http.ResponseWriter, r *http.Request) {
	v := s.importForm(importFormView{Mode: string(roster.ImportUpsert), Key: "email", DryRun: true})
	if err := s.jobsReady(); err != nil {
		v.Error = roster.ErrorMessage(err)
	}
	s.render(w, r, http.StatusOK, "import", "Import users", v)
}

// handleImportUpload stores the file and sends to its job's page; a file
// that cannot be imported shows the form again with the reason.
func (s *Server) handleImportUpload(w http.ResponseWriter, r *http.Request) {
	f, fh, err := s.readUpload(w, r)
	v := s.importForm(importFormView{Mode: r.PostFormValue("mode"), Key: r.PostFormValue("key"), DryRun: r.PostFormValue("dry_run") != ""})
	var j *roster.Job
	if err == nil {
		defer f.Close()
		j, err = s.createImport(r.Context(), f, fh.Filename, roster.ImportOptions{Mode: roster.ImportMode(v.Mode), Key: v.Key, DryRun: v.DryRun})
	}
	if err != nil {
		status := errorStatus(err)
		var tl tooLargeError
		switch {
		case status == http.StatusInternalServerError:
			s.error(w, r, err)
			return
		case errors.As(err, &tl):
			status = http.StatusRequestEntityTooLarge
		case status == http.StatusBadRequest:
			status = http.StatusUnprocessableEntity
		}
		v.Error = roster.ErrorMessage(err)
		s.render(w, r, status, "import", "Import users", v)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/imports/%d", j.ID), http.StatusSeeOther)
}

// importRow is an import of the list.
type importRow struct {
	*roster.Job
	Status  string
	Created string
	Counts  string
}

func (s *Server) handleImports(w http.ResponseWriter, r *http.Request) {
	list, err := s.recentJobs(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	loc := staffFrom(r).Location()
	rows := make([]importRow, len(list))
	for i, j := range list {
		rows[i] = importRow{Job: j, Status: statusLabel(j.Status), Created: formatWhen(j.CreatedAt, loc), Counts: countsText(j)}
	}
	s.render(w, r, http.StatusOK, "imports", "Imports", struct{ Imports []importRow }{rows})
}

// statusLabel is a job status as its badge shows it.
func statusLabel(st roster.JobStatus) string {
	if st == roster.JobNeedsMapping {
		return "needs mapping"
	}
	return string(st)
}

// countsText sums up what an import did, or would do.
func countsText(j *roster.Job) string {
	c := j.Counts
	if c.Read == 0 && !j.Status.Finished() {
		return ""
	}
	verb := ""
	if j.Options.DryRun {
		verb = " would be"
	}
	parts := []string{thousands(c.Created) + verb + " created", thousands(c.Updated) + " updated"}
	if c.Unchanged > 0 {
		parts = append(parts, thousands(c.Unchanged)+" unchanged")
	}
	parts = append(parts, thousands(c.Failed)+" failed")
	return strings.Join(parts, ", ")
}

// mappingRow is an unknown column of the mapping form with the field
// chosen for it: a field key, "-" to ignore it, "" for none yet.
type mappingRow struct {
	Column, Field string
}

// cellError is one problem of a failed row, with the cell it is about.
type cellError struct {
	Row             int64
	Column, Message string
	Value           string
}

// importJobView is the page of one import.
type importJobView struct {
	Job    *roster.Job
	Status string
	Size   string
	Error  string

	// While it waits for a mapping.
	Mapping  []mappingRow
	Targets  []roster.Field
	KeyLabel string

	// While it runs.
	Live    bool
	Percent int
	Counts  []countView

	// Once finished.
	Summary  string
	Failed   []cellError
	Rows     int // failed rows shown
	More     bool
	CanRun   bool
	FollowUp *roster.Job
	Imported bool
}

// countView is one number of the progress, named for import.js.
type countView struct {
	Key, Label, Value string
}

// shownFailedRows is how many failed rows the page lists; the CSV has all.
const shownFailedRows = 100

func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	j, ok := s.loadImport(w, r)
	if !ok {
		return
	}
	s.renderImport(w, r, http.StatusOK, j, "", nil)
}

// renderImport shows job j; msg, when set, is why the last form failed,
// and picked the mapping that form chose.
func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, j *roster.Job, msg string, picked map[string]string) {
	ctx := r.Context()
	v := importJobView{Job: j, Status: statusLabel(j.Status), Size: roster.FormatBytes(j.FileSize), Error: msg}
	c := j.Counts
	v.Counts = []countView{
		{"read", "Rows read", thousands(c.Read)},
		{"created", "Created", thousands(c.Created)},
		{"updated", "Updated", thousands(c.Updated)},
		{"unchanged", "Unchanged", thousands(c.Unchanged)},
		{"failed", "Failed", thousands(c.Failed)},
	}
	switch {
	case j.Status == roster.JobNeedsMapping:
		reg, err := s.Fields.Registry(ctx)
		if err != nil {
			s.error(w, r, err)
			return
		}
		v.Targets = mappingTargets(reg)
		if f, ok := reg.Field(j.Options.Key); ok {
			v.KeyLabel = f.Label
		}
		for _, col := range j.Unknown {
			v.Mapping = append(v.Mapping, mappingRow{Column: col, Field: picked[col]})
		}
	case !j.Status.Finished():
		v.Live = true
		v.Percent = int(j.Progress() * 100)
	default:
		v.Summary = summary(j)
		rows, err := s.Jobs.FailedRows(ctx, j.ID, 0, shownFailedRows+1)
		if err != nil {
			s.error(w, r, err)
			return
		}
		if len(rows) > shownFailedRows {
			rows, v.More = rows[:shownFailedRows], true
		}
		v.Rows = len(rows)
		for _, fr := range rows {
			for _, e := range fr.Errors {
				ce := cellError{Row: fr.Row, Column: e.Column, Message: e.Message}
				if i := slices.Index(j.Header, e.Column); e.Column != "" && i >= 0 && i < len(fr.Cells) {
					ce.Value = fr.Cells[i]
				}
				v.Failed = append(v.Failed, ce)
			}
		}
		if j.Options.DryRun && j.Status == roster.JobDone {
			if v.FollowUp, err = s.followUp(ctx, j); err != nil {
				s.error(w, r, err)
				return
			}
			v.CanRun = v.FollowUp == nil && j.FileJob != 0
		}
		v.Imported = !j.Options.DryRun && c.Created+c.Updated > 0
	}
	title := "Import of " + j.FileName
	if j.Options.DryRun {
		title = "Dry run of " + j.FileName
	}
	s.render(w, r, status, "import_job", title, v)
}

// summary says in one sentence how a finished import went.
func summary(j *roster.Job) string {
	c := j.Counts
	switch {
	case j.Status == roster.JobDone && j.Options.DryRun:
		return "Dry run: " + countsText(j) + " — nothing was written."
	case j.Status == roster.JobDone:
		return "Imported: " + countsText(j) + "."
	}
	var b strings.Builder
	if j.Status == roster.JobCanceled {
		b.WriteString("Canceled")
		if j.Error != "" {
			b.WriteString(" (" + j.Error + ")")
		}
		b.WriteString(".")
	} else {
		b.WriteString("The import stopped: " + strings.TrimSuffix(j.Error, ".") + ".")
	}
	if !j.Options.DryRun && c.Created+c.Updated > 0 {
		fmt.Fprintf(&b, " Before that, %s %s created and %s updated.", thousands(c.Created), plural(int(c.Created), "user was", "users were"), thousands(c.Updated))
	} else if j.Options.DryRun {
		b.WriteString(" Nothing was written.")
	}
	return b.String()
}

func (s *Server) handleImportFailedCSV(w http.ResponseWriter, r *http.Request) {
	j, ok := s.loadImport(w, r)
	if !ok {
		return
	}
	s.writeFailedCSV(w, r, j)
}

// importFormError shows job id again with the reason its form failed;
// internal errors get the error page.
func (s *Server) importFormError(w http.ResponseWriter, r *http.Request, id int64, err error, picked map[string]string) {
	status := errorStatus(err)
	if status == http.StatusInternalServerError || status == http.StatusNotFound {
		s.error(w, r, err)
		return
	}
	if status == http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
	}
	j, jerr := s.findImport(r.Context(), id)
	if jerr != nil {
		s.error(w, r, jerr)
		return
	}
	s.renderImport(w, r, status, j, roster.ErrorMessage(err), picked)
}

// handleImportMapping reads the mapping form: a column and a field per
// unknown column, "-" for a column to ignore.
func (s *Server) handleImportMapping(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.error(w, r, err)
		return
	}
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	cols, fields := r.PostForm["column"], r.PostForm["field"]
	picked := map[string]string{}
	var none []string
	for i, col := range cols {
		f := ""
		if i < len(fields) {
			f = strings.TrimSpace(fields[i])
		}
		picked[col] = f
		if f == "" {
			none = append(none, col)
		}
	}
	if len(cols) == 0 || len(cols) != len(fields) {
		s.importFormError(w, r, id, roster.Errorf(roster.EINVALID, "The mapping form was incomplete: reload the page and try again."), picked)
		return
	}
	if len(none) > 0 {
		s.importFormError(w, r, id, roster.Errorf(roster.EINVALID, "Choose a field for %s, or Ignore this column.", quoteList(none)), picked)
		return
	}
	mapping := map[string]string{}
	for col, f := range picked {
		if f == "-" {
			f = ""
		}
		mapping[col] = f
	}
	if _, err := s.mapImport(r.Context(), id, mapping); err != nil {
		s.importFormError(w, r, id, err, picked)
		return
	}
	s.setFlash(w, r, "Columns mapped: the import is on its way.")
	http.Redirect(w, r, "/imports/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// handleImportRun starts the real import of a finished dry run.
func (s *Server) handleImportRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.runDryImport(r.Context(), id)
	if err != nil {
		s.importFormError(w, r, id, err, nil)
		return
	}
	http.Redirect(w, r, "/imports/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

func (s *Server) handleImportCancel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.cancelImport(r.Context(), id, staffFrom(r)); err != nil {
		s.importFormError(w, r, id, err, nil)
		return
	}
	s.setFlash(w, r, "Import canceled.")
	http.Redirect(w, r, "/imports/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
