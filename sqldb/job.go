package sqldb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"roster"
)

// Ensure JobService implements the domain interface.
var _ roster.JobService = (*JobService)(nil)

// JobService stores jobs, their uploaded files and their failed rows.
type JobService struct {
	db *DB
	// Mail renders the invites of an import's invite column (an import
	// that invites fails without it); WakeMail, when set, is called
	// after a commit that queued some.
	Mail     roster.MailRenderer
	WakeMail func()
}

// NewJobService returns a JobService on db.
func NewJobService(db *DB) *JobService { return &JobService{db: db} }

// fileChunk is how much of an upload one job_files row holds.
const fileChunk = 1 << 20

var jobSelect = `SELECT id, kind, status, options, file_name, file_size, file_sha256, file_path, COALESCE(file_job, 0), header, unknown,
	position, byte_offset, rows_read, created, updated, unchanged, failed, error, COALESCE(staff_id, 0), actor, owner,
	heartbeat_at, created_at, started_at, finished_at, updated_at, note, total, tally FROM jobs`

func scanJob(row interface{ Scan(...any) error }) (*roster.Job, string, error) {
	var j roster.Job
	var opts, header, unknown, tally string
	var heartbeat time.Time
	err := row.Scan(&j.ID, (*string)(&j.Kind), (*string)(&j.Status), &opts, &j.FileName, &j.FileSize, &j.FileSHA256, &j.FilePath, &j.FileJob, &header, &unknown,
		&j.Position, &j.Offset, &j.Counts.Read, &j.Counts.Created, &j.Counts.Updated, &j.Counts.Unchanged, &j.Counts.Failed, &j.Error,
		&j.StaffID, &j.Actor, &j.Owner, timeScan{&heartbeat}, timeScan{&j.CreatedAt}, timeScan{&j.StartedAt}, timeScan{&j.FinishedAt}, timeScan{&j.UpdatedAt}, &j.Note, &j.Total, &tally)
	if err != nil {
		return nil, "", err
	}
	if j.Kind == roster.JobImport {
		if err := json.Unmarshal([]byte(opts), &j.Options); err != nil {
			return nil, "", fmt.Errorf("job %d options: %w", j.ID, err)
		}
	} else {
		j.Params = json.RawMessage(opts)
	}
	if err := json.Unmarshal([]byte(tally), &j.Tally); err != nil {
		return nil, "", fmt.Errorf("job %d tally: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(header), &j.Header); err != nil {
		return nil, "", fmt.Errorf("job %d header: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(unknown), &j.Unknown); err != nil {
		return nil, "", fmt.Errorf("job %d unknown columns: %w", j.ID, err)
	}
	return &j, heartbeat.Format(time.RFC3339Nano), nil
}

// CreateJob stores j and, when file is not nil, the uploaded file, hashing
// it on the way; a file over maxBytes (when > 0) is refused and nothing is
// kept.
func (s *JobService) CreateJob(ctx context.Context, j *roster.Job, file io.Reader, maxBytes int64) error {
	if j.Kind == "" {
		j.Kind = roster.JobImport
	}
	if j.Status == "" {
		j.Status = roster.JobQueued
	}
	opts, err := jobOptions(j)
	if err != nil {
		return err
	}
	unknown, err := jsonArg(j.Unknown)
	if err != nil {
		return err
	}
	tally, err := tallyArg(j.Tally)
	if err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	a := roster.ActorFromContext(ctx)
	j.StaffID, j.Actor = a.StaffID, a.Label
	j.CreatedAt, j.UpdatedAt = tx.now, tx.now
	if j.Kind == roster.JobImport {
		j.Position = 1
	}
	var staff any
	if a.StaffID > 0 {
		staff = a.StaffID
	}
	var fileJob any
	if j.FileJob > 0 {
		fileJob = j.FileJob
	}
	j.ID, err = tx.insert(ctx, `INSERT INTO jobs (kind, status, options, file_name, file_size, file_sha256, file_path, file_job, unknown,
		position, note, total, tally, staff_id, actor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(j.Kind), string(j.Status), opts, j.FileName, j.FileSize, j.FileSHA256, j.FilePath, fileJob, unknown,
		j.Position, j.Note, j.Total, tally, staff, j.Actor, s.db.timeArg(tx.now), s.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "create job")
	}
	if j.Kind != roster.JobImport {
		if file != nil {
			return roster.Errorf(roster.EINVALID, "A %s job takes no file.", j.Kind)
		}
		if err := tx.audit(ctx, "jobs."+string(j.Kind), "job", fmt.Sprint(j.ID), nil, j.Note); err != nil {
			return err
		}
		return tx.commit()
	}
	if file != nil {
		h := sha256.New()
		buf := make([]byte, fileChunk)
		var size int64
		for seq := 0; ; seq++ {
			n, rerr := io.ReadFull(file, buf)
			if n > 0 {
				size += int64(n)
				if maxBytes > 0 && size > maxBytes {
					return roster.Errorf(roster.EINVALID, "The file is larger than the limit of %s.", roster.FormatBytes(maxBytes))
				}
				h.Write(buf[:n])
				if _, err := tx.exec(ctx, "INSERT INTO job_files (job_id, seq, data) VALUES (?, ?, ?)", j.ID, seq, buf[:n]); err != nil {
					return formatError(err, "store upload")
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				return roster.Errorf(roster.EINVALID, "The upload was cut short: %v.", rerr)
			}
		}
		j.FileSize, j.FileSHA256, j.FileJob = size, hex.EncodeToString(h.Sum(nil)), j.ID
		if _, err := tx.exec(ctx, "UPDATE jobs SET file_size = ?, file_sha256 = ?, file_job = ? WHERE id = ?", size, j.FileSHA256, j.ID, j.ID); err != nil {
			return formatError(err, "create job")
		}
	}
	note := fmt.Sprintf("%s (%s), mode %s by %s", j.FileName, roster.FormatBytes(j.FileSize), j.Options.Mode, j.Options.Key)
	if j.Options.DryRun {
		note += ", dry run"
	}
	if err := tx.audit(ctx, "users.import", "job", fmt.Sprint(j.ID), nil, note); err != nil {
		return err
	}
	return tx.commit()
}

// jobOptions checks and encodes the options of j: an import's, or another
// kind's Params, which must be a JSON object ({} when empty).
func jobOptions(j *roster.Job) (string, error) {
	if j.Kind == roster.JobImport {
		j.Options.Normalize()
		if err := j.Options.Validate(); err != nil {
			return "", err
		}
		opts, err := json.Marshal(j.Options)
		return string(opts), err
	}
	if len(j.Params) == 0 {
		j.Params = json.RawMessage("{}")
	}
	var obj map[string]any
	if err := json.Unmarshal(j.Params, &obj); err != nil || obj == nil {
		return "", roster.Errorf(roster.EINVALID, "The options of a %s job are not a JSON object.", j.Kind)
	}
	return string(j.Params), nil
}

// tallyArg encodes a job's tally, {} when it has none.
func tallyArg(t map[string]int64) (string, error) {
	if len(t) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(t)
	return string(b), err
}

// tallyNote writes a job's tally for the audit: "invited 3, skipped 1", in
// name order.
func tallyNote(t map[string]int64) string {
	names := slices.Sorted(maps.Keys(t))
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, t[n]))
	}
	if len(parts) == 0 {
		return "nothing done"
	}
	return strings.Join(parts, ", ")
}

// moveJob records, in tx, that job j (still j.Owner's, running, at
// j.Position) has done its items up to position with tally: what a kind
// other than import commits with each batch of its work, so that a killed
// process resumes from its last commit. ECONFLICT when the job was taken
// over or stopped. The caller sets j.Position and j.Tally once tx commits.
func (tx *Tx) moveJob(ctx context.Context, j *roster.Job, position int64, tally map[string]int64) error {
	t, err := tallyArg(tally)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, "UPDATE jobs SET position = ?, tally = ?, heartbeat_at = ?, updated_at = ? WHERE id = ? AND position = ? AND owner = ? AND status = ?",
		position, t, tx.db.timeArg(tx.now), tx.db.timeArg(tx.now), j.ID, j.Position, j.Owner, string(roster.JobRunning))
	if err != nil {
		return formatError(err, "move job")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return roster.Errorf(roster.ECONFLICT, "Job %d was taken over or stopped by another process.", j.ID)
	}
	return nil
}

// MoveJob records the progress of the running job j.
func (s *JobService) MoveJob(ctx context.Context, j *roster.Job, position int64, tally map[string]int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.moveJob(ctx, j, position, tally); err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	j.Position, j.Tally = position, maps.Clone(tally)
	return nil
}

// FindJob returns the job with id. ENOTFOUND.
func (s *JobService) FindJob(ctx context.Context, id int64) (*roster.Job, error) {
	j, _, err := scanJob(s.db.queryRow(ctx, jobSelect+" WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "job", "find job")
	}
	return j, nil
}

// FindJobs returns the newest jobs of kind.
func (s *JobService) FindJobs(ctx context.Context, kind roster.JobKind, limit int) ([]*roster.Job, error) {
	rows, err := s.db.query(ctx, jobSelect+" WHERE kind = ? ORDER BY id DESC LIMIT ?", string(kind), limit)
	if err != nil {
		return nil, formatError(err, "find jobs")
	}
	defer rows.Close()
	var out []*roster.Job
	for rows.Next() {
		j, _, err := scanJob(rows)
		if err != nil {
			return nil, formatError(err, "find jobs")
		}
		out = append(out, j)
	}
	return out, formatError(rows.Err(), "find jobs")
}

// FindResumable returns the newest unfinished CLI import of the file with
// sha256 and the same options, or nil: what `roster import` continues.
func (s *JobService) FindResumable(ctx context.Context, sha string, opts roster.ImportOptions) (*roster.Job, error) {
	rows, err := s.db.query(ctx, jobSelect+" WHERE kind = 'import' AND file_sha256 = ? AND file_path <> '' AND status IN (?, ?) ORDER BY id DESC",
		sha, string(roster.JobQueued), string(roster.JobRunning))
	if err != nil {
		return nil, formatError(err, "find resumable job")
	}
	defer rows.Close()
	want, _ := json.Marshal(opts)
	for rows.Next() {
		j, _, err := scanJob(rows)
		if err != nil {
			return nil, formatError(err, "find resumable job")
		}
		if got, _ := json.Marshal(j.Options); bytes.Equal(got, want) {
			return j, nil
		}
	}
	return nil, formatError(rows.Err(), "find resumable job")
}

// jobFile reads job_files chunk by chunk, so that an upload of any size
// costs one chunk of memory.
type jobFile struct {
	ctx  context.Context
	db   *DB
	job  int64
	seq  int
	buf  []byte
	done bool
}

func (f *jobFile) Read(p []byte) (int, error) {
	for len(f.buf) == 0 {
		if f.done {
			return 0, io.EOF
		}
		var data []byte
		err := f.db.queryRow(f.ctx, "SELECT data FROM job_files WHERE job_id = ? AND seq = ?", f.job, f.seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			f.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read upload: %w", err)
		}
		f.buf, f.seq = data, f.seq+1
	}
	n := copy(p, f.buf)
	f.buf = f.buf[n:]
	return n, nil
}

func (f *jobFile) Close() error { return nil }

// OpenJobFile reads the upload of j.
func (s *JobService) OpenJobFile(ctx context.Context, j *roster.Job) (io.ReadCloser, error) {
	if j.FileJob == 0 {
		return nil, roster.Errorf(roster.ENOTFOUND, "Job %d has no uploaded file.", j.ID)
	}
	return &jobFile{ctx: ctx, db: s.db, job: j.FileJob}, nil
}

// ClaimJob makes owner the runner of job id if nobody runs it.
func (s *JobService) ClaimJob(ctx context.Context, id int64, owner string, staleOwner func(string, time.Time) bool) (bool, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	j, hb, err := scanJob(tx.queryRow(ctx, jobSelect+" WHERE id = ?"+s.db.forUpdate(), id))
	if err != nil {
		return false, notFound(err, "job", "claim job")
	}
	heartbeat, _ := time.Parse(time.RFC3339Nano, hb)
	switch {
	case j.Status == roster.JobQueued:
	case j.Status == roster.JobRunning && (j.Owner == owner || staleOwner(j.Owner, heartbeat)):
	default:
		return false, nil
	}
	started := j.StartedAt
	if started.IsZero() {
		started = tx.now
	}
	if _, err := tx.exec(ctx, "UPDATE jobs SET status = ?, owner = ?, heartbeat_at = ?, started_at = ?, updated_at = ? WHERE id = ?",
		string(roster.JobRunning), owner, s.db.timeArg(tx.now), s.db.timeArg(started), s.db.timeArg(tx.now), id); err != nil {
		return false, formatError(err, "claim job")
	}
	return true, tx.commit()
}

// Heartbeat records that owner still runs job id.
func (s *JobService) Heartbeat(ctx context.Context, id int64, owner string) error {
	_, err := s.db.write.ExecContext(ctx, s.db.rebind("UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND owner = ?"), s.db.timeArg(s.db.Now()), id, owner)
	return formatError(err, "job heartbeat")
}

// QueuedJobs returns the ids of jobs waiting to run or running, oldest
// first: what a runner looks at.
func (s *JobService) QueuedJobs(ctx context.Context) ([]int64, error) {
	rows, err := s.db.query(ctx, "SELECT id FROM jobs WHERE status IN (?, ?) AND file_path = '' ORDER BY id",
		string(roster.JobQueued), string(roster.JobRunning))
	if err != nil {
		return nil, formatError(err, "queued jobs")
	}
	ids, err := scanIDs(rows)
	return ids, formatError(err, "queued jobs")
}

// FinishJob ends job id. A finished real import no longer needs its
// upload; a dry run keeps it for the import that may follow.
func (s *JobService) FinishJob(ctx context.Context, id int64, status roster.JobStatus, msg string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	j, _, err := scanJob(tx.queryRow(ctx, jobSelect+" WHERE id = ?"+s.db.forUpdate(), id))
	if err != nil {
		return notFound(err, "job", "finish job")
	}
	if j.Status.Finished() {
		return nil
	}
	if _, err := tx.exec(ctx, "UPDATE jobs SET status = ?, error = ?, finished_at = ?, updated_at = ?, owner = '' WHERE id = ?",
		string(status), msg, s.db.timeArg(tx.now), s.db.timeArg(tx.now), id); err != nil {
		return formatError(err, "finish job")
	}
	if j.Kind != roster.JobImport {
		if status == roster.JobCanceled {
			if err := tx.audit(ctx, "jobs."+string(j.Kind)+"_canceled", "job", fmt.Sprint(id), nil, j.Note+"; "+tallyNote(j.Tally)+"; "+msg); err != nil {
				return err
			}
		}
		// Other kinds are bulk actions (invites, subscriber pastes).
		title := fmt.Sprintf("Bulk %s %s", j.Kind, status)
		if err := tx.notifyStaff(ctx, j.StaffID, roster.AlertBulkDone, title, j.Note+"; "+tallyNote(j.Tally)); err != nil {
			return err
		}
		return tx.commit()
	}
	if !j.Options.DryRun && j.FileJob > 0 {
		if _, err := tx.exec(ctx, "DELETE FROM job_files WHERE job_id = ?", j.FileJob); err != nil {
			return formatError(err, "finish job")
		}
	}
	c := j.Counts
	note := fmt.Sprintf("%s: %s; %d rows read, %d created, %d updated, %d unchanged, %d failed", j.FileName, status, c.Read, c.Created, c.Updated, c.Unchanged, c.Failed)
	if j.Options.DryRun {
		note = "dry run of " + note
	}
	if msg != "" {
		note += "; " + msg
	}
	if err := tx.audit(ctx, "users.import_"+string(status), "job", fmt.Sprint(id), nil, note); err != nil {
		return err
	}
	if !j.Options.DryRun {
		if err := tx.emitWebhookNoUser(ctx, roster.EventImportFinished, map[string]any{"job_id": id, "status": string(status), "file": j.FileName,
			"read": c.Read, "created": c.Created, "updated": c.Updated, "unchanged": c.Unchanged, "failed": c.Failed}); err != nil {
			return err
		}
	}
	if err := tx.notifyStaff(ctx, j.StaffID, roster.AlertImportDone, "Import "+string(status), note); err != nil {
		return err
	}
	return tx.commit()
}

// SetMapping stores the operator's column mapping and queues the job.
func (s *JobService) SetMapping(ctx context.Context, id int64, mapping map[string]string) (*roster.Job, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	j, _, err := scanJob(tx.queryRow(ctx, jobSelect+" WHERE id = ?"+s.db.forUpdate(), id))
	if err != nil {
		return nil, notFound(err, "job", "set mapping")
	}
	if j.Status != roster.JobNeedsMapping {
		return nil, roster.Errorf(roster.ECONFLICT, "Job %d is %s; its columns can no longer be mapped.", id, j.Status)
	}
	j.Options.Mapping = mapping
	opts, err := json.Marshal(j.Options)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, "UPDATE jobs SET options = ?, status = ?, unknown = '[]', updated_at = ? WHERE id = ?",
		string(opts), string(roster.JobQueued), s.db.timeArg(tx.now), id); err != nil {
		return nil, formatError(err, "set mapping")
	}
	if err := tx.audit(ctx, "users.import_mapping", "job", fmt.Sprint(id), nil, string(opts)); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	j.Status, j.Unknown = roster.JobQueued, nil
	return j, nil
}

// FailedRows returns up to limit failed rows of job id after row.
func (s *JobService) FailedRows(ctx context.Context, id int64, after int64, limit int) ([]roster.FailedRow, error) {
	rows, err := s.db.query(ctx, "SELECT row_num, errors, cells FROM job_failed_rows WHERE job_id = ? AND row_num > ? ORDER BY row_num LIMIT ?", id, after, limit)
	if err != nil {
		return nil, formatError(err, "failed rows")
	}
	defer rows.Close()
	var out []roster.FailedRow
	for rows.Next() {
		var r roster.FailedRow
		var errs, cells string
		if err := rows.Scan(&r.Row, &errs, &cells); err != nil {
			return nil, formatError(err, "failed rows")
		}
		if err := json.Unmarshal([]byte(errs), &r.Errors); err != nil {
			return nil, fmt.Errorf("failed rows: %w", err)
		}
		if err := json.Unmarshal([]byte(cells), &r.Cells); err != nil {
			return nil, fmt.Errorf("failed rows: %w", err)
		}
		out = append(out, r)
	}
	return out, formatError(rows.Err(), "failed rows")
}

// DropOldUploads deletes the uploads of jobs finished before t, unless an
// unfinished job reads the same file.
func (s *JobService) DropOldUploads(ctx context.Context, t time.Time) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ids, err := tx.ids(ctx, `SELECT DISTINCT f.job_id FROM job_files f JOIN jobs j ON j.id = f.job_id
		WHERE j.finished_at < ? AND NOT EXISTS (SELECT 1 FROM jobs u WHERE u.file_job = f.job_id AND u.status IN (?, ?, ?))`,
		s.db.timeArg(t), string(roster.JobNeedsMapping), string(roster.JobQueued), string(roster.JobRunning))
	if err != nil {
		return 0, formatError(err, "drop old uploads")
	}
	if len(ids) == 0 {
		return 0, nil
	}
	list, arg, err := s.db.idList(ids)
	if err != nil {
		return 0, err
	}
	if _, err := tx.exec(ctx, "DELETE FROM job_files WHERE job_id IN (SELECT id FROM "+list+" l)", arg); err != nil {
		return 0, formatError(err, "drop old uploads")
	}
	return len(ids), tx.commit()
}
