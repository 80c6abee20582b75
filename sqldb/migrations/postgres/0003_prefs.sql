-- Per staff preferences of the back-office, such as the user table's
-- columns.
CREATE TABLE staff_prefs (
	staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	key      TEXT NOT NULL,
	value    TEXT NOT NULL,
	PRIMARY KEY (staff_id, key)
);
