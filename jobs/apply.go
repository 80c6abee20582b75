package jobs

import (
	"time"

	"cmp"
	"context"
	"slices"
	"strings"

	"roster"
)

// rowWriter decides what each row of a chunk does, with the domain's
// rules, and has the store write it.
type rowWriter struct {
	opts    roster.ImportOptions
	headers roster.ImportHeaders
	w       roster.ImportWriter
	reg     *roster.Registry
}

// applyRows returns the function that writes chunk c's rows in its
// transaction; rows that cannot apply come back as failed rows and write
// nothing.
//
// Rows valid as new users (validated as the file was read) are inserted
// first, with the database itself skipping any whose email, client id or
// id is taken: looking up three unique values per row first cost more
// than the insert. The rows it skipped (they update someone, or collide)
// and the rows not valid as new then take the checked path, which looks
// their owners up.
func applyRows(opts roster.ImportOptions, c *roster.ImportChunk) roster.ImportRows {
	return func(ctx context.Context, w roster.ImportWriter) ([]roster.FailedRow, roster.ImportCounts, error) {
		reg, err := w.Registry(ctx)
		if err != nil {
			return nil, roster.ImportCounts{}, err
		}
		a := &rowWriter{opts: opts, headers: c.Headers, w: w, reg: reg}
		return a.apply(ctx, c.Rows)
	}
}

func (a *rowWriter) apply(ctx context.Context, rows []roster.ImportRow) ([]roster.FailedRow, roster.ImportCounts, error) {
	var counts roster.ImportCounts
	var refChanges []roster.RefChange
	// invite holds the users created or updated by rows whose invite
	// column is true: invited once their rows are written.
	var invite []*roster.User
	rest := rows
	if a.opts.Mode.MayCreate() {
		rest = nil
		var fresh []*roster.User
		var freshRows []int
		var freshRefs []roster.RefChange
		for i, r := range rows {
			if r.New == nil {
				rest = append(rest, r)
				continue
			}
			u := withPassword(r.New, r, a.w.Now())
			rc, errs, err := a.refs(ctx, r, u, false)
			if err != nil {
				return nil, counts, err
			}
			if len(errs) > 0 || a.inviteProblem(r, u) != nil {
				rest = append(rest, r)
				continue
			}
			fresh = append(fresh, u)
			freshRows = append(freshRows, i)
			freshRefs = append(freshRefs, rc)
		}
		if err := a.w.InsertNew(ctx, fresh); err != nil {
			return nil, counts, err
		}
		for i, u := range fresh {
			if u.ID == 0 {
				rest = append(rest, rows[freshRows[i]])
				continue
			}
			counts.Created++
			refChanges = append(refChanges, freshRefs[i])
			if rows[freshRows[i]].Invite {
				invite = append(invite, u)
			}
		}
		// The skipped rows go on in file order, after the inserted ones.
		slices.SortFunc(rest, func(x, y roster.ImportRow) int { return cmp.Compare(x.Row, y.Row) })
	}
	if len(rest) == 0 {
		if err := a.w.SetRefs(ctx, refChanges); err != nil {
			return nil, counts, err
		}
		return nil, counts, a.w.Invite(ctx, invite)
	}
	values := map[string][]string{}
	for _, r := range rest {
		for _, field := range roster.ImportKeys {
			if v := r.Unique(field, a.opts.Key); v != "" {
				values[field] = append(values[field], v)
			}
		}
	}
	owners, err := a.w.Owners(ctx, values)
	if err != nil {
		return nil, counts, err
	}
	// The users the rows update, read whole (with their tags and groups)
	// to diff against.
	var targetIDs []int64
	for _, r := range rest {
		if o, ok := owners[a.opts.Key][r.Key]; ok {
			targetIDs = append(targetIDs, o.ID)
		}
	}
	existing, err := a.w.Users(ctx, targetIDs)
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
		if o, ok := owners[a.opts.Key][r.Key]; ok {
			before = existing[o.ID]
		}
		action, why := a.opts.RowAction(r.Key, before != nil)
		if action == roster.RowRefused {
			fail(roster.CellError{Column: a.headers.Column(a.opts.Key), Message: why})
			continue
		}
		// A row is validated once: as a new user when it was read, as an
		// update here, against the user it updates.
		var u *roster.User
		var errs []roster.CellError
		switch {
		case before != nil:
			u, errs = r.ApplyTo(before, a.reg, a.opts.Key, a.w.Now(), a.headers)
			u = withPassword(u, r, a.w.Now())
		case r.New != nil:
			u = withPassword(r.New, r, a.w.Now())
		default:
			errs = slices.Clone(r.NewErrors)
		}
		rc, refErrs, err := a.refs(ctx, r, u, before != nil)
		if err != nil {
			return nil, counts, err
		}
		errs = append(errs, refErrs...)
		self := int64(0)
		if before != nil {
			self = before.ID
		}
		errs = append(errs, r.TakenValues(a.opts.Key, self, owners, a.headers)...)
		if e := a.inviteProblem(r, u); e != nil {
			errs = append(errs, *e)
		}
		if len(errs) > 0 {
			fail(errs...)
			continue
		}
		if action == roster.RowCreate {
			creates = append(creates, u)
			refChanges = append(refChanges, rc)
			if r.Invite {
				invite = append(invite, u)
			}
			continue
		}
		changed := len(roster.DiffUsers(a.reg, before, u)) > 0 || u.PasswordHash != before.PasswordHash
		refsChanged := rc.Changed()
		switch {
		case changed:
			if err := a.w.Update(ctx, before, u); err != nil {
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
		if r.Invite {
			invite = append(invite, u)
		}
	}
	if len(creates) > 0 {
		if err := a.w.Insert(ctx, creates); err != nil {
			return nil, counts, err
		}
		counts.Created += int64(len(creates))
	}
	if err := a.w.SetRefs(ctx, refChanges); err != nil {
		return nil, counts, err
	}
	if err := a.w.Invite(ctx, invite); err != nil {
		return nil, counts, err
	}
	return failed, counts, nil
}

// inviteProblem is the error of row r when its invite column asks to
// invite u and the invite cannot reach u; nil otherwise.
func (a *rowWriter) inviteProblem(r roster.ImportRow, u *roster.User) *roster.CellError {
	if !r.Invite || u == nil {
		return nil
	}
	// A dry run hashes no password: the plain one counts too.
	plain, _ := r.Values["password"].(string)
	if why := roster.InviteSkip(u.Email, u.Status, u.PasswordHash != "" || plain != ""); why != "" {
		return &roster.CellError{Column: a.headers.Column(roster.ImportInviteField.Key), Message: roster.InviteSkipMessage(why)}
	}
	return nil
}

// withPassword gives u the hash row r stores, if any; a new password is
// set at now (which renews an expired account).
func withPassword(u *roster.User, r roster.ImportRow, now time.Time) *roster.User {
	if u != nil && r.PasswordHash != "" {
		if u.PasswordHash != r.PasswordHash {
			u.PasswordSetAt = now
		}
		u.PasswordHash = r.PasswordHash
	}
	return u
}

// refs resolves the tags and groups row r sets for user u (as stored, when
// existed): a missing tag is created, a missing group is the row's error.
func (a *rowWriter) refs(ctx context.Context, r roster.ImportRow, u *roster.User, existed bool) (roster.RefChange, []roster.CellError, error) {
	rc := roster.RefChange{User: u, Existed: existed}
	var errs []roster.CellError
	for _, key := range []string{"tags", "groups"} {
		v, ok := r.Values[key]
		if !ok {
			continue
		}
		names, _ := v.([]string)
		ids, msg, err := a.resolve(ctx, key, names)
		if err != nil {
			return rc, nil, err
		}
		if msg != "" {
			errs = append(errs, roster.CellError{Column: a.headers.Column(key), Message: msg})
		}
		if key == "tags" {
			rc.Tags, rc.SetTags = ids, true
		} else {
			rc.Groups, rc.SetGroups = ids, true
		}
	}
	return rc, errs, nil
}

// resolve turns tag or group names into ids, or gives the first name's
// problem.
func (a *rowWriter) resolve(ctx context.Context, key string, names []string) ([]int64, string, error) {
	var ids []int64
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if key == "groups" {
			id, ok, err := a.w.GroupID(ctx, n)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				return nil, roster.ImportGroupProblem(n), nil
			}
			ids = append(ids, id)
			continue
		}
		if msg := roster.ImportTagProblem(n); msg != "" {
			return nil, msg, nil
		}
		id, err := a.w.TagID(ctx, n)
		if err != nil {
			return nil, "", err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, "", nil
}
