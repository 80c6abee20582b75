-- Subscribers: how and with what consent a user's newsletter subscription
-- was made, and when they left it; and the List-Unsubscribe URL of a
-- message that is not transactional (RFC 8058).

ALTER TABLE users ADD COLUMN newsletter_source TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN newsletter_consent TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN newsletter_unsubscribed_at TEXT;

ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT NOT NULL DEFAULT '';

