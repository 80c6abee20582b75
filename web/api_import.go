package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// uploadFields are the parts an import upload may have besides the file.
var uploadFields = []string{"mode", "key", "dry_run", "mapping"}

// importError answers a failed import request: an upload over the limit
// is a 413 in the API; the rest as any error.
func (s *Server) importError(w http.ResponseWriter, r *http.Request, err error) {
	var tl tooLargeError
	if isAPI(r) && errors.As(err, &tl) {
		var body errorBody
		body.Error.Code, body.Error.Message, body.Error.Fields = tl.err.Code, tl.err.Message, tl.err.Fields
		writeJSON(w, http.StatusRequestEntityTooLarge, body)
		return
	}
	s.error(w, r, err)
}

// apiCreateImport is POST /api/v1/imports: a multipart upload of the file
// with the import's options. It answers 202 with the job, queued or
// waiting for a mapping.
func (s *Server) apiCreateImport(w http.ResponseWriter, r *http.Request) {
	if err := s.jobsReady(); err != nil {
		s.error(w, r, err)
		return
	}
	f, fh, err := s.readUpload(w, r)
	if err != nil {
		s.importError(w, r, err)
		return
	}
	defer f.Close()
	// Parts are checked as strictly as JSON members: a misspelt option
	// must not be ignored.
	for name := range r.MultipartForm.Value {
		if !slices.Contains(uploadFields, name) {
			s.error(w, r, roster.Errorf(roster.EINVALID, "Unknown part %s: an import takes file, mode, key, dry_run and mapping.", roster.Quote(name)))
			return
		}
	}
	for name := range r.MultipartForm.File {
		if name != "file" {
			s.error(w, r, roster.Errorf(roster.EINVALID, "Unknown file part %s: send the CSV file in a part named file.", roster.Quote(name)))
			return
		}
	}
	val := func(k string) string { return strings.TrimSpace(r.MultipartForm.Value[k][0]) }
	opts := roster.ImportOptions{}
	if _, ok := r.MultipartForm.Value["mode"]; ok {
		opts.Mode = roster.ImportMode(val("mode"))
	}
	if _, ok := r.MultipartForm.Value["key"]; ok {
		opts.Key = val("key")
	}
	if _, ok := r.MultipartForm.Value["dry_run"]; ok && val("dry_run") != "" {
		b, err := strconv.ParseBool(val("dry_run"))
		if err != nil {
			s.error(w, r, roster.FieldErrors{"dry_run": "must be true or false"}.Err())
			return
		}
		opts.DryRun = b
	}
	if _, ok := r.MultipartForm.Value["mapping"]; ok && val("mapping") != "" {
		if msg := jsonTextProblem([]byte(val("mapping"))); msg != "" {
			s.error(w, r, roster.Errorf(roster.EINVALID, "The part \"mapping\" %s.", msg))
			return
		}
		if err := json.Unmarshal([]byte(val("mapping")), &opts.Mapping); err != nil {
			s.error(w, r, roster.FieldErrors{"mapping": `must be a JSON object from column name to field key ("" ignores the column)`}.Err())
			return
		}
		opts.Mapping = cleanMapping(opts.Mapping)
	}
	j, err := s.createImport(r.Context(), f, fh.Filename, opts)
	if err != nil {
		s.importError(w, r, err)
		return
	}
	w.Header().Set("Location", importJSON(j).URL)
	writeJSON(w, http.StatusAccepted, importJSON(j))
}

// apiListImports is GET /api/v1/imports: the newest imports.
func (s *Server) apiListImports(w http.ResponseWriter, r *http.Request) {
	list, err := s.recentJobs(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]importBody, len(list))
	for i, j := range list {
		out[i] = importJSON(j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"imports": out})
}

// pathImport reads the import job the path names.
// loadImport finds the import job of the path, or answers the request.
func (s *Server) loadImport(w http.ResponseWriter, r *http.Request) (*roster.Job, bool) {
	return loadByID(s, w, r, "id", "import", s.findImport)
}

func (s *Server) apiGetImport(w http.ResponseWriter, r *http.Request) {
	j, ok := s.loadImport(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, importJSON(j))
}

// apiMapImport is POST /api/v1/imports/{id}/mapping: {"mapping": {"Column
// as written": "field_key", "Other": ""}} for a job waiting for one.
func (s *Server) apiMapImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		Mapping map[string]string `json:"mapping"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Mapping == nil {
		s.error(w, r, roster.FieldErrors{"mapping": "is required: an object from column name to field key"}.Err())
		return
	}
	j, err := s.mapImport(r.Context(), id, in.Mapping)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, importJSON(j))
}

// apiRunImport is POST /api/v1/imports/{id}/run: the real import of a
// finished dry run, a new job.
func (s *Server) apiRunImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.runDryImport(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", importJSON(j).URL)
	writeJSON(w, http.StatusAccepted, importJSON(j))
}

func (s *Server) apiCancelImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "import")
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.cancelImport(r.Context(), id, staffFrom(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, importJSON(j))
}

// maxErrorsPage bounds one page of failed rows.
const maxErrorsPage = 1000

// apiImportErrors is GET /api/v1/imports/{id}/errors?after=ROW&limit=N:
// failed rows in row order; next_after, present when there may be more,
// is the after of the next page.
func (s *Server) apiImportErrors(w http.ResponseWriter, r *http.Request) {
	j, ok := s.loadImport(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var after int64
	var err error
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			s.error(w, r, roster.Errorf(roster.EINVALID, "after must be a row number (0 or more), not %s.", roster.Quote(v)))
			return
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxErrorsPage {
			s.error(w, r, roster.Errorf(roster.EINVALID, "limit must be a whole number from 1 to %d, not %s.", maxErrorsPage, roster.Quote(v)))
			return
		}
	}
	rows, err := s.Jobs.FailedRows(r.Context(), j.ID, after, limit+1)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := map[string]any{}
	if len(rows) > limit {
		rows = rows[:limit]
		out["next_after"] = rows[limit-1].Row
	}
	if rows == nil {
		rows = []roster.FailedRow{}
	}
	out["rows"] = rows
	writeJSON(w, http.StatusOK, out)
}

// apiImportFailedCSV is GET /api/v1/imports/{id}/failed.csv.
func (s *Server) apiImportFailedCSV(w http.ResponseWriter, r *http.Request) {
	j, ok := s.loadImport(w, r)
	if !ok {
		return
	}
	s.writeFailedCSV(w, r, j)
}
