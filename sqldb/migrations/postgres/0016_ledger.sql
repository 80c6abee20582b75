-- The points ledger, staff notes and tasks.
--
-- A counter is a balance users hold: points (built in, kept on the users
-- row so that the table and the index filter and sort on it) and any the
-- operator defines (credits, stamps, ...), whose balances are kept in
-- user_counters. Every change of a balance is one ledger row, written in the
-- same transaction as the balance: the balance is always the sum of its
-- ledger.
CREATE TABLE counters (
	key            TEXT PRIMARY KEY,
	label          TEXT NOT NULL,
	allow_negative BOOLEAN NOT NULL DEFAULT FALSE,
	created_at     TIMESTAMPTZ NOT NULL
);
INSERT INTO counters (key, label, allow_negative, created_at) VALUES ('points', 'Points', FALSE, '2026-01-01T00:00:00Z');

CREATE TABLE user_counters (
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	counter TEXT NOT NULL REFERENCES counters (key),
	balance BIGINT NOT NULL,
	PRIMARY KEY (user_id, counter)
);

CREATE TABLE ledger (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	counter         TEXT NOT NULL,
	amount          BIGINT NOT NULL,
	balance         BIGINT NOT NULL,            -- the counter's balance after this change
	reason          TEXT NOT NULL,
	source          TEXT NOT NULL CHECK (source IN ('staff', 'api', 'import', 'automation')),
	actor_id        BIGINT,                     -- the staff account, when one acted
	actor           TEXT NOT NULL,
	idempotency_key TEXT,                        -- NULL when the change had none
	at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_user ON ledger (user_id, id);
-- A retried change with the same key finds the first one.
CREATE UNIQUE INDEX ledger_idempotency ON ledger (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE notes (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	body       TEXT NOT NULL,
	pinned     BOOLEAN NOT NULL DEFAULT FALSE,
	version    INTEGER NOT NULL DEFAULT 1,
	author_id  BIGINT,
	author     TEXT NOT NULL,
	editor     TEXT NOT NULL,                    -- who wrote the current version
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notes_user ON notes (user_id, id);

-- Every version of every note, the current one included.
CREATE TABLE note_versions (
	note_id   BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
	version   INTEGER NOT NULL,
	body      TEXT NOT NULL,
	pinned    BOOLEAN NOT NULL,
	editor_id BIGINT,
	editor    TEXT NOT NULL,
	at        TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (note_id, version)
);

CREATE TABLE tasks (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title       TEXT NOT NULL,
	due_on      DATE,                            -- YYYY-MM-DD; NULL: no due date
	assignee_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	done        BOOLEAN NOT NULL DEFAULT FALSE,
	done_at     TIMESTAMPTZ,
	created_by  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_user ON tasks (user_id, id);
CREATE INDEX tasks_assignee ON tasks (assignee_id, done, due_on);

-- Points held before the ledger existed become one opening entry each, so
-- that every balance is the sum of its ledger from the start.
INSERT INTO ledger (user_id, counter, amount, balance, reason, source, actor, at)
	SELECT id, 'points', points, points, 'opening balance', 'automation', 'system', now() FROM users WHERE points <> 0;
