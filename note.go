package roster

import (
	"context"
	"strings"
	"time"
)

// MaxNoteLen bounds a note's text.
const MaxNoteLen = 10000

// Note is a staff member's note on a user, in Markdown (shown rendered,
// never as raw HTML). Edits keep history: every version is a NoteVersion.
type Note struct {
	ID       int64     `json:"id"`
	UserID   int64     `json:"-"` // the store's id of the user
	Body     string    `json:"body"`
	Pinned   bool      `json:"pinned"`
	Version  int       `json:"version"`
	AuthorID int64     `json:"-"`
	Author   string    `json:"author"`
	Editor   string    `json:"editor"` // who wrote the current version
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// NoteVersion is one version of a note, the current one included.
type NoteVersion struct {
	Version int       `json:"version"`
	Body    string    `json:"body"`
	Pinned  bool      `json:"pinned"`
	Editor  string    `json:"editor"`
	At      time.Time `json:"at"`
}

// NoteUpdate changes a note; nil members stay.
type NoteUpdate struct {
	Body   *string
	Pinned *bool
}

// checkNoteBody trims body and checks it, as a "body" field error.
func checkNoteBody(body *string, fe FieldErrors) {
	*body = strings.TrimSpace(*body)
	switch {
	case *body == "":
		fe.Add("body", "is required")
	case len([]rune(*body)) > MaxNoteLen:
		fe.Add("body", "is longer than 10,000 characters")
	}
}

// Validate checks a new note (EINVALID naming the member).
func (n *Note) Validate() error {
	fe := FieldErrors{}
	checkNoteBody(&n.Body, fe)
	return fe.Err()
}

// Validate checks an update (EINVALID naming the member).
func (u *NoteUpdate) Validate() error {
	fe := FieldErrors{}
	if u.Body != nil {
		checkNoteBody(u.Body, fe)
	}
	return fe.Err()
}

// NoteService keeps staff notes on users. Users are named by public id;
// a note by its id and its user's (ENOTFOUND when the note is not theirs).
type NoteService interface {
	// CreateNote stores n, by the actor in ctx (audited "note.create").
	CreateNote(ctx context.Context, userID string, n *Note) error
	// FindNotes returns a user's notes, pinned first, then newest first.
	FindNotes(ctx context.Context, userID string) ([]*Note, error)
	// FindNote returns one note with its versions, newest first.
	FindNote(ctx context.Context, userID string, id int64) (*Note, []*NoteVersion, error)
	// UpdateNote applies upd: a new body or pin is a new version
	// (audited "note.update"). EINVALID names the member.
	UpdateNote(ctx context.Context, userID string, id int64, upd NoteUpdate) (*Note, error)
	// DeleteNote deletes a note and its versions (audited "note.delete",
	// with the last body).
	DeleteNote(ctx context.Context, userID string, id int64) error
}
