package roster

import "context"

// Invites in bulk: staff invite every user a filter matches, as a job. Each
// batch of users is one transaction: their status becomes invited, each
// gets a new invite link (older ones stop working) and an invite message
// in the outbox, and the job's position moves past them.

// JobInvite is the kind of bulk invite jobs; their Params are InviteParams.
const JobInvite JobKind = "invite"

// InviteParams are a bulk invite job's options.
type InviteParams struct {
	// Filter is what chose the users, as staff wrote it (for people).
	Filter string `json:"filter"`
	// IDs are the users' store ids when the job was created, ascending;
	// the job's Position is the last id done.
	IDs []int64 `json:"ids"`
}

// What a bulk invite does with each user, as its job's Tally and
// InvitePreview count them. A user without an email, a banned user and a
// user who accepted an invite already (active with a password) is skipped.
const (
	InviteSent            = "invited"
	InviteSkippedNoEmail  = "skipped_no_email"
	InviteSkippedBanned   = "skipped_banned"
	InviteSkippedAccepted = "skipped_accepted"
	InviteSkippedDeleted  = "skipped_deleted" // deleted since the job began
)

// InviteSkip says why an invite cannot reach a user with email, status
// and (hasPassword) a password, as the tally names it; "" when it can: the
// one rule of bulk invites and of the import's invite column.
func InviteSkip(email string, status UserStatus, hasPassword bool) string {
	switch {
	case email == "":
		return InviteSkippedNoEmail
	case status == StatusBanned:
		return InviteSkippedBanned
	case status == StatusActive && hasPassword:
		return InviteSkippedAccepted
	}
	return ""
}

// InviteSkipMessage says InviteSkip's reason for a row of an import.
func InviteSkipMessage(reason string) string {
	switch reason {
	case InviteSkippedNoEmail:
		return "cannot invite a user without an email"
	case InviteSkippedBanned:
		return "cannot invite a banned user"
	case InviteSkippedAccepted:
		return "cannot invite an active user with a password: they sign in already"
	}
	return ""
}

// ImportInviteField is the import's invite column (true: the created or
// updated user is invited in the row's transaction). It is no field of the
// registry: nothing stores it, and no custom field may take its key.
var ImportInviteField = Field{Key: "invite", Label: "Invite", Type: TypeBoolean, Section: SectionAccount, Importable: true}

// InvitePreview counts what inviting a set of users would do: the
// confirmation page's figures.
type InvitePreview struct {
	Matched  int // users chosen
	Invite   int // users who would get an invite
	NoEmail  int
	Banned   int
	Accepted int
	Gone     int // chosen but deleted since
}

// Skipped is how many users the invite would skip.
func (p InvitePreview) Skipped() int { return p.NoEmail + p.Banned + p.Accepted + p.Gone }

// InviteService invites users in bulk and takes invites back.
type InviteService interface {
	// PreviewInvites counts what inviting the users with store ids would
	// do, as things stand.
	PreviewInvites(ctx context.Context, ids []int64) (InvitePreview, error)
	// StartInvites queues the bulk invite job of the users with store ids
	// that filter chose. One audit entry ("jobs.invite") says how many and
	// which filter. EINVALID when ids is empty.
	StartInvites(ctx context.Context, ids []int64, filter string) (*Job, error)
	// InviteBatch invites, in one transaction, the users with store ids
	// (the next ones of the running job j, ascending, after its
	// position), skipping and counting those the invite does not reach,
	// and moves the job's Position to the last id and its Tally on.
	// ECONFLICT when the job was taken over or canceled.
	InviteBatch(ctx context.Context, j *Job, ids []int64) error
	// RevokeInvite stops the invite of the user with public id: its links
	// stop working (they show as expired), its queued invite messages are
	// not sent, and the user's status returns to what it was before the
	// invite (pending when that is not known). Audited as
	// "user.invite_revoke". ENOTFOUND, ECONFLICT (not invited).
	RevokeInvite(ctx context.Context, id string) error
}
