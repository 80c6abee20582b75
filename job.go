package roster

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ImportMode says what an import does with each row.
type ImportMode string

// Import modes. Create refuses rows whose key exists, update refuses rows
// whose key does not, upsert does whichever applies.
const (
	ImportCreate ImportMode = "create"
	ImportUpdate ImportMode = "update"
	ImportUpsert ImportMode = "upsert"
)

// ImportKeys are the fields an import may match existing users on.
var ImportKeys = []string{"email", "client_id", "id"}

// ImportOptions are what the operator chose for an import.
type ImportOptions struct {
	Mode   ImportMode `json:"mode"`
	Key    string     `json:"key"`
	DryRun bool       `json:"dry_run"`
	// Mapping overrides header matching: header cell as written → field
	// key, or "" to ignore the column.
	Mapping map[string]string `json:"mapping,omitempty"`
}

// Normalize fills the defaults: upsert keyed by email.
func (o *ImportOptions) Normalize() {
	if o.Mode == "" {
		o.Mode = ImportUpsert
	}
	if o.Key == "" {
		o.Key = "email"
	}
}

// Validate checks the mode and key. EINVALID.
func (o *ImportOptions) Validate() error {
	fe := FieldErrors{}
	switch o.Mode {
	case ImportCreate, ImportUpdate, ImportUpsert:
	default:
		fe.Add("mode", quote(string(o.Mode))+" is not one of create, update, upsert")
	}
	if !slices.Contains(ImportKeys, o.Key) {
		fe.Add("key", quote(o.Key)+" is not one of "+strings.Join(ImportKeys, ", "))
	}
	return fe.Err()
}

// JobStatus is where a job is in its life.
type JobStatus string

// Job statuses. A job needing a mapping waits for the operator to say what
// its unknown columns are; a running job whose process died is taken over.
const (
	JobNeedsMapping JobStatus = "needs_mapping"
	JobQueued       JobStatus = "queued"
	JobRunning      JobStatus = "running"
	JobDone         JobStatus = "done"
	JobFailed       JobStatus = "failed"
	JobCanceled     JobStatus = "canceled"
)

// Finished reports whether the job will not run again.
func (s JobStatus) Finished() bool {
	return s == JobDone || s == JobFailed || s == JobCanceled
}

// ImportCounts are an import's progress: rows read and what became of them.
type ImportCounts struct {
	Read      int64 `json:"read"`
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Failed    int64 `json:"failed"`
}

// Add adds d to c.
func (c *ImportCounts) Add(d ImportCounts) {
	c.Read += d.Read
	c.Created += d.Created
	c.Updated += d.Updated
	c.Unchanged += d.Unchanged
	c.Failed += d.Failed
}

// JobKind names what a job does. Package jobs runs each kind with its
// handler; a kind is a handler plus its options (Job.Params).
type JobKind string

// JobImport imports a CSV file: Options, the file, Counts and failed rows.
const JobImport JobKind = "import"

// Job is long work with stored progress. An import keeps its file, options
// and counts in the fields made for it; another kind keeps its options in
// Params, says what it does in Note and counts in Tally.
type Job struct {
	ID      int64         `json:"id"`
	Kind    JobKind       `json:"kind"`
	Status  JobStatus     `json:"status"`
	Options ImportOptions `json:"options"`
	// Params are the options of a kind other than import, as its handler
	// reads them (JSON).
	Params json.RawMessage `json:"params,omitempty"`
	// Note says in one line what a job of another kind than import does
	// ("invite 1,204 users matching status:pending"); it is audited.
	Note string `json:"note,omitempty"`
	// Total is how many items a job of another kind has to go through,
	// for its progress; Tally counts what became of them, by name.
	Total int64            `json:"total,omitempty"`
	Tally map[string]int64 `json:"tally,omitempty"`

	FileName   string `json:"file_name"`
	FileSize   int64  `json:"file_size"`
	FileSHA256 string `json:"file_sha256"`
	// FilePath is set for imports run by the CLI, which read the operator's
	// own file; uploads are stored in the database with the job (in
	// FileJob's chunks, which a dry run's follow-up shares).
	FilePath string `json:"-"`
	FileJob  int64  `json:"-"`

	// Header is the file's header row, once a run has read it.
	Header []string `json:"header,omitempty"`
	// Unknown lists the header cells that match no field, while the job
	// needs a mapping.
	Unknown []string `json:"unknown_columns,omitempty"`

	// Position is the spreadsheet row number of the last row whose outcome
	// is committed (1: the header); Offset is the byte offset after it.
	// Another kind gives Position its own meaning (the last item done),
	// 0 before the first.
	Position int64        `json:"position"`
	Offset   int64        `json:"offset"`
	Counts   ImportCounts `json:"counts"`
	Error    string       `json:"error,omitempty"`

	StaffID    int64     `json:"-"`
	Actor      string    `json:"actor"`
	Owner      string    `json:"-"` // the process running it
	CreatedAt  time.Time `json:"created_at"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Progress is the share of the file read, 0 to 1; for another kind than
// import, the share of its Total counted in Tally.
func (j *Job) Progress() float64 {
	if j.Status == JobDone {
		return 1
	}
	if j.Kind != JobImport && j.Kind != "" {
		if j.Total <= 0 {
			return 0
		}
		var n int64
		for _, c := range j.Tally {
			n += c
		}
		return min(float64(n)/float64(j.Total), 1)
	}
	if j.FileSize <= 0 {
		return 0
	}
	return min(float64(j.Offset)/float64(j.FileSize), 1)
}

// CellError is one problem of one row: Column is the header cell as the file
// wrote it, "" for the whole row.
type CellError struct {
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// FailedRow is a row an import did not apply, with every reason and the
// row's cells as read, so that the operator can fix and re-import it.
type FailedRow struct {
	Row    int64       `json:"row"`
	Errors []CellError `json:"errors"`
	Cells  []string    `json:"cells,omitempty"`
}

// Reason joins the row's errors into one line for the failed-rows CSV.
func (r *FailedRow) Reason() string {
	s := ""
	for i, e := range r.Errors {
		if i > 0 {
			s += "; "
		}
		if e.Column != "" {
			s += e.Column + ": "
		}
		s += e.Message
	}
	return s
}

// UniqueValue is a value of a unique field (email, client_id, id) as the
// store keeps it and an import compares it: trimmed, emails lower case.
func UniqueValue(field string, v any) string {
	s, _ := v.(string)
	s = strings.TrimSpace(s)
	if field == "email" {
		s = strings.ToLower(s)
	}
	return s
}

// ImportRow is one decoded row on its way to the store.
type ImportRow struct {
	Row int64
	// Key is the row's normalised value of the import's key field.
	Key    string
	Values map[string]any // by field key, typed as User.Get returns them; tags and groups as names
	// PasswordHash is the hash to store: ours of a plain password column,
	// or a checked hash from a password_hash column.
	PasswordHash string
	Cells        []string
	// New is the row applied to a new user and validated by the importer
	// as it reads the file, off the writer's path; nil when it is not
	// valid as a new user, and NewErrors say why (it may still be valid
	// as an update, which is validated when the user it updates is read).
	New       *User
	NewErrors []CellError
}

// ImportChunk is a run of consecutive rows of an import: the rows for the
// store, the rows that failed before reaching it, and where the job stands
// after them.
type ImportChunk struct {
	Rows   []ImportRow
	Failed []FailedRow
	Read   int64 // rows read, failed ones included
	// From is the position the chunk continues from: the job's, or the
	// previous chunk's To within one ImportTx.
	From, To int64
	Offset   int64
	// Headers names each field key's column in messages; Header is the
	// file's, kept with the job for the failed-rows file.
	Headers ImportHeaders
	Header  []string
}

// JobService stores jobs and applies imports.
type JobService interface {
	// CreateJob stores j; file, when not nil, is the uploaded file, read to
	// the end and kept with the job. EINVALID when it is too large. An
	// import is audited as "users.import", another kind as "jobs.<kind>"
	// with its Note.
	CreateJob(ctx context.Context, j *Job, file io.Reader, maxBytes int64) error
	FindJob(ctx context.Context, id int64) (*Job, error)
	FindJobs(ctx context.Context, kind JobKind, limit int) ([]*Job, error)
	// OpenJobFile reads the uploaded file of job j.
	OpenJobFile(ctx context.Context, j *Job) (io.ReadCloser, error)
	// QueuedJobs returns the ids of uploaded jobs waiting to run or running,
	// oldest first: what a server's runner looks at.
	QueuedJobs(ctx context.Context) ([]int64, error)
	// FindResumable returns the newest unfinished CLI import of the file
	// with sha256 and the same options, or nil.
	FindResumable(ctx context.Context, sha256 string, opts ImportOptions) (*Job, error)
	// ClaimJob makes owner the job's runner if it is queued, or running
	// under an owner that staleOwner reports dead. It reports whether it did.
	ClaimJob(ctx context.Context, id int64, owner string, staleOwner func(owner string, heartbeat time.Time) bool) (bool, error)
	// Heartbeat tells other processes that owner still runs job id.
	Heartbeat(ctx context.Context, id int64, owner string) error
	// BeginImport opens the transaction that applies the next chunks of
	// job j, which must still be j.Owner's at j.Position.
	BeginImport(ctx context.Context, j *Job) (ImportTx, error)
	// MoveJob records that the running job j has done its items up to
	// position, with tally, and sets them in j: for a kind whose items are
	// not written in the same transaction (the store's own kinds move the
	// job in theirs). ECONFLICT when j is no longer j.Owner's at
	// j.Position (taken over, or canceled).
	MoveJob(ctx context.Context, j *Job, position int64, tally map[string]int64) error
	// FinishJob ends job id with status and, for failures, a message. An
	// import's end is audited; another kind's only when it is canceled
	// (a staff action), as "jobs.<kind>_canceled".
	FinishJob(ctx context.Context, id int64, status JobStatus, msg string) error
	// SetMapping stores the operator's mapping and queues the job.
	SetMapping(ctx context.Context, id int64, mapping map[string]string) (*Job, error)
	// DropOldUploads deletes the uploads of jobs finished before t that no
	// unfinished job shares (a dry run's file waits a while for the import
	// that may follow), and returns how many jobs lost theirs.
	DropOldUploads(ctx context.Context, t time.Time) (int, error)
	// PasswordHashes returns the stored hashes of the users whose key field
	// has one of values, by value.
	PasswordHashes(ctx context.Context, key string, values []string) (map[string]string, error)
	// FailedRows returns up to limit failed rows after row, in row order.
	FailedRows(ctx context.Context, id int64, after int64, limit int) ([]FailedRow, error)
}

// ImportTx applies consecutive chunks of one import job in one
// transaction. The users, the failed rows and the job's new position and
// counts commit together, so that a process killed at any moment resumes
// from its last commit. A dry run rolls each chunk's users back and keeps
// its report.
type ImportTx interface {
	// Apply applies the chunk that follows the last one applied: rows, run
	// when the chunk has rows, writes them through the store and returns
	// those it refused and what became of the others; those and the
	// chunk's own failed rows are recorded with the counts.
	Apply(ctx context.Context, c *ImportChunk, rows ImportRows) error
	// Commit commits, and moves the job's Position, Offset and Counts.
	Commit() error
	// Rollback drops everything applied since BeginImport.
	Rollback() error
}

// ImportRows writes a chunk's rows through w, inside the chunk's
// transaction: the importer's decisions, the store's reads and writes.
type ImportRows func(ctx context.Context, w ImportWriter) ([]FailedRow, ImportCounts, error)

// ImportWriter is what an import's rows need of the store, inside the
// transaction of their chunk. It decides nothing: it reads and writes.
type ImportWriter interface {
	// Now is the transaction's time.
	Now() time.Time
	// Registry is the field registry as the transaction sees it.
	Registry(ctx context.Context) (*Registry, error)
	// InsertNew inserts valid users, filling their ids and times, except
	// that one whose email, client id or id is taken is skipped and keeps
	// ID 0: the database finds them, and only those are looked up.
	InsertNew(ctx context.Context, users []*User) error
	// Insert inserts valid users; a taken unique value fails the call.
	Insert(ctx context.Context, users []*User) error
	// Owners returns who holds the values, by unique field (email,
	// client_id, id) and value: one statement, whatever their number.
	Owners(ctx context.Context, values map[string][]string) (UniqueOwners, error)
	// Users returns the users with ids, whole with tags and groups, by id.
	Users(ctx context.Context, ids []int64) (map[int64]*User, error)
	// Update writes every column of u, stamped with Now.
	Update(ctx context.Context, u *User) error
	// TagID returns the oldest tag named name (any case), creating one
	// (audited as created by an import) when there is none.
	TagID(ctx context.Context, name string) (int64, error)
	// GroupID returns the group named name (any case), if there is one.
	GroupID(ctx context.Context, name string) (int64, bool, error)
	// SetRefs gives each user exactly the tags and groups its change lists.
	SetRefs(ctx context.Context, changes []RefChange) error
}

// FormatBytes writes n bytes for people: "512 B", "1.5 MB", "2.0 GB".
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("kMGTPE"[exp]) + "B"
}
