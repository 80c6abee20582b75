package sqldb

import (
	"context"
	"database/sql"
	"errors"

	"roster"
)

// Ensure NoteService implements the domain interface.
var _ roster.NoteService = (*NoteService)(nil)

// NoteService keeps staff notes on users, with every version.
type NoteService struct {
	db *DB
}

// NewNoteService returns a NoteService on db.
func NewNoteService(db *DB) *NoteService { return &NoteService{db: db} }

const noteSelect = "SELECT n.id, n.user_id, n.body, n.pinned, n.version, COALESCE(n.author_id, 0), n.author, n.editor, n.created_at, n.updated_at FROM notes n"

func scanNote(row interface{ Scan(...any) error }) (*roster.Note, error) {
	n := &roster.Note{}
	err := row.Scan(&n.ID, &n.UserID, &n.Body, &n.Pinned, &n.Version, &n.AuthorID, &n.Author, &n.Editor, timeScan{&n.Created}, timeScan{&n.Updated})
	return n, err
}

// CreateNote stores n with its first version.
func (s *NoteService) CreateNote(ctx context.Context, userID string, n *roster.Note) error {
	if err := n.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	uid, err := tx.lockUserID(ctx, userID)
	if err != nil {
		return err
	}
	a := roster.ActorFromContext(ctx)
	n.UserID, n.Version, n.AuthorID, n.Author, n.Editor, n.Created, n.Updated = uid, 1, a.StaffID, a.Label, a.Label, tx.now, tx.now
	n.ID, err = tx.insert(ctx, "INSERT INTO notes (user_id, body, pinned, version, author_id, author, editor, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)",
		uid, n.Body, n.Pinned, staffArg(a), a.Label, a.Label, tx.db.timeArg(tx.now), tx.db.timeArg(tx.now))
	if err != nil {
		return formatError(err, "create note")
	}
	if err := tx.noteVersion(ctx, n); err != nil {
		return err
	}
	changes := map[string]roster.Change{"body": {After: n.Body}, "pinned": {After: n.Pinned}}
	if err := tx.audit(ctx, "note.create", "user", userID, changes, "note "+itoa(n.ID)); err != nil {
		return err
	}
	return tx.commit()
}

// staffArg is the actor's staff id, or NULL when no staff member acts.
func staffArg(a roster.Actor) any {
	if a.StaffID == 0 {
		return nil
	}
	return a.StaffID
}

func (tx *Tx) noteVersion(ctx context.Context, n *roster.Note) error {
	a := roster.ActorFromContext(ctx)
	_, err := tx.exec(ctx, "INSERT INTO note_versions (note_id, version, body, pinned, editor_id, editor, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		n.ID, n.Version, n.Body, n.Pinned, staffArg(a), a.Label, tx.db.timeArg(tx.now))
	return formatError(err, "note version")
}

// FindNotes returns a user's notes, pinned first, then newest first.
func (s *NoteService) FindNotes(ctx context.Context, userID string) ([]*roster.Note, error) {
	rows, err := s.db.query(ctx, noteSelect+" JOIN users u ON u.id = n.user_id WHERE u.public_id = ? ORDER BY n.pinned DESC, n.id DESC", userID)
	if err != nil {
		return nil, formatError(err, "find notes")
	}
	defer rows.Close()
	var out []*roster.Note
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, formatError(err, "find notes")
		}
		out = append(out, n)
	}
	return out, formatError(rows.Err(), "find notes")
}

// findNote finds note id of the user with public id userID.
func findNote(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, db *DB, userID string, id int64, lock string) (*roster.Note, error) {
	n, err := scanNote(q.QueryRowContext(ctx, db.rebind(noteSelect+" WHERE n.id = ? AND n.user_id = (SELECT id FROM users WHERE public_id = ?)"+lock), id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, roster.Errorf(roster.ENOTFOUND, "Note not found.")
	}
	return n, formatError(err, "find note")
}

// FindNote returns one note and its versions, newest first.
func (s *NoteService) FindNote(ctx context.Context, userID string, id int64) (*roster.Note, []*roster.NoteVersion, error) {
	n, err := findNote(ctx, s.db.read, s.db, userID, id, "")
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.query(ctx, "SELECT version, body, pinned, editor, at FROM note_versions WHERE note_id = ? ORDER BY version DESC", id)
	if err != nil {
		return nil, nil, formatError(err, "note versions")
	}
	defer rows.Close()
	var out []*roster.NoteVersion
	for rows.Next() {
		v := &roster.NoteVersion{}
		if err := rows.Scan(&v.Version, &v.Body, &v.Pinned, &v.Editor, timeScan{&v.At}); err != nil {
			return nil, nil, formatError(err, "note versions")
		}
		out = append(out, v)
	}
	return n, out, formatError(rows.Err(), "note versions")
}

// UpdateNote applies upd as a new version of the note.
func (s *NoteService) UpdateNote(ctx context.Context, userID string, id int64, upd roster.NoteUpdate) (*roster.Note, error) {
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	n, err := findNote(ctx, tx, s.db, userID, id, s.db.forUpdate())
	if err != nil {
		return nil, err
	}
	changes := map[string]roster.Change{}
	if upd.Body != nil && *upd.Body != n.Body {
		changes["body"] = roster.Change{Before: n.Body, After: *upd.Body}
		n.Body = *upd.Body
	}
	if upd.Pinned != nil && *upd.Pinned != n.Pinned {
		changes["pinned"] = roster.Change{Before: n.Pinned, After: *upd.Pinned}
		n.Pinned = *upd.Pinned
	}
	if len(changes) == 0 {
		return n, nil
	}
	a := roster.ActorFromContext(ctx)
	n.Version++
	n.Editor, n.Updated = a.Label, tx.now
	if _, err := tx.exec(ctx, "UPDATE notes SET body = ?, pinned = ?, version = ?, editor = ?, updated_at = ? WHERE id = ?",
		n.Body, n.Pinned, n.Version, n.Editor, tx.db.timeArg(tx.now), n.ID); err != nil {
		return nil, formatError(err, "update note")
	}
	if err := tx.noteVersion(ctx, n); err != nil {
		return nil, err
	}
	if err := tx.audit(ctx, "note.update", "user", userID, changes, "note "+itoa(n.ID)); err != nil {
		return nil, err
	}
	return n, tx.commit()
}

// DeleteNote deletes a note and its versions.
func (s *NoteService) DeleteNote(ctx context.Context, userID string, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	n, err := findNote(ctx, tx, s.db, userID, id, s.db.forUpdate())
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM notes WHERE id = ?", id); err != nil {
		return formatError(err, "delete note")
	}
	changes := map[string]roster.Change{"body": {Before: n.Body}, "pinned": {Before: n.Pinned}}
	if err := tx.audit(ctx, "note.delete", "user", userID, changes, "note "+itoa(n.ID)); err != nil {
		return err
	}
	return tx.commit()
}
