-- Mail templates edited in Settings → Email, stored in place of the
-- defaults embedded in the binary (one row per edited template; no row:
-- the default). The mail settings (product name, sender) are rows of the
-- settings table under mail.* keys.
CREATE TABLE mail_templates (
	name       TEXT PRIMARY KEY,  -- a template of roster.MailTemplates
	subject    TEXT NOT NULL,
	body_text  TEXT NOT NULL,
	body_html  TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
