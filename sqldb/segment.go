package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"roster"
	"roster/query"
)

// Ensure SegmentService implements the domain interface.
var _ roster.SegmentService = (*SegmentService)(nil)

// SegmentService stores segments.
type SegmentService struct {
	db *DB
}

// NewSegmentService returns a SegmentService on db.
func NewSegmentService(db *DB) *SegmentService { return &SegmentService{db: db} }

const segmentSelect = "SELECT id, name, q, includes, excludes, added_users, removed_users, created_at, updated_at FROM segments"

func scanSegment(row interface{ Scan(...any) error }) (roster.Segment, error) {
	var s roster.Segment
	var inc, exc, added, removed []byte
	err := row.Scan(&s.ID, &s.Name, &s.Q, &inc, &exc, &added, &removed, timeScan{&s.CreatedAt}, timeScan{&s.UpdatedAt})
	for _, c := range []struct {
		b []byte
		v any
	}{{inc, &s.Include}, {exc, &s.Exclude}, {added, &s.AddedUsers}, {removed, &s.RemovedUsers}} {
		if err == nil {
			err = json.Unmarshal(c.b, c.v)
		}
	}
	return s, err
}

// FindSegments returns every segment by name.
func (s *SegmentService) FindSegments(ctx context.Context) ([]roster.Segment, error) {
	return findSegments(ctx, s.db.read)
}

func findSegments(ctx context.Context, q querier) ([]roster.Segment, error) {
	rows, err := q.QueryContext(ctx, segmentSelect+" ORDER BY lower(name), id")
	if err != nil {
		return nil, formatError(err, "find segments")
	}
	defer rows.Close()
	var out []roster.Segment
	for rows.Next() {
		sg, err := scanSegment(rows)
		if err != nil {
			return nil, formatError(err, "find segments")
		}
		out = append(out, sg)
	}
	return out, formatError(rows.Err(), "find segments")
}

// FindSegment returns one segment.
func (s *SegmentService) FindSegment(ctx context.Context, id int64) (*roster.Segment, error) {
	sg, err := scanSegment(s.db.queryRow(ctx, segmentSelect+" WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "segment", "find segment")
	}
	return &sg, nil
}

// CreateSegment stores sg after checking it against everything it refers
// to, in the same transaction.
func (s *SegmentService) CreateSegment(ctx context.Context, sg *roster.Segment) error {
	sg.ID = 0
	return s.save(ctx, sg)
}

// UpdateSegment replaces a segment.
func (s *SegmentService) UpdateSegment(ctx context.Context, sg *roster.Segment) error {
	if sg.ID <= 0 {
		return roster.Errorf(roster.ENOTFOUND, "No such segment.")
	}
	return s.save(ctx, sg)
}

func (s *SegmentService) save(ctx context.Context, sg *roster.Segment) error {
	if err := sg.Validate(); err != nil {
		return err
	}
	if sg.Include == nil {
		sg.Include = []roster.SegmentRef{}
	}
	if sg.Exclude == nil {
		sg.Exclude = []roster.SegmentRef{}
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	reg, err := loadRegistry(ctx, tx, s.db)
	if err != nil {
		return err
	}
	if reg.Catalog, err = loadCatalog(ctx, tx); err != nil {
		return err
	}
	var before roster.Segment
	if sg.ID > 0 {
		i := slices.IndexFunc(reg.Catalog.Segments, func(x roster.Segment) bool { return x.ID == sg.ID })
		if i < 0 {
			return roster.Errorf(roster.ENOTFOUND, "No such segment.")
		}
		before = reg.Catalog.Segments[i]
	}
	// Users added or removed by hand are SetSegmentMember's to change.
	sg.AddedUsers, sg.RemovedUsers = before.AddedUsers, before.RemovedUsers
	if sg.AddedUsers == nil {
		sg.AddedUsers = []string{}
	}
	if sg.RemovedUsers == nil {
		sg.RemovedUsers = []string{}
	}
	if err := query.CheckSegment(sg, reg); err != nil {
		return err
	}
	inc, _ := json.Marshal(sg.Include)
	exc, _ := json.Marshal(sg.Exclude)
	sg.UpdatedAt = tx.now
	action := "segment.update"
	if sg.ID == 0 {
		action = "segment.create"
		sg.CreatedAt = tx.now
		sg.ID, err = tx.insert(ctx, "INSERT INTO segments (name, q, includes, excludes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			sg.Name, sg.Q, string(inc), string(exc), s.db.timeArg(tx.now), s.db.timeArg(tx.now))
	} else {
		sg.CreatedAt = before.CreatedAt
		_, err = tx.exec(ctx, "UPDATE segments SET name = ?, q = ?, includes = ?, excludes = ?, updated_at = ? WHERE id = ?",
			sg.Name, sg.Q, string(inc), string(exc), s.db.timeArg(tx.now), sg.ID)
	}
	if err != nil {
		return formatError(err, action)
	}
	changes := map[string]roster.Change{}
	add := func(k string, a, b any) {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		if string(x) != string(y) {
			changes[k] = roster.Change{Before: a, After: b}
		}
	}
	if before.ID == 0 {
		before.Include, before.Exclude = []roster.SegmentRef{}, []roster.SegmentRef{}
	}
	add("name", before.Name, sg.Name)
	add("q", before.Q, sg.Q)
	add("include", before.Include, sg.Include)
	add("exclude", before.Exclude, sg.Exclude)
	if err := tx.audit(ctx, action, "segment", roster.RefValue(sg.ID), changes, ""); err != nil {
		return err
	}
	return tx.commit()
}

// DeleteSegment deletes a segment no other segment refers to.
func (s *SegmentService) DeleteSegment(ctx context.Context, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	segs, err := findSegments(ctx, tx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(segs, func(x roster.Segment) bool { return x.ID == id })
	if i < 0 {
		return roster.Errorf(roster.ENOTFOUND, "No such segment.")
	}
	for _, other := range segs {
		if other.ID != id && query.SegmentRefersTo(other, segs[i]) {
			return roster.Errorf(roster.ECONFLICT, "The segment %q refers to this one: change it first.", other.Name)
		}
	}
	if _, err := tx.exec(ctx, "DELETE FROM segments WHERE id = ?", id); err != nil {
		return formatError(err, "delete segment")
	}
	if err := tx.audit(ctx, "segment.delete", "segment", roster.RefValue(id), map[string]roster.Change{
		"name": {Before: segs[i].Name}, "q": {Before: segs[i].Q}}, ""); err != nil {
		return err
	}
	return tx.commit()
}

// SetSegmentMember adds a user to a segment by hand, or removes them by
// hand: the user leaves one list and joins the other, whatever the
// segment's filter says. Audited on the user, naming the segment, as a
// group's member added by staff is.
func (s *SegmentService) SetSegmentMember(ctx context.Context, id int64, userID string, member bool) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	sg, err := scanSegment(tx.queryRow(ctx, segmentSelect+" WHERE id = ?"+tx.db.forUpdate(), id))
	if err != nil {
		return notFound(err, "segment", "set segment member")
	}
	if _, err := tx.userID(ctx, userID); err != nil {
		return err
	}
	add, drop, action := &sg.AddedUsers, &sg.RemovedUsers, "segment.add_member"
	if !member {
		add, drop, action = drop, add, "segment.remove_member"
	}
	*drop = slices.DeleteFunc(*drop, func(x string) bool { return x == userID })
	if slices.Contains(*add, userID) {
		return tx.commit() // nothing changes
	}
	if len(*add) >= roster.MaxSegmentUsers {
		what := "added to"
		if !member {
			what = "removed from"
		}
		return roster.Errorf(roster.EINVALID, "The segment %q already has %d users %s it by hand: change its filter instead.", sg.Name, roster.MaxSegmentUsers, what)
	}
	*add = append(*add, userID)
	added, _ := json.Marshal(sg.AddedUsers)
	removed, _ := json.Marshal(sg.RemovedUsers)
	if _, err := tx.exec(ctx, "UPDATE segments SET added_users = ?, removed_users = ?, updated_at = ? WHERE id = ?",
		string(added), string(removed), s.db.timeArg(tx.now), id); err != nil {
		return formatError(err, action)
	}
	if err := tx.audit(ctx, action, "user", userID, nil, fmt.Sprintf("%s (#%d)", sg.Name, id)); err != nil {
		return err
	}
	return tx.commit()
}
