package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"roster"
)

// Users → Subscribers: paste addresses to subscribe or unsubscribe,
// preview what would happen, then apply it as a job.

// subscribersView is what the Subscribers page shows: the form, and after
// a preview its outcomes; with a job, the job's progress.
type subscribersView struct {
	Text     string
	Options  roster.PasteOptions
	Error    string
	Errors   map[string]string
	Preview  *roster.PastePreview
	Job      *roster.Job
	Done     int // the job's addresses done, and all of them
	Total    int
	Outcomes []jobOutcome
	Max      int
	MaxLen   int
}

// jobOutcome is one outcome of a running or finished paste job.
type jobOutcome struct {
	Label string
	Count int
}

// handleSubscribers shows the paste form, or a paste job's progress
// (?job=id).
func (s *Server) handleSubscribers(w http.ResponseWriter, r *http.Request) {
	v := subscribersView{Options: roster.PasteOptions{Mode: roster.PasteSubscribe, Validate: true}}
	if id := r.URL.Query().Get("job"); id != "" {
		j, err := s.pasteJob(r, id)
		if err != nil {
			s.error(w, r, err)
			return
		}
		v.Job, v.Outcomes, v.Done, v.Total = j, jobOutcomes(j), int(j.Position), int(j.Total)
	}
	s.renderSubscribers(w, r, http.StatusOK, v)
}

func (s *Server) renderSubscribers(w http.ResponseWriter, r *http.Request, status int, v subscribersView) {
	v.Max, v.MaxLen = roster.MaxPasteAddresses, roster.MaxConsentLen
	s.render(w, r, status, "subscribers", "Subscribers", v)
}

// pasteJob loads the paste job with id (a decimal string). ENOTFOUND for
// a job of another kind.
func (s *Server) pasteJob(r *http.Request, id string) (*roster.Job, error) {
	if err := s.jobsReady(); err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, roster.Errorf(roster.ENOTFOUND, "There is no paste job %q.", id)
	}
	j, err := s.Jobs.FindJob(r.Context(), n)
	if err != nil {
		return nil, err
	}
	if j.Kind != roster.JobSubscribers {
		return nil, roster.Errorf(roster.ENOTFOUND, "There is no paste job %d.", n)
	}
	return j, nil
}

// jobOutcomes lists a paste job's tally in the preview's order.
func jobOutcomes(j *roster.Job) []jobOutcome {
	var out []jobOutcome
	for _, o := range roster.PasteOutcomeLabels() {
		if n := j.Tally[o[0]]; n > 0 {
			out = append(out, jobOutcome{Label: o[1], Count: int(n)})
		}
	}
	return out
}

// pasteForm reads the paste form.
func pasteForm(r *http.Request) (string, roster.PasteOptions) {
	return r.PostFormValue("addresses"), roster.PasteOptions{
		Mode:     roster.PasteMode(r.PostFormValue("mode")),
		Create:   r.PostFormValue("create") != "",
		Consent:  strings.TrimSpace(r.PostFormValue("consent")),
		Validate: r.PostFormValue("validate") != "",
	}
}

// preparePaste checks the options and reads and previews text: a few
// lookups however many addresses it holds.
func (s *Server) preparePaste(r *http.Request, text string, opts roster.PasteOptions) ([]roster.PasteEntry, *roster.PastePreview, error) {
	if err := opts.Check(); err != nil {
		return nil, nil, err
	}
	entries, err := roster.ParsePaste(text, opts.Validate)
	if err != nil {
		return nil, nil, err
	}
	found, err := s.Subscribers.FindSubscribers(r.Context(), roster.PasteAddresses(entries))
	if err != nil {
		return nil, nil, err
	}
	return entries, roster.PreviewPaste(entries, opts, found), nil
}

// handleSubscribersPreview shows what a paste would do, with the button
// that applies it.
func (s *Server) handleSubscribersPreview(w http.ResponseWriter, r *http.Request) {
	text, opts := pasteForm(r)
	v := subscribersView{Text: text, Options: opts}
	_, p, err := s.preparePaste(r, text, opts)
	if err != nil {
		s.pasteRefused(w, r, v, err)
		return
	}
	v.Preview = p
	s.renderSubscribers(w, r, http.StatusOK, v)
}

// pasteRefused shows the form again with the problem, or the error page
// for an error that is not the paste's.
func (s *Server) pasteRefused(w http.ResponseWriter, r *http.Request, v subscribersView, err error) {
	if roster.ErrorCode(err) != roster.EINVALID {
		s.error(w, r, err)
		return
	}
	v.Error, v.Errors = roster.ErrorMessage(err), roster.ErrorFields(err)
	s.renderSubscribers(w, r, http.StatusUnprocessableEntity, v)
}

// handleSubscribersApply starts the job that applies a paste and shows
// its progress.
func (s *Server) handleSubscribersApply(w http.ResponseWriter, r *http.Request) {
	text, opts := pasteForm(r)
	j, err := s.startPaste(r, text, opts)
	if err != nil {
		s.pasteRefused(w, r, subscribersView{Text: text, Options: opts}, err)
		return
	}
	s.setFlash(w, r, "The paste is being applied: "+j.Note+".")
	http.Redirect(w, r, "/users/subscribers?job="+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

// startPaste checks a paste and queues the job that applies it.
func (s *Server) startPaste(r *http.Request, text string, opts roster.PasteOptions) (*roster.Job, error) {
	if err := s.jobsReady(); err != nil {
		return nil, err
	}
	if err := opts.Check(); err != nil {
		return nil, err
	}
	entries, err := roster.ParsePaste(text, opts.Validate)
	if err != nil {
		return nil, err
	}
	j, err := roster.NewPasteJob(opts, text, len(entries))
	if err != nil {
		return nil, err
	}
	if err := s.Jobs.CreateJob(r.Context(), j, nil, 0); err != nil {
		return nil, err
	}
	if s.WakeJobs != nil {
		s.WakeJobs()
	}
	return j, nil
}

// pasteRequest is the JSON body of the API's paste routes: the addresses
// as one text or as an array, and the options.
type pasteRequest struct {
	Addresses json.RawMessage `json:"addresses"`
	roster.PasteOptions
}

// maxPasteBody bounds the API's paste body: the largest paste, as JSON.
const maxPasteBody = 2*roster.MaxPasteBytes + 4096

// readPasteRequest reads the API's paste body.
func readPasteRequest(w http.ResponseWriter, r *http.Request) (string, roster.PasteOptions, error) {
	var req pasteRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPasteBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", req.PasteOptions, tooLargeError{roster.Errorf(roster.EINVALID, "The request body is larger than %d bytes.", maxPasteBody)}
		}
		return "", req.PasteOptions, roster.Errorf(roster.EINVALID, "The request body could not be read.")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return "", req.PasteOptions, roster.FieldErrors{te.Field: "must be " + jsonKind(te.Type)}.Err()
		}
		return "", req.PasteOptions, roster.Errorf(roster.EINVALID, "The request body must be a JSON object with addresses, mode, create, consent and validate: %s", fieldDecodeProblem(err))
	}
	var text string
	var list []string
	switch {
	case len(req.Addresses) == 0:
		return "", req.PasteOptions, roster.FieldErrors{"addresses": "is required: a text or an array of addresses"}.Err()
	case json.Unmarshal(req.Addresses, &text) == nil:
	case json.Unmarshal(req.Addresses, &list) == nil:
		text = strings.Join(list, "\n")
	default:
		return "", req.PasteOptions, roster.FieldErrors{"addresses": "must be a text or an array of texts"}.Err()
	}
	return text, req.PasteOptions, nil
}

// apiSubscribersPreview answers what a paste would do.
func (s *Server) apiSubscribersPreview(w http.ResponseWriter, r *http.Request) {
	text, opts, err := readPasteRequest(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	_, p, err := s.preparePaste(r, text, opts)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// pasteJobJSON is a paste job as the API shows it: without its text.
type pasteJobJSON struct {
	ID       int64            `json:"id"`
	Status   roster.JobStatus `json:"status"`
	Note     string           `json:"note"`
	Total    int64            `json:"total"`
	Done     int64            `json:"done"`
	Progress float64          `json:"progress"`
	Counts   map[string]int64 `json:"counts"`
	Error    string           `json:"error,omitempty"`
	URL      string           `json:"url"`
}

func pasteJSON(j *roster.Job) pasteJobJSON {
	counts := j.Tally
	if counts == nil {
		counts = map[string]int64{}
	}
	return pasteJobJSON{ID: j.ID, Status: j.Status, Note: j.Note, Total: j.Total, Done: j.Position, Progress: j.Progress(),
		Counts: counts, Error: j.Error, URL: "/api/v1/subscribers/" + strconv.FormatInt(j.ID, 10)}
}

// apiSubscribersApply starts the job that applies a paste: 202 with the
// job, which GET /api/v1/subscribers/{id} follows.
func (s *Server) apiSubscribersApply(w http.ResponseWriter, r *http.Request) {
	text, opts, err := readPasteRequest(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.startPaste(r, text, opts)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, pasteJSON(j))
}

// apiSubscribersJob shows a paste job's progress.
func (s *Server) apiSubscribersJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.pasteJob(r, r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pasteJSON(j))
}
