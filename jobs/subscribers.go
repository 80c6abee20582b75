package jobs

import (
	"context"
	"encoding/json"

	"roster"
)

// Subscribers runs subscriber pastes (roster.JobSubscribers): the pasted
// text, kept with the job's options, is read again on every run (reading is
// deterministic, so a resumed job sees the same entries), and applied
// from the job's position in batches of roster.PasteBatchSize, each batch
// and the job's move past it one transaction. A process killed midway is
// resumed after the last batch committed; the last batch writes the
// paste's audit entry.
type Subscribers struct {
	Subscribers roster.SubscriberService
}

// Run applies the paste of j from its position to the end.
func (h Subscribers) Run(ctx context.Context, j *roster.Job) error {
	var p roster.PasteParams
	if err := json.Unmarshal(j.Params, &p); err != nil {
		return roster.Errorf(roster.EINVALID, "The paste's options cannot be read: %v", err)
	}
	opts := p.Options
	if err := opts.Check(); err != nil {
		return err
	}
	entries, err := roster.ParsePaste(p.Text, opts.Validate)
	if err != nil {
		return err // EINVALID: the job fails with the reason
	}
	for int(j.Position) < len(entries) {
		if err := ctx.Err(); err != nil {
			return err
		}
		from := int(j.Position)
		to := min(from+roster.PasteBatchSize, len(entries))
		if _, err := h.Subscribers.ApplyPaste(ctx, opts, roster.PasteBatch{Job: j, Entries: entries[from:to], Last: to == len(entries)}); err != nil {
			return err
		}
	}
	return nil
}
