-- The activity counters (visits_30d, interactions_30d): each user's
-- visits and interactions per UTC day (days since 1970-01-01), kept as
-- events are recorded and rebuilt from the events when the visit or
-- interaction types change. Filled here from the events stored so far.
CREATE TABLE activity_days (
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	day          INTEGER NOT NULL,
	visits       INTEGER NOT NULL DEFAULT 0,
	interactions INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

INSERT INTO activity_days (user_id, day, visits, interactions)
WITH v AS (SELECT DISTINCT value AS t FROM json_each(COALESCE((SELECT json_extract(value, '$.visit_types') FROM settings WHERE key = 'events'), '["visit","page_view","sign_in"]'))),
	i AS (SELECT DISTINCT value AS t FROM json_each(COALESCE((SELECT json_extract(value, '$.interaction_types') FROM settings WHERE key = 'events'), '["interaction"]')))
SELECT e.user_id, CAST(strftime('%s', e.at) AS INTEGER) / 86400, count(v.t), count(i.t)
FROM events e LEFT JOIN v ON v.t = e.type LEFT JOIN i ON i.t = e.type
WHERE v.t IS NOT NULL OR i.t IS NOT NULL
GROUP BY 1, 2;
