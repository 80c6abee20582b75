package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"roster"
)

// Ensure TagService implements the domain interface.
var _ roster.TagService = (*TagService)(nil)

// TagService stores tags and who carries them.
type TagService struct {
	db *DB
}

// NewTagService returns a TagService on db.
func NewTagService(db *DB) *TagService { return &TagService{db: db} }

// tagSelect reads one tag with its user count; tagListSelect reads tags
// without counting (lists take counts from the index: MemberCounts).
const (
	tagSelect     = "SELECT t.id, t.name, t.color, t.created_at, (SELECT COUNT(*) FROM user_tags ut WHERE ut.tag_id = t.id) FROM tags t"
	tagListSelect = "SELECT t.id, t.name, t.color, t.created_at, 0 FROM tags t"
)

func scanTag(row interface{ Scan(...any) error }) (roster.Tag, error) {
	var t roster.Tag
	err := row.Scan(&t.ID, &t.Name, &t.Color, timeScan{&t.CreatedAt}, &t.Users)
	return t, err
}

// FindTags returns every tag by name, then by id.
func (s *TagService) FindTags(ctx context.Context) ([]roster.Tag, error) {
	return findTags(ctx, s.db.read)
}

func findTags(ctx context.Context, q querier) ([]roster.Tag, error) {
	rows, err := q.QueryContext(ctx, tagListSelect+" ORDER BY lower(t.name), t.id")
	if err != nil {
		return nil, formatError(err, "find tags")
	}
	defer rows.Close()
	var out []roster.Tag
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			return nil, formatError(err, "find tags")
		}
		out = append(out, t)
	}
	return out, formatError(rows.Err(), "find tags")
}

// FindTag returns one tag.
func (s *TagService) FindTag(ctx context.Context, id int64) (*roster.Tag, error) {
	t, err := scanTag(s.db.queryRow(ctx, tagSelect+" WHERE t.id = ?", id))
	if err != nil {
		return nil, notFound(err, "tag", "find tag")
	}
	return &t, nil
}

// CreateTag stores t with a colour from the palette unless it has one.
func (s *TagService) CreateTag(ctx context.Context, t *roster.Tag) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.Color == "" {
		t.Color = roster.TagColors[rand.IntN(len(roster.TagColors))]
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t.CreatedAt = tx.now
	t.Users = 0
	if t.ID, err = tx.insert(ctx, "INSERT INTO tags (name, color, created_at) VALUES (?, ?, ?)", t.Name, t.Color, s.db.timeArg(tx.now)); err != nil {
		return formatError(err, "create tag")
	}
	if err := tx.audit(ctx, "tag.create", "tag", roster.RefValue(t.ID), map[string]roster.Change{
		"name": {After: t.Name}, "color": {After: t.Color}}, ""); err != nil {
		return err
	}
	return tx.commit()
}

// UpdateTag renames or recolours a tag. Users carry tags by id, so nothing
// else changes.
func (s *TagService) UpdateTag(ctx context.Context, id int64, upd roster.TagUpdate) (*roster.Tag, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := scanTag(tx.queryRow(ctx, tagSelect+" WHERE t.id = ?"+s.db.forUpdate(), id))
	if err != nil {
		return nil, notFound(err, "tag", "update tag")
	}
	before := t
	if upd.Name != nil {
		t.Name = *upd.Name
	}
	if upd.Color != nil {
		t.Color = *upd.Color
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if t.Color == "" {
		t.Color = before.Color
	}
	changes := map[string]roster.Change{}
	if t.Name != before.Name {
		changes["name"] = roster.Change{Before: before.Name, After: t.Name}
	}
	if t.Color != before.Color {
		changes["color"] = roster.Change{Before: before.Color, After: t.Color}
	}
	if len(changes) == 0 {
		return &t, nil
	}
	if _, err := tx.exec(ctx, "UPDATE tags SET name = ?, color = ? WHERE id = ?", t.Name, t.Color, id); err != nil {
		return nil, formatError(err, "update tag")
	}
	if err := tx.audit(ctx, "tag.update", "tag", roster.RefValue(id), changes, ""); err != nil {
		return nil, err
	}
	return &t, tx.commit()
}

// DeleteTag deletes a tag and takes it off its users.
func (s *TagService) DeleteTag(ctx context.Context, id int64) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var name string
	if err := tx.queryRow(ctx, "SELECT name FROM tags WHERE id = ?"+s.db.forUpdate(), id).Scan(&name); err != nil {
		return 0, notFound(err, "tag", "delete tag")
	}
	users, err := tx.ids(ctx, "DELETE FROM user_tags WHERE tag_id = ? RETURNING user_id", id)
	if err != nil {
		return 0, formatError(err, "delete tag")
	}
	if _, err := tx.exec(ctx, "DELETE FROM tags WHERE id = ?", id); err != nil {
		return 0, formatError(err, "delete tag")
	}
	if err := tx.logChangeIDs(ctx, users); err != nil {
		return 0, err
	}
	if err := tx.emitWebhook(ctx, roster.EventTagRemoved, users, map[string]any{"tag": name, "tag_deleted": true}); err != nil {
		return 0, err
	}
	if err := tx.audit(ctx, "tag.delete", "tag", roster.RefValue(id), map[string]roster.Change{"name": {Before: name}},
		fmt.Sprintf("taken off %d users", len(users))); err != nil {
		return 0, err
	}
	return len(users), tx.commit()
}

// TagUser puts a tag on one user.
func (s *TagService) TagUser(ctx context.Context, userID string, tagID int64) error {
	return s.one(ctx, userID, tagID, true)
}

// UntagUser takes a tag off one user.
func (s *TagService) UntagUser(ctx context.Context, userID string, tagID int64) error {
	return s.one(ctx, userID, tagID, false)
}

func (s *TagService) one(ctx context.Context, publicID string, tagID int64, add bool) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	uid, err := tx.userID(ctx, publicID)
	if err != nil {
		return err
	}
	name, changed, err := tx.tagUsers(ctx, tagID, []int64{uid}, add)
	if err != nil || len(changed) == 0 {
		return err
	}
	action := "user.tag"
	if !add {
		action = "user.untag"
	}
	if err := tx.audit(ctx, action, "user", publicID, nil, fmt.Sprintf("%s (#%d)", name, tagID)); err != nil {
		return err
	}
	return tx.commit()
}

// TagUsers puts a tag on many users at once.
func (s *TagService) TagUsers(ctx context.Context, tagID int64, userIDs []int64, filter string) (int, error) {
	return s.many(ctx, tagID, userIDs, filter, true)
}

// UntagUsers takes a tag off many users at once.
func (s *TagService) UntagUsers(ctx context.Context, tagID int64, userIDs []int64, filter string) (int, error) {
	return s.many(ctx, tagID, userIDs, filter, false)
}

func (s *TagService) many(ctx context.Context, tagID int64, userIDs []int64, filter string, add bool) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	_, changed, err := tx.tagUsers(ctx, tagID, userIDs, add)
	if err != nil {
		return 0, err
	}
	action, verb := "tag.apply", "tagged"
	if !add {
		action, verb = "tag.remove", "untagged"
	}
	note := bulkNote(verb, len(changed), len(userIDs), filter)
	if err := tx.audit(ctx, action, "tag", roster.RefValue(tagID), nil, note); err != nil {
		return 0, err
	}
	if err := tx.notifyBulk(ctx, "Tag", note); err != nil {
		return 0, err
	}
	return len(changed), tx.commit()
}

// notifyBulk tells the staff member who ran a bulk action (many users at
// once, from the table or the API) that it finished, on the browsers they
// subscribed to that alert.
func (tx *Tx) notifyBulk(ctx context.Context, what, note string) error {
	return tx.notifyStaff(ctx, roster.ActorFromContext(ctx).StaffID, roster.AlertBulkDone, "Bulk action finished", what+": "+note)
}

// bulkNote is the audit note of a bulk action: what it did, to how many of
// the users the filter chose.
func bulkNote(verb string, changed, chosen int, filter string) string {
	n := fmt.Sprintf("%s %d of %d users", verb, changed, chosen)
	if filter != "" {
		n += "; filter: " + filter
	}
	return n
}

// tagUsers adds or removes a tag for the users with the given store ids
// that exist and returns the tag's name and the ids it changed, logged.
func (tx *Tx) tagUsers(ctx context.Context, tagID int64, userIDs []int64, add bool) (string, []int64, error) {
	var name string
	if err := tx.queryRow(ctx, "SELECT name FROM tags WHERE id = ?", tagID).Scan(&name); err != nil {
		return "", nil, notFound(err, "tag", "tag users")
	}
	list, arg, err := tx.db.idList(userIDs)
	if err != nil {
		return "", nil, err
	}
	var changed []int64
	if add {
		changed, err = tx.ids(ctx, "INSERT INTO user_tags (user_id, tag_id, added_at) SELECT u.id, ?, ? FROM users u JOIN "+list+
			" l ON l.id = u.id WHERE TRUE ON CONFLICT (user_id, tag_id) DO NOTHING RETURNING user_id", tagID, tx.db.timeArg(tx.now), arg)
	} else {
		changed, err = tx.ids(ctx, "DELETE FROM user_tags WHERE tag_id = ? AND user_id IN (SELECT id FROM "+list+" l) RETURNING user_id", tagID, arg)
	}
	if err != nil {
		return "", nil, formatError(err, "tag users")
	}
	if err := tx.logChangeIDs(ctx, changed); err != nil {
		return "", nil, err
	}
	ev := roster.EventTagAdded
	if !add {
		ev = roster.EventTagRemoved
	}
	return name, changed, tx.emitWebhook(ctx, ev, changed, map[string]any{"tag": name})
}

// idList returns a table expression with one column, id, holding ids, and
// its one argument: a JSON array, so that 100,000 ids take one parameter.
func (db *DB) idList(ids []int64) (string, any, error) {
	if ids == nil {
		ids = []int64{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return "", nil, err
	}
	if db.Dialect == Postgres {
		return "(SELECT v::bigint AS id FROM jsonb_array_elements_text(?::jsonb) AS v)", string(b), nil
	}
	return "(SELECT value AS id FROM json_each(?))", string(b), nil
}

// ids runs a statement that returns one id per row and collects them.
func (tx *Tx) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// logChangeIDs appends a refs change (tags or groups changed) for each of
// ids with one statement.
func (tx *Tx) logChangeIDs(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	list, arg, err := tx.db.idList(ids)
	if err != nil {
		return err
	}
	if err := tx.appendChanges(ctx, "SELECT id, ?, ? FROM "+list+" l", true, string(roster.ChangeRefs), tx.db.timeArg(tx.now), arg); err != nil {
		return err
	}
	tx.changedRefs = append(tx.changedRefs, ids...)
	return nil
}

// FindUserRefs returns the users with the given store ids that exist,
// with only ID, Tags and Groups filled in: what the query index reloads
// after a refs change.
func (s *UserService) FindUserRefs(ctx context.Context, ids []int64) ([]*roster.User, error) {
	byID := make(map[int64]*roster.User, len(ids))
	var out []*roster.User
	const chunk = 50_000
	for start := 0; start < len(ids); start += chunk {
		list, arg, err := s.db.idList(ids[start:min(start+chunk, len(ids))])
		if err != nil {
			return nil, err
		}
		rows, err := s.db.query(ctx, `SELECT u.id, 0, 0 FROM users u JOIN `+list+` l ON l.id = u.id
			UNION ALL SELECT r.user_id, 1, r.tag_id FROM user_tags r JOIN `+list+` l ON l.id = r.user_id
			UNION ALL SELECT r.user_id, 2, r.group_id FROM group_members r JOIN `+list+` l ON l.id = r.user_id`, arg, arg, arg)
		if err != nil {
			return nil, formatError(err, "find refs")
		}
		err = eachRow(rows, func() error {
			var uid, ref int64
			var kind int
			if err := rows.Scan(&uid, &kind, &ref); err != nil {
				return err
			}
			u := byID[uid]
			if u == nil {
				u = &roster.User{ID: uid}
				byID[uid] = u
			}
			switch kind {
			case 0:
				out = append(out, u)
			case 1:
				u.Tags = append(u.Tags, ref)
			case 2:
				u.Groups = append(u.Groups, ref)
			}
			return nil
		})
		if err != nil {
			return nil, formatError(err, "find refs")
		}
	}
	return out, nil
}

// userID returns the store id of the user with publicID. ENOTFOUND.
func (tx *Tx) userID(ctx context.Context, publicID string) (int64, error) {
	var id int64
	if err := tx.queryRow(ctx, "SELECT id FROM users WHERE public_id = ?", publicID).Scan(&id); err != nil {
		return 0, notFound(err, "user", "find user")
	}
	return id, nil
}

// notFound names what was not found, for a message better than "Not found."
func notFound(err error, what, op string) error {
	if err == sql.ErrNoRows {
		return roster.Errorf(roster.ENOTFOUND, "No such %s.", what)
	}
	return formatError(err, op)
}
