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
	"time"

	"roster"
)

// Ensure JobService implements the domain interface.
var _ roster.JobService = (*JobService)(nil)

// JobService stores jobs, their uploaded files and their failed rows.
type JobService struct {
	db *DB
}

// NewJobService returns a JobService on db.
func NewJobService(db *DB) *JobService { return &JobService{db: db} }

// fileChunk is how much of an upload one job_files row holds.
const fileChunk = 1 << 20

var jobSelect = `SELECT id, kind, status, options, file_name, file_size, file_sha256, file_path, COALESCE(file_job, 0), header, unknown,
	position, byte_offset, rows_read, created, updated, unchanged, failed, error, COALESCE(staff_id, 0), actor, owner,
	heartbeat_at, created_at, started_at, finished_at, updated_at FROM jobs`

func scanJob(row interface{ Scan(...any) error }) (*roster.Job, string, error) {
	var j roster.Job
	var opts, header, unknown string
	var heartbeat time.Time
	err := row.Scan(&j.ID, &j.Kind, (*string)(&j.Status), &opts, &j.FileName, &j.FileSize, &j.FileSHA256, &j.FilePath, &j.FileJob, &header, &unknown,
		&j.Position, &j.Offset, &j.Counts.Read, &j.Counts.Created, &j.Counts.Updated, &j.Counts.Unchanged, &j.Counts.Failed, &j.Error,
		&j.StaffID, &j.Actor, &j.Owner, timeScan{&heartbeat}, timeScan{&j.CreatedAt}, timeScan{&j.StartedAt}, timeScan{&j.FinishedAt}, timeScan{&j.UpdatedAt})
	if err != nil {
		return nil, "", err
	}
	if err := json.Unmarshal([]byte(opts), &j.Options); err != nil {
		return nil, "", fmt.Errorf("job %d options: %w", j.ID, err)
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
		j.Kind = "import"
	}
	if j.Status == "" {
		j.Status = roster.JobQueued
	}
	j.Options.Normalize()
	if err := j.Options.Validate(); err != nil {
		return err
	}
	opts, err := json.Marshal(j.Options)
	if err != nil {
		return err
	}
	unknown, err := jsonArg(j.Unknown)
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
	j.CreatedAt, j.UpdatedAt, j.Position = tx.now, tx.now, 1
	var staff any
	if a.StaffID > 0 {
		staff = a.StaffID
	}
	var fileJob any
	if j.FileJob > 0 {
		fileJob = j.FileJob
	}
	j.ID, err = tx.insert(ctx, `INSERT INTO jobs (kind, status, options, file_name, file_size, file_sha256, file_path, file_job, unknown,
		staff_id, actor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.Kind, string(j.Status), string(opts), j.FileName, j.FileSize, j.FileSHA256, j.FilePath, fileJob, unknown,
		staff, j.Actor, s.db.timeArg(tx.now), s.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "create job")
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

// FindJob returns the job with id. ENOTFOUND.
func (s *JobService) FindJob(ctx context.Context, id int64) (*roster.Job, error) {
	j, _, err := scanJob(s.db.queryRow(ctx, jobSelect+" WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "job", "find job")
	}
	return j, nil
}

// FindJobs returns the newest jobs of kind.
func (s *JobService) FindJobs(ctx context.Context, kind string, limit int) ([]*roster.Job, error) {
	rows, err := s.db.query(ctx, jobSelect+" WHERE kind = ? ORDER BY id DESC LIMIT ?", kind, limit)
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
	// TODO(issue 14, job kinds in jobs/): when jobs other than imports
	// exist, give each kind its alert and title here; today every job is
	// an import.
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
