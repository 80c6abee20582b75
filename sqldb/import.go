package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"roster"
)

// keyColumns maps the fields an import may key on (roster.ImportKeys),
// which are also the unique ones it must not collide with, to their
// columns.
var keyColumns = func() map[string]string {
	m := make(map[string]string, len(roster.ImportKeys))
	for _, k := range roster.ImportKeys {
		b, _ := roster.BuiltinOf(k)
		m[k] = b.Column
	}
	return m
}()

// stringList returns a table expression with one column, v, holding values,
// and its one argument, a JSON array: a chunk's keys take one parameter.
func (db *DB) stringList(values []string) (string, any, error) {
	if values == nil {
		values = []string{}
	}
	b, err := json.Marshal(values)
	if err != nil {
		return "", nil, err
	}
	if db.Dialect == Postgres {
		return "(SELECT jsonb_array_elements_text(?::jsonb) AS v)", string(b), nil
	}
	return "(SELECT value AS v FROM json_each(?))", string(b), nil
}

// owners returns the users holding any of values, by unique field and
// value. One statement per chunk, whatever its size.
func (tx *Tx) owners(ctx context.Context, values map[string][]string) (roster.UniqueOwners, error) {
	out := roster.UniqueOwners{"email": {}, "client_id": {}, "id": {}}
	var where []string
	var args []any
	for _, field := range roster.ImportKeys {
		vals := values[field]
		if len(vals) == 0 {
			continue
		}
		list, arg, err := tx.db.stringList(vals)
		if err != nil {
			return nil, err
		}
		where = append(where, keyColumns[field]+" IN (SELECT v FROM "+list+" l)")
		args = append(args, arg)
	}
	if len(where) == 0 {
		return out, nil
	}
	rs, err := tx.query(ctx, "SELECT id, COALESCE(email, ''), COALESCE(client_id, ''), public_id FROM users WHERE "+strings.Join(where, " OR "), args...)
	if err != nil {
		return nil, formatError(err, "find users by key")
	}
	defer rs.Close()
	for rs.Next() {
		var email, clientID string
		var o roster.UniqueOwner
		if err := rs.Scan(&o.ID, &email, &clientID, &o.PublicID); err != nil {
			return nil, formatError(err, "find users by key")
		}
		if email != "" {
			out["email"][email] = o
		}
		if clientID != "" {
			out["client_id"][clientID] = o
		}
		out["id"][o.PublicID] = o
	}
	return out, formatError(rs.Err(), "find users by key")
}

// PasswordHashes returns the stored password hashes of the users whose key
// field has one of values, by value: the importer checks a plain password
// against it, so that re-importing a file changes nothing.
func (s *JobService) PasswordHashes(ctx context.Context, key string, values []string) (map[string]string, error) {
	col, ok := keyColumns[key]
	if !ok {
		return nil, roster.Errorf(roster.EINVALID, "Unknown key %q.", key)
	}
	list, arg, err := s.db.stringList(values)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.query(ctx, "SELECT "+col+", password_hash FROM users WHERE "+col+" IN (SELECT v FROM "+list+" l)", arg)
	if err != nil {
		return nil, formatError(err, "password hashes")
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, h string
		if err := rows.Scan(&k, &h); err != nil {
			return nil, formatError(err, "password hashes")
		}
		out[k] = h
	}
	return out, formatError(rows.Err(), "password hashes")
}

// importRefs resolves tag and group names within one chunk's transaction.
type importRefs struct {
	tags   map[string]int64 // folded name → the oldest tag of that name
	groups map[string]int64 // folded name → group
}

func foldName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (tx *Tx) loadImportRefs(ctx context.Context) (*importRefs, error) {
	r := &importRefs{tags: map[string]int64{}, groups: map[string]int64{}}
	load := func(q string, m map[string]int64) error {
		rows, err := tx.query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			if _, ok := m[foldName(name)]; !ok {
				m[foldName(name)] = id
			}
		}
		return rows.Err()
	}
	if err := load("SELECT id, name FROM tags ORDER BY id", r.tags); err != nil {
		return nil, formatError(err, "load tags")
	}
	if err := load("SELECT id, name FROM user_groups ORDER BY id", r.groups); err != nil {
		return nil, formatError(err, "load groups")
	}
	return r, nil
}

// tagID returns the tag named name, creating it when there is none: an
// import may introduce tags, never groups, whose settings need a person.
func (tx *Tx) tagID(ctx context.Context, refs *importRefs, name string) (int64, error) {
	if id, ok := refs.tags[foldName(name)]; ok {
		return id, nil
	}
	color := roster.TagColors[rand.IntN(len(roster.TagColors))]
	id, err := tx.insert(ctx, "INSERT INTO tags (name, color, created_at) VALUES (?, ?, ?)", strings.TrimSpace(name), color, tx.db.timeArg(tx.now))
	if err != nil {
		return 0, formatError(err, "create tag")
	}
	if err := tx.audit(ctx, "tag.create", "tag", roster.RefValue(id), map[string]roster.Change{
		"name": {After: strings.TrimSpace(name)}, "color": {After: color}}, "created by an import"); err != nil {
		return 0, err
	}
	refs.tags[foldName(name)] = id
	return id, nil
}

// BeginImport opens the transaction that applies the next chunks of job j.
// Taking the job's row first both locks it and proves that this process
// still owns it at the position it read from.
func (s *JobService) BeginImport(ctx context.Context, j *roster.Job) (roster.ImportTx, error) {
	tx, err := s.db.beginConn(ctx)
	if err != nil {
		return nil, err
	}
	t := &importTx{s: s, tx: tx, j: j, to: j.Position}
	if err := tx.advanceJob(ctx, t, nil); err != nil {
		tx.Rollback()
		return nil, err
	}
	return t, nil
}

// importTx is one transaction of an import: chunks from the job's position
// up to to.
type importTx struct {
	s      *JobService
	tx     *Tx
	j      *roster.Job
	to     int64
	offset int64
	header []string
	delta  roster.ImportCounts
	// applied is false until a chunk was: committing then changes nothing.
	applied bool
	invited int // invites queued by the invite column
}

func (t *importTx) Apply(ctx context.Context, c *roster.ImportChunk, rows roster.ImportRows) error {
	if t.tx == nil {
		return fmt.Errorf("import job %d: apply after the transaction ended", t.j.ID)
	}
	if c.From != t.to {
		return fmt.Errorf("import job %d: a chunk from row %d cannot follow row %d", t.j.ID, c.From, t.to)
	}
	tx := t.tx
	failed := slices.Clone(c.Failed)
	var counts roster.ImportCounts
	if len(c.Rows) > 0 && rows != nil {
		// A dry run does all the work, then undoes the users and keeps
		// the report.
		dry := t.j.Options.DryRun
		changed, changedRefs, seqs, refSeqs := len(tx.changed), len(tx.changedRefs), len(tx.seqs), len(tx.refSeqs)
		if dry {
			if _, err := tx.exec(ctx, "SAVEPOINT dry_run"); err != nil {
				return formatError(err, "dry run")
			}
		}
		tx.importing = true
		more, n, err := rows(ctx, &importWriter{tx: tx, mail: t.s.Mail, invited: &t.invited})
		if err != nil {
			return err
		}
		if dry {
			if _, err := tx.exec(ctx, "ROLLBACK TO SAVEPOINT dry_run"); err != nil {
				return formatError(err, "dry run")
			}
			if _, err := tx.exec(ctx, "RELEASE SAVEPOINT dry_run"); err != nil {
				return formatError(err, "dry run")
			}
			tx.changed, tx.changedRefs = tx.changed[:changed], tx.changedRefs[:changedRefs]
			tx.seqs, tx.refSeqs = tx.seqs[:seqs], tx.refSeqs[:refSeqs]
		}
		failed = append(failed, more...)
		counts = n
	}
	counts.Read = c.Read
	counts.Failed = int64(len(failed))
	if err := tx.insertFailedRows(ctx, t.j.ID, failed); err != nil {
		return err
	}
	t.delta.Add(counts)
	t.to, t.offset, t.header, t.applied = c.To, c.Offset, c.Header, true
	return nil
}

func (t *importTx) Commit() error {
	if t.tx == nil {
		return fmt.Errorf("import job %d: commit after the transaction ended", t.j.ID)
	}
	defer t.Rollback()
	if !t.applied {
		return nil
	}
	// Like sql.Tx.Commit, Commit takes no context: the transaction's own
	// ends it early.
	if err := t.tx.advanceJob(context.Background(), t, &t.delta); err != nil {
		return err
	}
	if err := t.tx.commit(); err != nil {
		return err
	}
	t.tx = nil
	t.j.Position, t.j.Offset = t.to, t.offset
	t.j.Counts.Add(t.delta)
	if t.invited > 0 && t.s.WakeMail != nil && !t.j.Options.DryRun {
		t.s.WakeMail()
	}
	t.invited = 0
	return nil
}

func (t *importTx) Rollback() error {
	if t.tx == nil {
		return nil
	}
	err := t.tx.Rollback()
	t.tx = nil
	return err
}

// advanceJob moves the job from its position to t.to; with delta nil it
// only checks and locks. Another owner or position means another process
// took the job over: the chunks must not apply twice.
func (tx *Tx) advanceJob(ctx context.Context, t *importTx, delta *roster.ImportCounts) error {
	j := t.j
	var res interface{ RowsAffected() (int64, error) }
	var err error
	if delta == nil {
		res, err = tx.exec(ctx, "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND position = ? AND owner = ? AND status = ?",
			tx.db.timeArg(tx.now), j.ID, j.Position, j.Owner, string(roster.JobRunning))
	} else {
		var header string
		if header, err = jsonArg(t.header); err != nil {
			return err
		}
		res, err = tx.exec(ctx, `UPDATE jobs SET header = ?, position = ?, byte_offset = ?, rows_read = rows_read + ?, created = created + ?, updated = updated + ?,
			unchanged = unchanged + ?, failed = failed + ?, heartbeat_at = ?, updated_at = ? WHERE id = ? AND position = ? AND owner = ? AND status = ?`,
			header, t.to, t.offset, delta.Read, delta.Created, delta.Updated, delta.Unchanged, delta.Failed,
			tx.db.timeArg(tx.now), tx.db.timeArg(tx.now), j.ID, j.Position, j.Owner, string(roster.JobRunning))
	}
	if err != nil {
		return formatError(err, "advance job")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return roster.Errorf(roster.ECONFLICT, "Job %d was taken over or stopped by another process.", j.ID)
	}
	return nil
}

func (tx *Tx) insertFailedRows(ctx context.Context, jobID int64, rows []roster.FailedRow) error {
	const per = 200
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, 4*len(part))
		for _, r := range part {
			errs, err := json.Marshal(r.Errors)
			if err != nil {
				return err
			}
			cells, err := jsonArg(r.Cells)
			if err != nil {
				return err
			}
			args = append(args, jobID, r.Row, string(errs), cells)
		}
		q := "INSERT INTO job_failed_rows (job_id, row_num, errors, cells) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?),", len(part)), ",")
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return formatError(err, "store failed rows")
		}
	}
	return nil
}

// importWriter is the store side of one chunk's rows: the reads and
// writes the importer's decisions need, inside the chunk's transaction.
type importWriter struct {
	tx   *Tx
	reg  *roster.Registry
	refs *importRefs // loaded on first use
	// mail renders the invites of the invite column; invited counts them.
	mail    roster.MailRenderer
	invited *int
}

var _ roster.ImportWriter = (*importWriter)(nil)

func (w *importWriter) Now() time.Time { return w.tx.now }

func (w *importWriter) Registry(ctx context.Context) (*roster.Registry, error) {
	if w.reg == nil {
		reg, err := loadRegistry(ctx, w.tx, w.tx.db)
		if err != nil {
			return nil, err
		}
		w.reg = reg
	}
	return w.reg, nil
}

func (w *importWriter) InsertNew(ctx context.Context, users []*roster.User) error {
	if err := w.tx.insertUsers(ctx, users, true); err != nil {
		return err
	}
	return w.created(ctx, users)
}

func (w *importWriter) Insert(ctx context.Context, users []*roster.User) error {
	if err := w.tx.insertUsers(ctx, users, false); err != nil {
		return err
	}
	return w.created(ctx, users)
}

// created queues what the addresses of the users just inserted call for
// (a confirmation, when the policy requires one), in the chunk's
// transaction.
func (w *importWriter) created(ctx context.Context, users []*roster.User) error {
	for _, u := range users {
		if u.ID == 0 {
			continue // skipped: taken
		}
		if err := w.tx.emailMessages(ctx, u, "", true); err != nil {
			return err
		}
	}
	return insertPushTokens(ctx, w.tx, users)
}

func (w *importWriter) Owners(ctx context.Context, values map[string][]string) (roster.UniqueOwners, error) {
	return w.tx.owners(ctx, values)
}

func (w *importWriter) Users(ctx context.Context, ids []int64) (map[int64]*roster.User, error) {
	reg, err := w.Registry(ctx)
	if err != nil {
		return nil, err
	}
	return w.tx.usersByID(ctx, reg, ids)
}

func (w *importWriter) Update(ctx context.Context, before, u *roster.User) error {
	u.UpdatedAt = w.tx.now
	roster.SettleEmailConfirmation(before, u, w.tx.now)
	// An import sets the points balance through one ledger entry: the
	// difference from the balance the row holds, read under the row's lock
	// so that a points change committing meanwhile is counted.
	var balance int64
	if err := w.tx.queryRow(ctx, "SELECT points FROM users WHERE id = ?"+w.tx.db.forUpdate(), u.ID).Scan(&balance); err != nil {
		return formatError(err, "update user")
	}
	if err := w.tx.updateUserRow(ctx, u); err != nil {
		return err
	}
	if err := w.tx.setPoints(ctx, u.ID, balance, u.Points); err != nil {
		return err
	}
	// Push token records follow the imported value; a ban ends the
	// user's sessions, as it does from the profile.
	if !slices.Equal(before.PushTokens, u.PushTokens) {
		if err := syncPushTokenRecords(ctx, w.tx, u.ID, u.PushTokens); err != nil {
			return err
		}
	}
	if before.Status != roster.StatusBanned && u.Status == roster.StatusBanned {
		if _, err := endUserSessions(ctx, w.tx, u.ID, 0, 0, roster.EndBanned); err != nil {
			return err
		}
	}
	return w.tx.emailMessages(ctx, u, before.Email, false)
}

func (w *importWriter) loadRefs(ctx context.Context) error {
	if w.refs != nil {
		return nil
	}
	refs, err := w.tx.loadImportRefs(ctx)
	w.refs = refs
	return err
}

func (w *importWriter) TagID(ctx context.Context, name string) (int64, error) {
	if err := w.loadRefs(ctx); err != nil {
		return 0, err
	}
	return w.tx.tagID(ctx, w.refs, name)
}

func (w *importWriter) GroupID(ctx context.Context, name string) (int64, bool, error) {
	if err := w.loadRefs(ctx); err != nil {
		return 0, false, err
	}
	id, ok := w.refs.groups[foldName(name)]
	return id, ok, nil
}

func (w *importWriter) SetRefs(ctx context.Context, changes []roster.RefChange) error {
	return w.tx.setImportRefs(ctx, changes)
}

// setImportRefs gives users exactly the tags and groups their rows list.
// A row lists tags newest first, so each is added a millisecond before the
// one before it; tags and memberships a user keeps keep their dates.
func (tx *Tx) setImportRefs(ctx context.Context, changes []roster.RefChange) error {
	var tagRows, groupRows []any
	var changedIDs []int64
	for _, rc := range changes {
		uid := rc.User.ID
		if !rc.SetTags && !rc.SetGroups {
			continue
		}
		if rc.Existed {
			changedIDs = append(changedIDs, uid)
		}
		if rc.SetTags && rc.Existed {
			if err := tx.dropRefs(ctx, "user_tags", "tag_id", uid, rc.Tags); err != nil {
				return err
			}
		}
		if rc.SetTags {
			for i, t := range rc.Tags {
				if !slices.Contains(rc.User.Tags, t) {
					tagRows = append(tagRows, uid, t, tx.db.timeArg(tx.now.Add(-time.Duration(i)*time.Millisecond)))
				}
			}
		}
		if rc.SetGroups && rc.Existed {
			if err := tx.dropRefs(ctx, "group_members", "group_id", uid, rc.Groups); err != nil {
				return err
			}
		}
		if rc.SetGroups {
			for _, g := range rc.Groups {
				if !slices.Contains(rc.User.Groups, g) {
					groupRows = append(groupRows, uid, g, string(roster.ViaImport), tx.db.timeArg(tx.now))
				}
			}
		}
	}
	if err := tx.insertMany(ctx, "INSERT INTO user_tags (user_id, tag_id, added_at) VALUES ", 3, tagRows); err != nil {
		return err
	}
	if err := tx.insertMany(ctx, "INSERT INTO group_members (user_id, group_id, via, joined_at) VALUES ", 4, groupRows); err != nil {
		return err
	}
	// New users are logged whole already; the refs of others are logged
	// as refs, which the index reloads cheaply.
	return tx.logChangeIDs(ctx, changedIDs)
}

// dropRefs removes the user's rows of table whose column is not in keep.
func (tx *Tx) dropRefs(ctx context.Context, table, col string, uid int64, keep []int64) error {
	list, arg, err := tx.db.idList(keep)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, "DELETE FROM "+table+" WHERE user_id = ? AND "+col+" NOT IN (SELECT id FROM "+list+" l)", uid, arg)
	return formatError(err, "set "+table)
}

// insertMany inserts rows of width values each with multi-row statements.
func (tx *Tx) insertMany(ctx context.Context, prefix string, width int, args []any) error {
	row := "(" + placeholders(width) + "),"
	const per = 300
	for start := 0; start < len(args); start += per * width {
		part := args[start:min(start+per*width, len(args))]
		q := prefix + strings.TrimSuffix(strings.Repeat(row, len(part)/width), ",")
		if _, err := tx.exec(ctx, q, part...); err != nil {
			return formatError(err, "import refs")
		}
	}
	return nil
}

// usersByID reads users whole, with tags and groups, inside tx.
func (tx *Tx) usersByID(ctx context.Context, reg *roster.Registry, ids []int64) (map[int64]*roster.User, error) {
	out := make(map[int64]*roster.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, userSelect+" WHERE id IN (SELECT id FROM "+list+" l)", arg)
	if err != nil {
		return nil, formatError(err, "load users")
	}
	defer rows.Close() // closed at the loop's end too: the transaction goes on
	sc := newUserScanner()
	var got []*roster.User
	for rows.Next() {
		u, err := sc.scan(rows, reg)
		if err != nil {
			return nil, formatError(err, "load users")
		}
		out[u.ID] = u
		got = append(got, u)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, formatError(err, "load users")
	}
	lo, hi := idSpan(got)
	if err := tx.db.attachRefs(ctx, tx, got, lo, hi); err != nil {
		return nil, err
	}
	return out, nil
}

// updateUserRow writes every column of u and logs the change.
func (tx *Tx) updateUserRow(ctx context.Context, u *roster.User) error {
	args, err := tx.db.userArgs(u)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	sets := make([]string, len(userColumns))
	for i, c := range userColumns {
		sets[i] = c + " = ?"
	}
	if _, err := tx.exec(ctx, "UPDATE users SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, u.ID)...); err != nil {
		return formatError(err, "update user")
	}
	return tx.logChange(ctx, u.ID, roster.ChangeUpsert)
}
