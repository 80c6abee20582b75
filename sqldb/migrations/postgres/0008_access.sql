-- The active-account rule and email confirmation: when an address was
-- confirmed and when a password was last set (which renews an expired
-- account), and links of purpose 'confirm'. The account policy lives in
-- the settings table under 'accounts' (JSON), written on first change.

ALTER TABLE users ADD COLUMN email_confirmed_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN password_set_at TIMESTAMPTZ;

ALTER TABLE link_tokens DROP CONSTRAINT link_tokens_purpose_check;
ALTER TABLE link_tokens ADD CONSTRAINT link_tokens_purpose_check CHECK (purpose IN ('invite', 'reset', 'confirm'));
