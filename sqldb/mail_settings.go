package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"roster"
)

// Ensure MailSettingsService implements the domain interface.
var _ roster.MailSettingsService = (*MailSettingsService)(nil)

// MailSettingsService stores the mail settings (rows of the settings
// table) and the edited mail templates (mail_templates).
type MailSettingsService struct {
	db    *DB
	check roster.MailTemplateChecker
	// Changed, when set, is called after a commit that changed a setting
	// or a template: this process's renderer reads them again at once.
	Changed func()
}

// NewMailSettingsService returns a MailSettingsService on db that checks
// edited templates with check.
func NewMailSettingsService(db *DB, check roster.MailTemplateChecker) *MailSettingsService {
	return &MailSettingsService{db: db, check: check}
}

// The settings table's keys of the mail settings.
const (
	keyProductName = "mail.product_name"
	keyFromName    = "mail.from_name"
	keyFromAddress = "mail.from_address"
)

func (s *MailSettingsService) changed() {
	if s.Changed != nil {
		s.Changed()
	}
}

// MailSettings returns the stored mail settings.
func (s *MailSettingsService) MailSettings(ctx context.Context) (roster.MailSettings, error) {
	rows, err := s.db.query(ctx, mailSettingsSelect, keyProductName, keyFromName, keyFromAddress)
	if err != nil {
		return roster.MailSettings{}, formatError(err, "mail settings")
	}
	out, err := scanMailSettings(rows)
	return out, formatError(err, "mail settings")
}

const mailSettingsSelect = "SELECT key, value FROM settings WHERE key IN (?, ?, ?)"

// scanMailSettings reads the settings rows of mailSettingsSelect, and
// closes them.
func scanMailSettings(rows *sql.Rows) (roster.MailSettings, error) {
	defer rows.Close()
	var out roster.MailSettings
	fields := map[string]*string{keyProductName: &out.ProductName, keyFromName: &out.FromName, keyFromAddress: &out.FromAddress}
	err := eachRow(rows, func() error {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		*fields[k] = v
		return nil
	})
	return out, err
}

// UpdateMailSettings stores set: an empty field removes its row (the
// configuration's value applies).
func (s *MailSettingsService) UpdateMailSettings(ctx context.Context, set roster.MailSettings) error {
	set.Normalize()
	if err := set.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, mailSettingsSelect+s.db.forUpdate(), keyProductName, keyFromName, keyFromAddress)
	if err != nil {
		return formatError(err, "update mail settings")
	}
	before, err := scanMailSettings(rows)
	if err != nil {
		return formatError(err, "update mail settings")
	}
	changes := map[string]roster.Change{}
	for _, f := range []struct {
		key, name     string
		before, after string
	}{
		{keyProductName, "product_name", before.ProductName, set.ProductName},
		{keyFromName, "from_name", before.FromName, set.FromName},
		{keyFromAddress, "from_address", before.FromAddress, set.FromAddress},
	} {
		if f.before == f.after {
			continue
		}
		changes[f.name] = roster.Change{Before: f.before, After: f.after}
		if f.after == "" {
			_, err = tx.exec(ctx, "DELETE FROM settings WHERE key = ?", f.key)
		} else {
			_, err = tx.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", f.key, f.after)
		}
		if err != nil {
			return formatError(err, "update mail settings")
		}
	}
	if len(changes) == 0 {
		return nil
	}
	if err := tx.audit(ctx, "settings.mail", "settings", "mail", changes, ""); err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	s.changed()
	return nil
}

const mailTemplateSelect = "SELECT name, subject, body_text, body_html, updated_at FROM mail_templates"

func scanMailTemplate(row interface{ Scan(...any) error }) (*roster.MailTemplateOverride, error) {
	o := &roster.MailTemplateOverride{}
	err := row.Scan(&o.Name, &o.Source.Subject, &o.Source.Text, &o.Source.HTML, timeScan{&o.UpdatedAt})
	return o, err
}

// FindMailTemplates returns every stored override, by name.
func (s *MailSettingsService) FindMailTemplates(ctx context.Context) ([]*roster.MailTemplateOverride, error) {
	rows, err := s.db.query(ctx, mailTemplateSelect+" ORDER BY name")
	if err != nil {
		return nil, formatError(err, "find mail templates")
	}
	var out []*roster.MailTemplateOverride
	err = eachRow(rows, func() error {
		o, err := scanMailTemplate(rows)
		out = append(out, o)
		return err
	})
	return out, formatError(err, "find mail templates")
}

// knownTemplate returns ENOTFOUND for a name that is not a template.
func knownTemplate(name string) error {
	if _, ok := roster.FindMailTemplate(name); !ok {
		return roster.Errorf(roster.ENOTFOUND, "There is no mail template %q.", name)
	}
	return nil
}

// FindMailTemplate returns the override of template name, nil when none.
func (s *MailSettingsService) FindMailTemplate(ctx context.Context, name string) (*roster.MailTemplateOverride, error) {
	if err := knownTemplate(name); err != nil {
		return nil, err
	}
	return findMailTemplate(s.db.queryRow(ctx, mailTemplateSelect+" WHERE name = ?", name))
}

func findMailTemplate(row *sql.Row) (*roster.MailTemplateOverride, error) {
	o, err := scanMailTemplate(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return o, formatError(err, "find mail template")
}

// SaveMailTemplate checks src and stores it in place of the default.
func (s *MailSettingsService) SaveMailTemplate(ctx context.Context, name string, src roster.MailTemplateSource) (*roster.MailTemplateOverride, error) {
	if err := knownTemplate(name); err != nil {
		return nil, err
	}
	if err := s.check.CheckMailTemplate(name, src); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	before, err := s.lockedSource(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	o := &roster.MailTemplateOverride{Name: name, Source: src, UpdatedAt: tx.now}
	if _, err := tx.exec(ctx, `INSERT INTO mail_templates (name, subject, body_text, body_html, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, body_text = excluded.body_text, body_html = excluded.body_html, updated_at = excluded.updated_at`,
		name, src.Subject, src.Text, src.HTML, s.db.timeArg(tx.now)); err != nil {
		return nil, formatError(err, "save mail template")
	}
	if err := tx.audit(ctx, "mail.template_update", "mail_template", name, templateChanges(before, src), ""); err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	s.changed()
	return o, nil
}

// ResetMailTemplate drops the override of template name.
func (s *MailSettingsService) ResetMailTemplate(ctx context.Context, name string) error {
	if err := knownTemplate(name); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	before, err := s.lockedSource(ctx, tx, name)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, "DELETE FROM mail_templates WHERE name = ?", name)
	if err != nil {
		return formatError(err, "reset mail template")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already the default
	}
	def, _ := s.check.DefaultMailTemplate(name)
	if err := tx.audit(ctx, "mail.template_reset", "mail_template", name, templateChanges(before, def), "reset to the default"); err != nil {
		return err
	}
	if err := tx.commit(); err != nil {
		return err
	}
	s.changed()
	return nil
}

// lockedSource returns the template name in force in tx, its row locked
// on PostgreSQL: the override, else the default.
func (s *MailSettingsService) lockedSource(ctx context.Context, tx *Tx, name string) (roster.MailTemplateSource, error) {
	o, err := findMailTemplate(tx.queryRow(ctx, mailTemplateSelect+" WHERE name = ?"+s.db.forUpdate(), name))
	if err != nil {
		return roster.MailTemplateSource{}, err
	}
	if o != nil {
		return o.Source, nil
	}
	def, _ := s.check.DefaultMailTemplate(name)
	return def, nil
}

// templateChanges is what the audit log keeps of an edit: the subject
// before and after, and for a body that changed its length, not its text.
func templateChanges(before, after roster.MailTemplateSource) map[string]roster.Change {
	changes := map[string]roster.Change{}
	if before.Subject != after.Subject {
		changes["subject"] = roster.Change{Before: before.Subject, After: after.Subject}
	}
	size := func(s string) string { return fmt.Sprintf("%d characters", utf8.RuneCountInString(s)) }
	if before.Text != after.Text {
		changes["text"] = roster.Change{Before: size(before.Text), After: size(after.Text)}
	}
	if before.HTML != after.HTML {
		changes["html"] = roster.Change{Before: size(before.HTML), After: size(after.HTML)}
	}
	return changes
}
