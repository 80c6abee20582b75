package sqldb

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"roster"
)

// Ensure SubscriberService implements the domain interface.
var _ roster.SubscriberService = (*SubscriberService)(nil)

// SubscriberService applies subscriber pastes and unsubscribe links.
type SubscriberService struct {
	db   *DB
	mail roster.MailRenderer
	key  unsubscribeKey
	// Wake, when set, tells the delivery worker that a message is due.
	Wake func()
}

// NewSubscriberService returns a SubscriberService on db; r renders the
// messages QueueListMail queues.
func NewSubscriberService(db *DB, r roster.MailRenderer) *SubscriberService {
	return &SubscriberService{db: db, mail: r}
}

// emailBatch is how many addresses one lookup carries: 100,000 addresses
// are 200 short queries on the email index.
const emailBatch = 500

// lookupWorkers is how many batches of FindSubscribers run at once, each
// on a connection of the read pool: the lookups are random reads of a
// large table, which wait on the disk as much as on a core.
const lookupWorkers = 4

// FindSubscribers returns the users having one of emails, keyed by email.
// The addresses are sorted first, so that each batch reads a narrow range
// of the email index.
func (s *SubscriberService) FindSubscribers(ctx context.Context, emails []string) (map[string]roster.Subscriber, error) {
	sorted := slices.Clone(emails)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var batches [][]string
	for start := 0; start < len(sorted); start += emailBatch {
		batches = append(batches, sorted[start:min(start+emailBatch, len(sorted))])
	}
	out := make(map[string]roster.Subscriber, len(sorted))
	var mu sync.Mutex
	g, gctx := errgroupWithLimit(ctx, lookupWorkers)
	for _, batch := range batches {
		g.Go(func() error {
			found, err := s.findSubscribers(gctx, batch)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, sub := range found {
				out[sub.Email] = sub
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// findSubscribers looks up one batch of addresses.
func (s *SubscriberService) findSubscribers(ctx context.Context, batch []string) ([]roster.Subscriber, error) {
	args := make([]any, len(batch))
	for i, e := range batch {
		args[i] = e
	}
	rows, err := s.db.query(ctx, "SELECT id, public_id, email, newsletter FROM users WHERE email IN ("+placeholders(len(batch))+")", args...)
	if err != nil {
		return nil, formatError(err, "find subscribers")
	}
	out := make([]roster.Subscriber, 0, len(batch))
	err = eachRow(rows, func() error {
		var sub roster.Subscriber
		if err := rows.Scan(&sub.ID, &sub.PublicID, &sub.Email, &sub.Newsletter); err != nil {
			return err
		}
		out = append(out, sub)
		return nil
	})
	return out, formatError(err, "find subscribers")
}

// group runs functions on at most n goroutines at once and keeps the
// first error, which cancels its context.
type group struct {
	wg     sync.WaitGroup
	sem    chan struct{}
	cancel context.CancelFunc
	once   sync.Once
	err    error
}

func errgroupWithLimit(ctx context.Context, n int) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &group{sem: make(chan struct{}, n), cancel: cancel}, ctx
}

// Go runs fn once a slot is free.
func (g *group) Go(fn func() error) {
	g.wg.Add(1)
	g.sem <- struct{}{}
	go func() {
		defer func() { <-g.sem; g.wg.Done() }()
		if err := fn(); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

// Wait waits for every function and returns the first error.
func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}

// ApplyPaste applies one batch of a paste in one transaction. The batch's
// users are read and locked with one query; each write goes through
// StampNewsletter, so the paste records itself as every other path does.
func (s *SubscriberService) ApplyPaste(ctx context.Context, opts roster.PasteOptions, b roster.PasteBatch) (roster.PasteCounts, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	if len(b.Entries) > roster.PasteBatchSize {
		return nil, roster.Errorf(roster.EINVALID, "A batch holds at most %d addresses.", roster.PasteBatchSize)
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	counts, err := tx.applyPaste(ctx, opts, b.Entries)
	if err != nil {
		return nil, err
	}
	total := roster.PasteCounts{}
	var tally map[string]int64
	if b.Job != nil {
		tally = maps.Clone(b.Job.Tally)
		if tally == nil {
			tally = map[string]int64{}
		}
		for k, n := range counts {
			tally[k] += int64(n)
		}
		if err := tx.moveJob(ctx, b.Job, b.Job.Position+int64(len(b.Entries)), tally); err != nil {
			return nil, err
		}
		for k, n := range tally {
			total[k] = int(n)
		}
	} else {
		total.Add(counts)
	}
	if b.Last {
		actx := ctx
		if b.Job != nil {
			// The job runs as the system; the paste is its maker's.
			actx = roster.NewContextWithActor(ctx, roster.Actor{StaffID: b.Job.StaffID, Label: b.Job.Actor})
		}
		if err := tx.auditPaste(actx, opts, total); err != nil {
			return nil, err
		}
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	if b.Job != nil {
		b.Job.Position += int64(len(b.Entries))
		b.Job.Tally = tally
	}
	return counts, nil
}

// applyPaste writes the entries of one batch.
func (tx *Tx) applyPaste(ctx context.Context, opts roster.PasteOptions, entries []roster.PasteEntry) (roster.PasteCounts, error) {
	reg, err := loadRegistry(ctx, tx, tx.db)
	if err != nil {
		return nil, err
	}
	users, err := tx.usersByEmail(ctx, reg, roster.PasteAddresses(entries))
	if err != nil {
		return nil, err
	}
	via := roster.Subscription{Source: roster.SourcePaste, Consent: opts.Consent}
	counts := roster.PasteCounts{}
	var created []*roster.User
	for i := range entries {
		e := &entries[i]
		before := users[e.Address]
		var sub *roster.Subscriber
		if before != nil && e.Address != "" {
			sub = &roster.Subscriber{ID: before.ID, PublicID: before.PublicID, Email: before.Email, Newsletter: before.Newsletter}
		}
		outcome, writes := roster.PasteAction(e, opts, sub)
		counts[outcome]++
		if e.Problem == roster.PasteRole {
			counts[roster.OutcomeRole]++
		}
		if !writes {
			continue
		}
		if sub == nil {
			u := &roster.User{Email: e.Address, Status: roster.StatusActive, Newsletter: true}
			u.FirstName, u.LastName = splitName(e.Name)
			u.Normalize()
			if err := u.Validate(reg, tx.now, true, nil); err != nil {
				// A required custom field, say: the user cannot be made.
				counts[outcome]--
				counts[roster.OutcomeInvalid]++
				continue
			}
			roster.StampNewsletter(nil, u, via, tx.now)
			created = append(created, u)
			continue
		}
		u := *before
		u.Newsletter = opts.Mode == roster.PasteSubscribe
		roster.StampNewsletter(before, &u, via, tx.now)
		u.UpdatedAt = tx.now
		if err := tx.updateUserRow(ctx, &u); err != nil {
			return nil, err
		}
		users[e.Address] = &u
	}
	if len(created) > 0 {
		// An address taken since the lookup (another writer) is skipped,
		// not failed: the user exists, which is what was asked.
		if err := tx.insertUsers(ctx, created, true); err != nil {
			return nil, err
		}
		for _, u := range created {
			if u.ID == 0 {
				counts[roster.OutcomeCreate]--
				counts[roster.OutcomeAlready]++
			}
		}
	}
	for k, n := range counts {
		if n == 0 {
			delete(counts, k)
		}
	}
	return counts, nil
}

// usersByEmail reads and locks the users having one of emails.
func (tx *Tx) usersByEmail(ctx context.Context, reg *roster.Registry, emails []string) (map[string]*roster.User, error) {
	out := make(map[string]*roster.User, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	args := make([]any, len(emails))
	for i, e := range emails {
		args[i] = e
	}
	rows, err := tx.query(ctx, userSelect+" WHERE email IN ("+placeholders(len(emails))+")"+tx.db.forUpdate(), args...)
	if err != nil {
		return nil, formatError(err, "apply paste")
	}
	sc := newUserScanner()
	err = eachRow(rows, func() error {
		u, err := sc.scan(rows, reg)
		if err == nil {
			out[u.Email] = u
		}
		return err
	})
	return out, formatError(err, "apply paste")
}

// splitName makes a first and a last name of a pasted display name:
// "Last, First", or the first word and then the rest.
func splitName(name string) (first, last string) {
	if l, f, ok := strings.Cut(name, ","); ok {
		return strings.TrimSpace(f), strings.TrimSpace(l)
	}
	first, last, _ = strings.Cut(strings.TrimSpace(name), " ")
	return strings.TrimSpace(first), strings.TrimSpace(last)
}

// auditPaste writes the paste's one audit entry.
func (tx *Tx) auditPaste(ctx context.Context, opts roster.PasteOptions, c roster.PasteCounts) error {
	changes := map[string]roster.Change{
		"mode":   {After: string(opts.Mode)},
		"create": {After: opts.Create},
	}
	if opts.Consent != "" {
		changes["consent"] = roster.Change{After: opts.Consent}
	}
	if opts.Validate {
		changes["validate"] = roster.Change{After: true}
	}
	return tx.audit(ctx, "subscribers.paste", "user", "", changes, c.String())
}

// UnsubscribeUser takes the user userID off the newsletter as their own
// action.
func (s *SubscriberService) UnsubscribeUser(ctx context.Context, userID int64) (*roster.User, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	reg, err := loadRegistry(ctx, tx, s.db)
	if err != nil {
		return nil, err
	}
	before, err := newUserScanner().scan(tx.queryRow(ctx, userSelect+" WHERE id = ?"+s.db.forUpdate(), userID), reg)
	if err != nil {
		return nil, formatError(err, "unsubscribe")
	}
	if !before.Newsletter {
		return before, nil // a second click, or a mail client's retry
	}
	u := *before
	u.Newsletter = false
	roster.StampNewsletter(before, &u, roster.Subscription{Source: roster.SourceSelf}, tx.now)
	u.UpdatedAt = tx.now
	if err := tx.updateUserRow(ctx, &u); err != nil {
		return nil, err
	}
	ctx = roster.UserActing(ctx, u.PublicID)
	if err := tx.audit(ctx, "user.unsubscribe", "user", u.PublicID, roster.DiffUsers(reg, before, &u), "one-click unsubscribe"); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	return &u, nil
}
