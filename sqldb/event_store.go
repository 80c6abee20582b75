package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"roster"
)

// The event settings are one JSON value in the settings table, read
// through a cache like the account policy's. On PostgreSQL the events
// table is partitioned by month: a batch creates the partitions its
// events need before its transaction starts, and retention drops whole
// partitions once every event in them is older than the retention period.

const eventSettingsKey = "events"

// eventCache is the event settings last read, and the months whose
// partition is known to exist (PostgreSQL).
type eventCache struct {
	mu    sync.Mutex
	set   roster.EventSettings
	read  time.Time
	parts map[string]bool
}

// EventSettings returns the event settings in force.
func (db *DB) EventSettings(ctx context.Context) (roster.EventSettings, error) {
	c := &db.events
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && time.Since(c.read) < policyTTL {
		return c.set, nil
	}
	s, err := readEventSettings(ctx, db.read, db)
	if err != nil {
		return s, err
	}
	c.set, c.read = s, time.Now()
	return s, nil
}

func readEventSettings(ctx context.Context, q rowQuerier, db *DB) (roster.EventSettings, error) {
	return readJSONSetting(ctx, q, db, eventSettingsKey, "event settings", roster.DefaultEventSettings())
}

// EventSettings returns the settings in force.
func (s *EventService) EventSettings(ctx context.Context) (roster.EventSettings, error) {
	return s.db.EventSettings(ctx)
}

// SetEventSettings validates and saves set, audited before and after.
func (s *EventService) SetEventSettings(ctx context.Context, set roster.EventSettings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	db := s.db
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := readEventSettings(ctx, tx.Tx, db)
	if err != nil {
		return err
	}
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", eventSettingsKey, string(b)); err != nil {
		return formatError(err, "event settings")
	}
	if err := tx.audit(ctx, "settings.events", "settings", eventSettingsKey, jsonChanges(before, set), ""); err != nil {
		return err
	}
	if !slices.Equal(before.VisitTypes, set.VisitTypes) || !slices.Equal(before.InteractionTypes, set.InteractionTypes) {
		if err := tx.rebuildActivityDays(ctx, set); err != nil {
			return err
		}
	}
	if err := tx.commit(); err != nil {
		return err
	}
	db.events.mu.Lock()
	db.events.set, db.events.read = set, time.Now()
	db.events.mu.Unlock()
	return nil
}

// monthStart is the first instant of t's month, UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// partitionName is the name of the events partition of the month starting
// at m: events_y2025m03.
func partitionName(m time.Time) string {
	return fmt.Sprintf("events_y%04dm%02d", m.Year(), int(m.Month()))
}

// ensurePartitions creates, on PostgreSQL, the monthly partitions that the
// accepted events (ok) need and that are not known to exist yet.
func (s *EventService) ensurePartitions(ctx context.Context, events []roster.Event, ok []bool) error {
	if s.db.Dialect != Postgres {
		return nil
	}
	c := &s.db.events
	var need []time.Time
	c.mu.Lock()
	for i := range events {
		if !ok[i] {
			continue
		}
		m := monthStart(events[i].At)
		if !c.parts[partitionName(m)] {
			need = append(need, m)
			if c.parts == nil {
				c.parts = map[string]bool{}
			}
			c.parts[partitionName(m)] = true // claimed; dropped again on failure
		}
	}
	c.mu.Unlock()
	for _, m := range need {
		if err := s.createPartition(ctx, m); err != nil {
			c.mu.Lock()
			delete(c.parts, partitionName(m))
			c.mu.Unlock()
			return err
		}
	}
	return nil
}

// createPartition creates the partition of the month starting at m unless
// it exists. Two nodes may race to create it: the loser sees it exists.
func (s *EventService) createPartition(ctx context.Context, m time.Time) error {
	name := partitionName(m)
	q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF events FOR VALUES FROM ('%s') TO ('%s')",
		name, m.Format(time.RFC3339), m.AddDate(0, 1, 0).Format(time.RFC3339))
	_, err := s.db.write.ExecContext(ctx, q)
	if err != nil {
		var exists bool
		if s.db.write.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists) == nil && exists {
			return nil
		}
		return formatError(err, "create events partition "+name)
	}
	return nil
}

// Partitions lists the events partitions (PostgreSQL), oldest first.
func (s *EventService) Partitions(ctx context.Context) ([]string, error) {
	if s.db.Dialect != Postgres {
		return nil, nil
	}
	rows, err := s.db.query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events' AND p.relnamespace = c.relnamespace
		AND p.relnamespace = to_regnamespace(current_schema()) ORDER BY c.relname`)
	if err != nil {
		return nil, formatError(err, "events partitions")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, formatError(err, "events partitions")
		}
		out = append(out, n)
	}
	return out, formatError(rows.Err(), "events partitions")
}

// PruneEvents deletes the events older than the retention period: on
// PostgreSQL whole partitions of months before the cutoff's are dropped,
// and the rest deleted by time.
func (s *EventService) PruneEvents(ctx context.Context) (int64, error) {
	set, err := s.db.EventSettings(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := s.db.Now().UTC().AddDate(0, -set.RetentionMonths, 0)
	var n int64
	if s.db.Dialect == Postgres {
		parts, err := s.Partitions(ctx)
		if err != nil {
			return 0, err
		}
		first := partitionName(monthStart(cutoff))
		for _, p := range parts {
			if p >= first {
				break
			}
			var k int64
			if err := s.db.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+p).Scan(&k); err != nil {
				return n, formatError(err, "prune events")
			}
			if _, err := s.db.write.ExecContext(ctx, "DROP TABLE "+p); err != nil {
				return n, formatError(err, "prune events")
			}
			n += k
			s.db.events.mu.Lock()
			delete(s.db.events.parts, p)
			s.db.events.mu.Unlock()
		}
		if _, err := s.db.write.ExecContext(ctx, "DELETE FROM event_keys WHERE at < $1", cutoff); err != nil {
			return n, formatError(err, "prune events")
		}
	}
	res, err := s.db.write.ExecContext(ctx, s.db.rebind("DELETE FROM events WHERE at < ?"), s.db.timeArg(cutoff))
	if err != nil {
		return n, formatError(err, "prune events")
	}
	k, _ := res.RowsAffected()
	// The activity counters' days before the cutoff's go with their events.
	if _, err := s.db.write.ExecContext(ctx, s.db.rebind("DELETE FROM activity_days WHERE day < ?"), roster.DayOf(cutoff)); err != nil {
		return n + k, formatError(err, "prune events")
	}
	return n + k, nil
}

// StorageBytes returns the space the events and their keys take in the
// database, indexes included: on PostgreSQL the partitions' and
// event_keys' relation sizes; on SQLite the pages of the events table and
// its index (the dbstat table).
func (s *EventService) StorageBytes(ctx context.Context) (int64, error) {
	var q string
	if s.db.Dialect == Postgres {
		q = `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
			WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind = 'r'
			AND (c.relname = 'event_keys' OR c.relname LIKE 'events\_y%')`
	} else {
		q = "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('events', 'events_key')"
	}
	var n int64
	err := s.db.queryRow(ctx, q).Scan(&n)
	return n, formatError(err, "events storage")
}
