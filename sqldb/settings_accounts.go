package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"roster"
)

// The account policy is one JSON value in the settings table. Every read
// goes through a cache that lives policyTTL, so that a change made on
// another node shows here within that time; a change made here shows at
// once.

const (
	policyKey = "accounts"
	policyTTL = 2 * time.Second
)

// policyCache is the account policy last read and when.
type policyCache struct {
	mu     sync.Mutex
	policy roster.AccountPolicy
	read   time.Time // zero: not read, or dropped
}

// AccountPolicy returns the account policy in force.
func (db *DB) AccountPolicy(ctx context.Context) (roster.AccountPolicy, error) {
	c := &db.policy
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && time.Since(c.read) < policyTTL {
		return c.policy, nil
	}
	p, err := readPolicy(ctx, db.read, db)
	if err != nil {
		return roster.AccountPolicy{}, err
	}
	c.policy, c.read = p, time.Now()
	return p, nil
}

// AccessRule is the active-account rule now: the policy in force at the
// store's clock.
func (db *DB) AccessRule(ctx context.Context) (roster.AccessRule, error) {
	p, err := db.AccountPolicy(ctx)
	if err != nil {
		return roster.AccessRule{}, err
	}
	return p.Rule(db.Now()), nil
}

// readPolicy reads the policy through q (a pool or a transaction).
func readPolicy(ctx context.Context, q rowQuerier, db *DB) (roster.AccountPolicy, error) {
	return readJSONSetting(ctx, q, db, policyKey, "account policy", roster.DefaultAccountPolicy())
}

// SetAccountPolicy validates and saves p, audited with the policy before
// and after.
func (db *DB) SetAccountPolicy(ctx context.Context, p roster.AccountPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := readPolicy(ctx, tx.Tx, db)
	if err != nil {
		return err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("account policy: %w", err)
	}
	if _, err := tx.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", policyKey, string(b)); err != nil {
		return formatError(err, "account policy")
	}
	if err := tx.audit(ctx, "settings.accounts", "settings", policyKey, policyChanges(before, p), ""); err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	db.policy.mu.Lock()
	db.policy.policy, db.policy.read = p, time.Now()
	db.policy.mu.Unlock()
	return nil
}

// policyChanges lists the members of the policy's JSON form that differ,
// before and after.
func policyChanges(before, after roster.AccountPolicy) map[string]roster.Change {
	var b, a map[string]any
	bj, _ := json.Marshal(before) // a struct of numbers and a bool: cannot fail
	aj, _ := json.Marshal(after)
	_ = json.Unmarshal(bj, &b)
	_ = json.Unmarshal(aj, &a)
	out := map[string]roster.Change{}
	for k, v := range a {
		if b[k] != v {
			out[k] = roster.Change{Before: b[k], After: v}
		}
	}
	return out
}

// AccountSettings reads and changes the account policy.
type AccountSettings struct{ db *DB }

// Ensure AccountSettings implements the domain interface.
var _ roster.AccountSettings = AccountSettings{}

// NewAccountSettings returns the account settings of db.
func NewAccountSettings(db *DB) AccountSettings { return AccountSettings{db: db} }

// AccountPolicy returns the policy in force.
func (s AccountSettings) AccountPolicy(ctx context.Context) (roster.AccountPolicy, error) {
	return s.db.AccountPolicy(ctx)
}

// SetAccountPolicy validates and saves p.
func (s AccountSettings) SetAccountPolicy(ctx context.Context, p roster.AccountPolicy) error {
	return s.db.SetAccountPolicy(ctx, p)
}
