package sqldb

import (
	"cmp"
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

// keyOwner is who holds a unique value today.
type keyOwner struct {
	id                              int64
	email, clientID, publicID, hash string
}

// owners returns the users holding any of the unique values of rows, by
// column and value. One statement per chunk, whatever its size.
func (tx *Tx) owners(ctx context.Context, rows []roster.ImportRow, key string) (map[string]map[string]*keyOwner, error) {
	lists := map[string][]string{}
	for _, r := range rows {
		for field := range keyColumns {
			if v := uniqueValue(r, field, key); v != "" {
				lists[field] = append(lists[field], v)
			}
		}
	}
	out := map[string]map[string]*keyOwner{"email": {}, "client_id": {}, "id": {}}
	var where []string
	var args []any
	for field, vals := range lists {
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
	rs, err := tx.query(ctx, "SELECT id, COALESCE(email, ''), COALESCE(client_id, ''), public_id, password_hash FROM users WHERE "+strings.Join(where, " OR "), args...)
	if err != nil {
		return nil, formatError(err, "find users by key")
	}
	defer rs.Close()
	for rs.Next() {
		o := &keyOwner{}
		if err := rs.Scan(&o.id, &o.email, &o.clientID, &o.publicID, &o.hash); err != nil {
			return nil, formatError(err, "find users by key")
		}
		if o.email != "" {
			out["email"][o.email] = o
		}
		if o.clientID != "" {
			out["client_id"][o.clientID] = o
		}
		out["id"][o.publicID] = o
	}
	return out, formatError(rs.Err(), "find users by key")
}

// uniqueValue is the normalised value a row gives the unique field, or "".
func uniqueValue(r roster.ImportRow, field, key string) string {
	if field == key {
		return r.Key
	}
	return roster.UniqueValue(field, r.Values[field])
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

// refChange is the tags or groups one user gets from a row.
type refChange struct {
	user         *roster.User
	existed      bool // a new user has nothing to drop
	tags, groups []int64
	setTags      bool
	setGroups    bool
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
}

func (t *importTx) Apply(ctx context.Context, c *roster.ImportChunk) error {
	if t.tx == nil {
		return fmt.Errorf("import job %d: apply after the transaction ended", t.j.ID)
	}
	if c.From != t.to {
		return fmt.Errorf("import job %d: a chunk from row %d cannot follow row %d", t.j.ID, c.From, t.to)
	}
	tx := t.tx
	failed := slices.Clone(c.Failed)
	var counts roster.ImportCounts
	if len(c.Rows) > 0 {
		// A dry run does all the work, then undoes the users and keeps
		// the report.
		dry := t.j.Options.DryRun
		changed, changedRefs, seqs, refSeqs := len(tx.changed), len(tx.changedRefs), len(tx.seqs), len(tx.refSeqs)
		if dry {
			if _, err := tx.exec(ctx, "SAVEPOINT dry_run"); err != nil {
				return formatError(err, "dry run")
			}
		}
		more, n, err := t.s.applyRows(ctx, tx, t.j.Options, c)
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

// applyRows validates and writes the rows of a chunk; rows that cannot
// apply come back as failed rows and write nothing.
//
// Rows the importer found valid as new users are inserted first, with the
// database itself skipping any whose email, client id or id is taken:
// looking up three unique values per row first cost more than the insert.
// The rows it skipped (they update someone, or collide) and the rows not
// valid as new then take the checked path, which looks their owners up.
func (s *JobService) applyRows(ctx context.Context, tx *Tx, opts roster.ImportOptions, c *roster.ImportChunk) ([]roster.FailedRow, roster.ImportCounts, error) {
	var counts roster.ImportCounts
	reg, err := loadRegistry(ctx, tx, s.db)
	if err != nil {
		return nil, counts, err
	}
	refs, err := tx.loadImportRefs(ctx)
	if err != nil {
		return nil, counts, err
	}
	a := &rowApplier{tx: tx, reg: reg, refs: refs, opts: opts, headers: c.Headers}
	var refChanges []refChange
	rest := c.Rows
	if opts.Mode != roster.ImportUpdate {
		rest = nil
		var fresh []*roster.User
		var freshRows []int
		var freshRefs []refChange
		for i, r := range c.Rows {
			if r.New == nil {
				rest = append(rest, r)
				continue
			}
			u, rc, errs, err := a.prepare(ctx, r, nil)
			if err != nil {
				return nil, counts, err
			}
			if len(errs) > 0 {
				rest = append(rest, r)
				continue
			}
			fresh = append(fresh, u)
			freshRows = append(freshRows, i)
			freshRefs = append(freshRefs, rc)
		}
		if err := tx.insertUsers(ctx, fresh, true); err != nil {
			return nil, counts, err
		}
		for i, u := range fresh {
			if u.ID == 0 {
				rest = append(rest, c.Rows[freshRows[i]])
				continue
			}
			counts.Created++
			refChanges = append(refChanges, freshRefs[i])
		}
		// The skipped rows go on in file order, after the inserted ones.
		slices.SortFunc(rest, func(x, y roster.ImportRow) int { return cmp.Compare(x.Row, y.Row) })
	}
	if len(rest) == 0 {
		return nil, counts, tx.setImportRefs(ctx, refChanges)
	}
	owners, err := tx.owners(ctx, rest, opts.Key)
	if err != nil {
		return nil, counts, err
	}
	// The users the rows update, read whole (with their tags and groups)
	// to diff against.
	var targetIDs []int64
	for _, r := range rest {
		if o := owners[opts.Key][r.Key]; o != nil {
			targetIDs = append(targetIDs, o.id)
		}
	}
	existing, err := tx.usersByID(ctx, reg, targetIDs)
	if err != nil {
		return nil, counts, err
	}
	var failed []roster.FailedRow
	var creates []*roster.User
	for _, r := range rest {
		fail := func(errs ...roster.CellError) {
			failed = append(failed, roster.FailedRow{Row: r.Row, Errors: errs, Cells: r.Cells})
		}
		var before *roster.User
		if o := owners[opts.Key][r.Key]; o != nil {
			before = existing[o.id]
		}
		switch {
		case before != nil && opts.Mode == roster.ImportCreate:
			fail(roster.CellError{Column: a.header(opts.Key), Message: fmt.Sprintf("a user with %s %s exists already (mode create)", opts.Key, r.Key)})
			continue
		case before == nil && opts.Mode == roster.ImportUpdate:
			fail(roster.CellError{Column: a.header(opts.Key), Message: fmt.Sprintf("no user has %s %s (mode update)", opts.Key, r.Key)})
			continue
		}
		u, rc, errs, err := a.prepare(ctx, r, before)
		if err != nil {
			return nil, counts, err
		}
		// A unique value must be free, or already this user's.
		self := int64(-1)
		if before != nil {
			self = before.ID
		}
		for _, field := range []string{"email", "client_id", "id"} {
			if field == opts.Key {
				continue
			}
			v := uniqueValue(r, field, opts.Key)
			if o := owners[field][v]; v != "" && o != nil && o.id != self {
				errs = append(errs, roster.CellError{Column: a.header(field), Message: fmt.Sprintf("%s is taken by user %s", v, o.publicID)})
			}
		}
		if len(errs) > 0 {
			fail(errs...)
			continue
		}
		if before == nil {
			creates = append(creates, u)
			refChanges = append(refChanges, rc)
			continue
		}
		changed := len(diffUsers(reg, before, u)) > 0 || u.PasswordHash != before.PasswordHash
		refsChanged := (rc.setTags && !sameSet(rc.tags, before.Tags)) || (rc.setGroups && !sameSet(rc.groups, before.Groups))
		switch {
		case changed:
			u.UpdatedAt = tx.now
			if err := tx.updateUserRow(ctx, u); err != nil {
				return nil, counts, err
			}
			counts.Updated++
		case refsChanged:
			counts.Updated++
		default:
			counts.Unchanged++
			continue
		}
		if refsChanged {
			refChanges = append(refChanges, rc)
		}
	}
	if len(creates) > 0 {
		if err := tx.insertUsers(ctx, creates, false); err != nil {
			return nil, counts, err
		}
		counts.Created += int64(len(creates))
	}
	if err := tx.setImportRefs(ctx, refChanges); err != nil {
		return nil, counts, err
	}
	return failed, counts, nil
}

// rowApplier turns a chunk's rows into users within its transaction.
type rowApplier struct {
	tx      *Tx
	reg     *roster.Registry
	refs    *importRefs
	opts    roster.ImportOptions
	headers map[string]string
}

// header is the file's column for a field, for messages.
func (a *rowApplier) header(key string) string {
	if h, ok := a.headers[key]; ok {
		return h
	}
	return key
}

// prepare applies row r to a copy of before (nil: a new user) and
// validates it; it returns the user, the tags and groups the row sets,
// and the row's problems. Unique values are the caller's to check.
func (a *rowApplier) prepare(ctx context.Context, r roster.ImportRow, before *roster.User) (*roster.User, refChange, []roster.CellError, error) {
	u := &roster.User{}
	// A row the importer found valid as a new user needs no second
	// pass of setting and validating on the writer's path.
	prevalidated := before == nil && r.New != nil
	if prevalidated {
		u = r.New
	}
	if before != nil {
		cp := *before
		cp.Custom = make(map[string]any, len(before.Custom))
		for k, v := range before.Custom {
			cp.Custom[k] = v
		}
		u = &cp
	}
	var errs []roster.CellError
	touched := map[string]bool{}
	rc := refChange{user: u, existed: before != nil}
	for key, v := range r.Values {
		switch key {
		case "password", "password_hash":
			continue
		case "id":
			id, _ := v.(string)
			id = strings.TrimSpace(id)
			switch {
			case id == "":
			case before != nil && id != before.PublicID:
				errs = append(errs, roster.CellError{Column: a.header("id"), Message: fmt.Sprintf("%s is not the id of the user with %s %s (%s)", id, a.opts.Key, r.Key, before.PublicID)})
			case before == nil && !roster.ValidPublicID(id):
				errs = append(errs, roster.CellError{Column: a.header("id"), Message: fmt.Sprintf("%q is not a user id (u_ and 16 letters or digits)", id)})
			case before == nil:
				u.PublicID = id
			}
			continue
		case "tags", "groups":
			names, _ := v.([]string)
			ids, msg, err := a.tx.resolveRefs(ctx, a.refs, key, names)
			if err != nil {
				return nil, rc, nil, err
			}
			if msg != "" {
				errs = append(errs, roster.CellError{Column: a.header(key), Message: msg})
			}
			if key == "tags" {
				rc.tags, rc.setTags = ids, true
			} else {
				rc.groups, rc.setGroups = ids, true
			}
			continue
		}
		if prevalidated {
			continue
		}
		f, ok := a.reg.Field(key)
		if !ok || !u.Set(f, v) {
			errs = append(errs, roster.CellError{Column: a.header(key), Message: "cannot be set"})
			continue
		}
		touched[key] = true
	}
	if r.PasswordHash != "" {
		u.PasswordHash = r.PasswordHash
	}
	if before == nil && u.Newsletter && u.NewsletterAt.IsZero() {
		u.NewsletterAt = a.tx.now
	}
	if !prevalidated {
		u.Normalize()
	}
	if err := validate(u, a.reg, a.tx.now, before == nil, touched, prevalidated); err != nil {
		fields := roster.ErrorFields(err)
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			errs = append(errs, roster.CellError{Column: a.header(k), Message: fields[k]})
		}
		if len(fields) == 0 {
			errs = append(errs, roster.CellError{Message: roster.ErrorMessage(err)})
		}
	}
	return u, rc, errs, nil
}

// validate is User.Validate unless the importer validated u already.
func validate(u *roster.User, reg *roster.Registry, now time.Time, creating bool, touched map[string]bool, done bool) error {
	if done {
		return nil
	}
	return u.Validate(reg, now, creating, touched)
}

// resolveRefs turns tag or group names into ids; a missing tag is created,
// a missing group is the row's error.
func (tx *Tx) resolveRefs(ctx context.Context, refs *importRefs, key string, names []string) ([]int64, string, error) {
	var ids []int64
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if key == "groups" {
			id, ok := refs.groups[foldName(n)]
			if !ok {
				return nil, fmt.Sprintf("there is no group named %q (create it first)", n), nil
			}
			ids = append(ids, id)
			continue
		}
		if msg := roster.ValidTagName(n); msg != "" {
			return nil, fmt.Sprintf("tag name %q %s", n, msg), nil
		}
		id, err := tx.tagID(ctx, refs, n)
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, "", nil
}

func sameSet(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// setImportRefs gives users exactly the tags and groups their rows list.
// A row lists tags newest first, so each is added a millisecond before the
// one before it; tags and memberships a user keeps keep their dates.
func (tx *Tx) setImportRefs(ctx context.Context, changes []refChange) error {
	var tagRows, groupRows []any
	var changedIDs []int64
	for _, rc := range changes {
		uid := rc.user.ID
		if !rc.setTags && !rc.setGroups {
			continue
		}
		if rc.existed {
			changedIDs = append(changedIDs, uid)
		}
		if rc.setTags && rc.existed {
			if err := tx.dropRefs(ctx, "user_tags", "tag_id", uid, rc.tags); err != nil {
				return err
			}
		}
		if rc.setTags {
			for i, t := range rc.tags {
				if !slices.Contains(rc.user.Tags, t) {
					tagRows = append(tagRows, uid, t, tx.db.timeArg(tx.now.Add(-time.Duration(i)*time.Millisecond)))
				}
			}
		}
		if rc.setGroups && rc.existed {
			if err := tx.dropRefs(ctx, "group_members", "group_id", uid, rc.groups); err != nil {
				return err
			}
		}
		if rc.setGroups {
			for _, g := range rc.groups {
				if !slices.Contains(rc.user.Groups, g) {
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
	sc := newUserScanner()
	var got []*roster.User
	for rows.Next() {
		u, err := sc.scan(rows, reg)
		if err != nil {
			rows.Close()
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
