package jobs

import (
	"context"
	"encoding/json"
	"slices"

	"roster"
)

// Inviter runs bulk invite jobs (roster.JobInvite): their users in batches,
// each batch one transaction that also moves the job, so that a process
// killed midway is resumed after its last batch.
type Inviter struct {
	Invites roster.InviteService
	// Batch is how many users one transaction invites; 0 is 1,000.
	Batch int
	// Progress, when set, is called after each committed batch.
	Progress func(j *roster.Job)
}

// Run invites the users of j after its position.
func (h *Inviter) Run(ctx context.Context, j *roster.Job) error {
	var p roster.InviteParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return roster.Errorf(roster.EINVALID, "The invite job's options cannot be read: %v.", err)
	}
	per := h.Batch
	if per <= 0 {
		per = 1000
	}
	// The ids are ascending; the position is the last one done.
	i, _ := slices.BinarySearch(p.IDs, j.Position+1)
	for i < len(p.IDs) {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := p.IDs[i:min(i+per, len(p.IDs))]
		if err := h.Invites.InviteBatch(ctx, j, batch); err != nil {
			return err
		}
		i += len(batch)
		if h.Progress != nil {
			h.Progress(j)
		}
	}
	return nil
}
