package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"roster"
)

// Ensure GroupService implements the domain interface.
var _ roster.GroupService = (*GroupService)(nil)

// GroupService stores groups, their codes and members, and the smart type
// list (user_groups.smart_rank).
type GroupService struct {
	db *DB
}

// NewGroupService returns a GroupService on db.
func NewGroupService(db *DB) *GroupService { return &GroupService{db: db} }

// groupSelect reads one group with its member count; groupListSelect
// reads groups without counting (lists take counts from the index:
// MemberCounts).
const (
	groupColumns = `SELECT g.id, g.name, g.description, g.starts_at, g.stops_at, g.user_viewable, g.join_type,
	g.position, g.properties, g.created_at, `
	groupSelect     = groupColumns + "(SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) FROM user_groups g"
	groupListSelect = groupColumns + "0 FROM user_groups g"
)

const groupOrder = " ORDER BY g.position, lower(g.name), g.id"

func scanGroup(row interface{ Scan(...any) error }) (roster.Group, error) {
	var g roster.Group
	var props []byte
	err := row.Scan(&g.ID, &g.Name, &g.Description, timeScan{&g.StartsAt}, timeScan{&g.StopsAt}, boolScan{&g.UserViewable},
		(*string)(&g.JoinType), &g.Order, &props, timeScan{&g.CreatedAt}, &g.Members)
	if err == nil {
		err = json.Unmarshal(props, &g.Properties)
	}
	if g.Properties == nil {
		g.Properties = map[string]any{}
	}
	return g, err
}

// FindGroups returns every group in display order.
func (s *GroupService) FindGroups(ctx context.Context) ([]roster.Group, error) {
	return findGroups(ctx, s.db.read)
}

func findGroups(ctx context.Context, q querier) ([]roster.Group, error) {
	rows, err := q.QueryContext(ctx, groupListSelect+groupOrder)
	if err != nil {
		return nil, formatError(err, "find groups")
	}
	defer rows.Close()
	var out []roster.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, formatError(err, "find groups")
		}
		out = append(out, g)
	}
	return out, formatError(rows.Err(), "find groups")
}

// FindGroup returns one group.
func (s *GroupService) FindGroup(ctx context.Context, id int64) (*roster.Group, error) {
	g, err := scanGroup(s.db.queryRow(ctx, groupSelect+" WHERE g.id = ?", id))
	if err != nil {
		return nil, notFound(err, "group", "find group")
	}
	return &g, nil
}

// nameTaken reports a conflict when another group has name, in any case.
func (tx *Tx) groupNameTaken(ctx context.Context, name string, id int64) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM user_groups WHERE lower(name) = lower(?) AND id <> ?", name, id).Scan(&n); err != nil {
		return formatError(err, "group name")
	}
	if n > 0 {
		return &roster.Error{Code: roster.ECONFLICT, Message: "name: another group is called " + name,
			Fields: map[string]string{"name": "another group has this name"}, Position: -1}
	}
	return nil
}

// CreateGroup stores g.
func (s *GroupService) CreateGroup(ctx context.Context, g *roster.Group) error {
	if err := g.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.groupNameTaken(ctx, g.Name, 0); err != nil {
		return err
	}
	props, err := json.Marshal(orEmpty(g.Properties))
	if err != nil {
		return err
	}
	g.CreatedAt, g.Members = tx.now, 0
	g.ID, err = tx.insert(ctx, `INSERT INTO user_groups (name, description, starts_at, stops_at, user_viewable, join_type, position, properties, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, g.Name, g.Description, s.db.timeArg(g.StartsAt), s.db.timeArg(g.StopsAt), g.UserViewable,
		string(g.JoinType), g.Order, string(props), s.db.timeArg(tx.now), s.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "create group")
	}
	if err := tx.audit(ctx, "group.create", "group", roster.RefValue(g.ID), groupChanges(roster.Group{}, *g), ""); err != nil {
		return err
	}
	return tx.commit()
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// groupChanges lists what differs between two versions of a group.
func groupChanges(a, b roster.Group) map[string]roster.Change {
	out := map[string]roster.Change{}
	add := func(k string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			out[k] = roster.Change{Before: x, After: y}
		}
	}
	tm := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	add("name", a.Name, b.Name)
	add("description", a.Description, b.Description)
	add("starts_at", tm(a.StartsAt), tm(b.StartsAt))
	add("stops_at", tm(a.StopsAt), tm(b.StopsAt))
	add("user_viewable", a.UserViewable, b.UserViewable)
	add("join_type", string(a.JoinType), string(b.JoinType))
	add("order", a.Order, b.Order)
	pa, _ := json.Marshal(orEmpty(a.Properties))
	pb, _ := json.Marshal(orEmpty(b.Properties))
	if string(pa) != string(pb) {
		out["properties"] = roster.Change{Before: json.RawMessage(pa), After: json.RawMessage(pb)}
	}
	return out
}

// UpdateGroup changes a group.
func (s *GroupService) UpdateGroup(ctx context.Context, id int64, upd roster.GroupUpdate) (*roster.Group, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	before, err := scanGroup(tx.queryRow(ctx, groupSelect+" WHERE g.id = ?"+s.db.forUpdate(), id))
	if err != nil {
		return nil, notFound(err, "group", "update group")
	}
	g := before
	upd.Apply(&g)
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := tx.groupNameTaken(ctx, g.Name, id); err != nil {
		return nil, err
	}
	changes := groupChanges(before, g)
	if len(changes) == 0 {
		return &g, nil
	}
	props, err := json.Marshal(orEmpty(g.Properties))
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE user_groups SET name = ?, description = ?, starts_at = ?, stops_at = ?, user_viewable = ?,
		join_type = ?, position = ?, properties = ?, updated_at = ? WHERE id = ?`, g.Name, g.Description, s.db.timeArg(g.StartsAt),
		s.db.timeArg(g.StopsAt), g.UserViewable, string(g.JoinType), g.Order, string(props), s.db.timeArg(tx.now), id); err != nil {
		return nil, formatError(err, "update group")
	}
	if err := tx.audit(ctx, "group.update", "group", roster.RefValue(id), changes, ""); err != nil {
		return nil, err
	}
	return &g, tx.commit()
}

// DeleteGroup deletes a group, its codes and memberships, unless a segment
// refers to it.
func (s *GroupService) DeleteGroup(ctx context.Context, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var name string
	if err := tx.queryRow(ctx, "SELECT name FROM user_groups WHERE id = ?"+s.db.forUpdate(), id).Scan(&name); err != nil {
		return notFound(err, "group", "delete group")
	}
	segs, err := findSegments(ctx, tx)
	if err != nil {
		return err
	}
	for _, sg := range segs {
		if slices.Contains(sg.Include, roster.SegmentRef{Type: roster.RefGroup, ID: id}) || slices.Contains(sg.Exclude, roster.SegmentRef{Type: roster.RefGroup, ID: id}) {
			return roster.Errorf(roster.ECONFLICT, "The segment %q refers to this group: change that segment first.", sg.Name)
		}
	}
	members, err := tx.ids(ctx, "DELETE FROM group_members WHERE group_id = ? RETURNING user_id", id)
	if err != nil {
		return formatError(err, "delete group")
	}
	if _, err := tx.exec(ctx, "DELETE FROM user_groups WHERE id = ?", id); err != nil {
		return formatError(err, "delete group")
	}
	if err := tx.logChangeIDs(ctx, members); err != nil {
		return err
	}
	if err := tx.emitWebhook(ctx, roster.EventGroupLeft, members, map[string]any{"group_id": id, "group": name, "group_deleted": true}); err != nil {
		return err
	}
	if err := tx.audit(ctx, "group.delete", "group", roster.RefValue(id), map[string]roster.Change{"name": {Before: name}},
		fmt.Sprintf("%d members", len(members))); err != nil {
		return err
	}
	return tx.commit()
}

// codeAlphabet leaves out 0/O and 1/I/L, which people misread.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newCode returns a random code of 12 characters (59 bits) in groups of
// four.
func newCode() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var sb strings.Builder
	for i, x := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		// 256 is not a multiple of 31: the bias of a few per cent on some
		// characters costs well under a bit of the 59.
		sb.WriteByte(codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return sb.String(), nil
}

func codeHash(code string) string {
	h := sha256.Sum256([]byte(roster.NormalizeCode(code)))
	return hex.EncodeToString(h[:])
}

// CreateCodes makes codes for a group.
func (s *GroupService) CreateCodes(ctx context.Context, groupID int64, req roster.CodeRequest) ([]roster.GroupCode, error) {
	if err := req.Validate(s.db.Now()); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var name string
	if err := tx.queryRow(ctx, "SELECT name FROM user_groups WHERE id = ?", groupID).Scan(&name); err != nil {
		return nil, notFound(err, "group", "create codes")
	}
	out := make([]roster.GroupCode, 0, req.Count)
	for range req.Count {
		c := roster.GroupCode{GroupID: groupID, Code: req.Code, MaxUses: req.MaxUses, StartsAt: req.StartsAt, ExpiresAt: req.ExpiresAt, CreatedAt: tx.now}
		if c.Code == "" {
			if c.Code, err = newCode(); err != nil {
				return nil, err
			}
		}
		norm := roster.NormalizeCode(c.Code)
		c.Hint = norm[:4]
		c.ID, err = tx.insert(ctx, `INSERT INTO group_codes (group_id, code_hash, hint, max_uses, uses, starts_at, expires_at, created_at)
			VALUES (?, ?, ?, ?, 0, ?, ?, ?)`, groupID, codeHash(c.Code), c.Hint, c.MaxUses, s.db.timeArg(c.StartsAt), s.db.timeArg(c.ExpiresAt), s.db.timeArg(tx.now))
		if err != nil {
			if e := formatError(err, "create codes"); roster.ErrorCode(e) == roster.ECONFLICT {
				return nil, &roster.Error{Code: roster.ECONFLICT, Message: "code: this code is already in use", Fields: map[string]string{"code": "is already in use"}, Position: -1}
			}
			return nil, formatError(err, "create codes")
		}
		out = append(out, c)
	}
	uses := "unlimited uses"
	if req.MaxUses > 0 {
		uses = fmt.Sprintf("%d uses each", req.MaxUses)
	}
	if err := tx.audit(ctx, "group.codes", "group", roster.RefValue(groupID), nil, fmt.Sprintf("%d codes, %s", len(out), uses)); err != nil {
		return nil, err
	}
	return out, tx.commit()
}

// FindCodes returns a group's codes, newest first.
func (s *GroupService) FindCodes(ctx context.Context, groupID int64) ([]roster.GroupCode, error) {
	rows, err := s.db.query(ctx, `SELECT id, group_id, hint, max_uses, uses, starts_at, expires_at, created_at
		FROM group_codes WHERE group_id = ? ORDER BY id DESC`, groupID)
	if err != nil {
		return nil, formatError(err, "find codes")
	}
	defer rows.Close()
	var out []roster.GroupCode
	for rows.Next() {
		var c roster.GroupCode
		if err := rows.Scan(&c.ID, &c.GroupID, &c.Hint, &c.MaxUses, &c.Uses, timeScan{&c.StartsAt}, timeScan{&c.ExpiresAt}, timeScan{&c.CreatedAt}); err != nil {
			return nil, formatError(err, "find codes")
		}
		out = append(out, c)
	}
	return out, formatError(rows.Err(), "find codes")
}

// DeleteCode revokes a code.
func (s *GroupService) DeleteCode(ctx context.Context, groupID, codeID int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var hint string
	if err := tx.queryRow(ctx, "DELETE FROM group_codes WHERE id = ? AND group_id = ? RETURNING hint", codeID, groupID).Scan(&hint); err != nil {
		return notFound(err, "code", "delete code")
	}
	if err := tx.audit(ctx, "group.code_delete", "group", roster.RefValue(groupID), nil, "code "+hint+"…"); err != nil {
		return err
	}
	return tx.commit()
}

func refused(format string, args ...any) error {
	return roster.Errorf(roster.EINVALID, format, args...)
}

// Join lets a user join by themselves. A code's use is counted by one
// conditional UPDATE: concurrent redemptions queue on the code's row (the
// one writer on SQLite, the row lock on PostgreSQL) and each re-checks the
// count, so a code of N uses admits exactly N users.
func (s *GroupService) Join(ctx context.Context, groupID int64, userID string, code string) (*roster.Membership, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	g, err := scanGroup(tx.queryRow(ctx, groupSelect+" WHERE g.id = ?", groupID))
	if err != nil {
		return nil, notFound(err, "group", "join group")
	}
	uid, err := tx.userID(ctx, userID)
	if err != nil {
		return nil, err
	}
	var status string
	if err := tx.queryRow(ctx, "SELECT status FROM users WHERE id = ?", uid).Scan(&status); err != nil {
		return nil, formatError(err, "join group")
	}
	if roster.UserStatus(status) == roster.StatusBanned {
		return nil, refused("A banned user cannot join groups.")
	}
	// A member joining again is held to the same rules, and answered with
	// the membership they have: a valid code is not spent twice.
	current, err := tx.membership(ctx, groupID, uid)
	member := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, formatError(err, "join group")
	}
	if !g.StartsAt.IsZero() && tx.now.Before(g.StartsAt) {
		return nil, refused("The group %q opens on %s.", g.Name, g.StartsAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if !g.StopsAt.IsZero() && !tx.now.Before(g.StopsAt) {
		return nil, refused("The group %q closed on %s.", g.Name, g.StopsAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	m := &roster.Membership{GroupID: groupID, Via: roster.ViaSelf, JoinedAt: tx.now}
	note := g.Name
	if g.JoinType == roster.JoinCode {
		if strings.TrimSpace(code) == "" {
			return nil, refused("The group %q is private: joining it needs a code.", g.Name)
		}
		var c roster.GroupCode
		err := tx.queryRow(ctx, "SELECT id, hint, starts_at, expires_at FROM group_codes WHERE code_hash = ? AND group_id = ?", codeHash(code), groupID).
			Scan(&c.ID, &c.Hint, timeScan{&c.StartsAt}, timeScan{&c.ExpiresAt})
		if err != nil {
			if roster.ErrorCode(notFound(err, "code", "join group")) == roster.ENOTFOUND {
				return nil, refused("This code is not valid for the group %q.", g.Name)
			}
			return nil, formatError(err, "join group")
		}
		if !c.StartsAt.IsZero() && tx.now.Before(c.StartsAt) {
			return nil, refused("This code is valid from %s.", c.StartsAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if !c.ExpiresAt.IsZero() && !tx.now.Before(c.ExpiresAt) {
			return nil, refused("This code expired on %s.", c.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if member {
			return current, nil
		}
		res, err := tx.exec(ctx, "UPDATE group_codes SET uses = uses + 1 WHERE id = ? AND (max_uses = 0 OR uses < max_uses)", c.ID)
		if err != nil {
			return nil, formatError(err, "join group")
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil, refused("This code has been used up.")
		}
		m.Via, m.CodeID = roster.ViaCode, c.ID
		note += " with code " + c.Hint + "…"
	} else if member {
		return current, nil
	}
	added, err := tx.addMembers(ctx, groupID, []int64{uid}, m.Via, m.CodeID)
	if err != nil {
		return nil, err
	}
	if len(added) == 0 {
		// The same user joined in a concurrent transaction: roll back, so
		// that the code's use is not counted twice.
		tx.Rollback()
		return s.existing(ctx, groupID, uid)
	}
	if err := tx.audit(roster.UserActing(ctx, userID), "group.join", "user", userID, nil, note); err != nil {
		return nil, err
	}
	return m, tx.commit()
}

func (s *GroupService) existing(ctx context.Context, groupID, uid int64) (*roster.Membership, error) {
	var m roster.Membership
	err := s.db.queryRow(ctx, "SELECT group_id, via, COALESCE(code_id, 0), joined_at FROM group_members WHERE group_id = ? AND user_id = ?", groupID, uid).
		Scan(&m.GroupID, (*string)(&m.Via), &m.CodeID, timeScan{&m.JoinedAt})
	if err != nil {
		return nil, formatError(err, "join group")
	}
	return &m, nil
}

func (tx *Tx) membership(ctx context.Context, groupID, uid int64) (*roster.Membership, error) {
	var m roster.Membership
	err := tx.queryRow(ctx, "SELECT group_id, via, COALESCE(code_id, 0), joined_at FROM group_members WHERE group_id = ? AND user_id = ?", groupID, uid).
		Scan(&m.GroupID, (*string)(&m.Via), &m.CodeID, timeScan{&m.JoinedAt})
	return &m, err
}

// addMembers adds the users with the given store ids that exist and are
// not yet members; it returns the ids it added, logged.
func (tx *Tx) addMembers(ctx context.Context, groupID int64, userIDs []int64, via roster.Via, codeID int64) ([]int64, error) {
	list, arg, err := tx.db.idList(userIDs)
	if err != nil {
		return nil, err
	}
	var code any
	if codeID > 0 {
		code = codeID
	}
	added, err := tx.ids(ctx, "INSERT INTO group_members (user_id, group_id, via, code_id, joined_at) SELECT u.id, ?, ?, ?, ? FROM users u JOIN "+list+
		" l ON l.id = u.id WHERE TRUE ON CONFLICT (user_id, group_id) DO NOTHING RETURNING user_id", groupID, string(via), code, tx.db.timeArg(tx.now), arg)
	if err != nil {
		return nil, formatError(err, "add members")
	}
	if err := tx.logChangeIDs(ctx, added); err != nil {
		return nil, err
	}
	return added, tx.emitWebhook(ctx, roster.EventGroupJoined, added, map[string]any{"group_id": groupID, "via": string(via)})
}

func (tx *Tx) removeMembers(ctx context.Context, groupID int64, userIDs []int64) ([]int64, error) {
	list, arg, err := tx.db.idList(userIDs)
	if err != nil {
		return nil, err
	}
	removed, err := tx.ids(ctx, "DELETE FROM group_members WHERE group_id = ? AND user_id IN (SELECT id FROM "+list+" l) RETURNING user_id", groupID, arg)
	if err != nil {
		return nil, formatError(err, "remove members")
	}
	if err := tx.logChangeIDs(ctx, removed); err != nil {
		return nil, err
	}
	return removed, tx.emitWebhook(ctx, roster.EventGroupLeft, removed, map[string]any{"group_id": groupID})
}

// Leave lets a user leave by themselves.
func (s *GroupService) Leave(ctx context.Context, groupID int64, userID string) error {
	return s.one(roster.UserActing(ctx, userID), groupID, userID, false, "group.leave")
}

// AddMember is staff adding one user.
func (s *GroupService) AddMember(ctx context.Context, groupID int64, userID string) error {
	return s.one(ctx, groupID, userID, true, "group.add_member")
}

// RemoveMember is staff removing one user.
func (s *GroupService) RemoveMember(ctx context.Context, groupID int64, userID string) error {
	return s.one(ctx, groupID, userID, false, "group.remove_member")
}

func (s *GroupService) one(ctx context.Context, groupID int64, userID string, add bool, action string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var name string
	if err := tx.queryRow(ctx, "SELECT name FROM user_groups WHERE id = ?", groupID).Scan(&name); err != nil {
		return notFound(err, "group", action)
	}
	uid, err := tx.userID(ctx, userID)
	if err != nil {
		return err
	}
	var changed []int64
	if add {
		changed, err = tx.addMembers(ctx, groupID, []int64{uid}, roster.ViaStaff, 0)
	} else {
		changed, err = tx.removeMembers(ctx, groupID, []int64{uid})
	}
	if err != nil || len(changed) == 0 {
		return err
	}
	if err := tx.audit(ctx, action, "user", userID, nil, fmt.Sprintf("%s (#%d)", name, groupID)); err != nil {
		return err
	}
	return tx.commit()
}

// AddMembers is staff adding many users at once.
func (s *GroupService) AddMembers(ctx context.Context, groupID int64, userIDs []int64, filter string) (int, error) {
	return s.many(ctx, groupID, userIDs, filter, true)
}

// RemoveMembers is staff removing many users at once.
func (s *GroupService) RemoveMembers(ctx context.Context, groupID int64, userIDs []int64, filter string) (int, error) {
	return s.many(ctx, groupID, userIDs, filter, false)
}

func (s *GroupService) many(ctx context.Context, groupID int64, userIDs []int64, filter string, add bool) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var name string
	if err := tx.queryRow(ctx, "SELECT name FROM user_groups WHERE id = ?", groupID).Scan(&name); err != nil {
		return 0, notFound(err, "group", "group members")
	}
	var changed []int64
	action, verb := "group.add_members", "added"
	if add {
		changed, err = tx.addMembers(ctx, groupID, userIDs, roster.ViaStaff, 0)
	} else {
		action, verb = "group.remove_members", "removed"
		changed, err = tx.removeMembers(ctx, groupID, userIDs)
	}
	if err != nil {
		return 0, err
	}
	note := bulkNote(verb, len(changed), len(userIDs), filter)
	if err := tx.audit(ctx, action, "group", roster.RefValue(groupID), nil, note); err != nil {
		return 0, err
	}
	if err := tx.notifyBulk(ctx, "Group "+name, note); err != nil {
		return 0, err
	}
	return len(changed), tx.commit()
}

// Memberships returns a user's memberships in group display order.
func (s *GroupService) Memberships(ctx context.Context, userID string) ([]roster.Membership, error) {
	rows, err := s.db.query(ctx, `SELECT m.group_id, m.via, COALESCE(m.code_id, 0), m.joined_at FROM group_members m
		JOIN users u ON u.id = m.user_id JOIN user_groups g ON g.id = m.group_id
		WHERE u.public_id = ?`+groupOrder, userID)
	if err != nil {
		return nil, formatError(err, "memberships")
	}
	defer rows.Close()
	var out []roster.Membership
	for rows.Next() {
		var m roster.Membership
		if err := rows.Scan(&m.GroupID, (*string)(&m.Via), &m.CodeID, timeScan{&m.JoinedAt}); err != nil {
			return nil, formatError(err, "memberships")
		}
		out = append(out, m)
	}
	return out, formatError(rows.Err(), "memberships")
}

// SmartTypes returns the smart type list.
func (s *GroupService) SmartTypes(ctx context.Context) ([]int64, error) {
	return smartTypes(ctx, s.db.read)
}

func smartTypes(ctx context.Context, q querier) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT id FROM user_groups WHERE smart_rank IS NOT NULL ORDER BY smart_rank")
	if err != nil {
		return nil, formatError(err, "smart types")
	}
	ids, err := scanIDs(rows)
	return ids, formatError(err, "smart types")
}

// SetSmartTypes replaces the smart type list. Smart types are computed from
// memberships when they are asked for, so no user changes.
func (s *GroupService) SetSmartTypes(ctx context.Context, groupIDs []int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := smartTypes(ctx, tx)
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, id := range groupIDs {
		if seen[id] {
			return refused("groups: the group %d is listed twice", id)
		}
		seen[id] = true
	}
	if _, err := tx.exec(ctx, "UPDATE user_groups SET smart_rank = NULL WHERE smart_rank IS NOT NULL"); err != nil {
		return formatError(err, "smart types")
	}
	for i, id := range groupIDs {
		res, err := tx.exec(ctx, "UPDATE user_groups SET smart_rank = ? WHERE id = ?", i+1, id)
		if err != nil {
			return formatError(err, "smart types")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return refused("groups: there is no group %d", id)
		}
	}
	if err := tx.audit(ctx, "smart_types.update", "group", "", map[string]roster.Change{"groups": {Before: before, After: groupIDs}}, ""); err != nil {
		return err
	}
	return tx.commit()
}
