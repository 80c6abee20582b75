package sqldb

import (
	"context"
	"strings"

	"roster"
)

// Ensure FieldService implements the domain interface.
var _ roster.FieldService = (*FieldService)(nil)

// FieldService manages custom fields.
type FieldService struct {
	db *DB
}

// NewFieldService returns a FieldService on db.
func NewFieldService(db *DB) *FieldService { return &FieldService{db: db} }

const fieldSelect = "SELECT id, key, label, type, required, choices, position, retired, created_at FROM custom_fields"

// loadRegistry reads the custom fields through q (the read pool, or a write
// transaction so that validation sees the fields as of that transaction).
func loadRegistry(ctx context.Context, q querier, db *DB) (*roster.Registry, error) {
	fields, err := findCustomFields(ctx, q, db)
	if err != nil {
		return nil, err
	}
	reg := roster.NewRegistry(fields)
	if reg.Access, err = db.AccessRule(ctx); err != nil {
		return nil, err
	}
	return reg, nil
}

func findCustomFields(ctx context.Context, q querier, db *DB) ([]roster.Field, error) {
	rows, err := q.QueryContext(ctx, fieldSelect+" ORDER BY position, id")
	if err != nil {
		return nil, formatError(err, "load fields")
	}
	defer rows.Close()
	var out []roster.Field
	for rows.Next() {
		f := roster.Field{Section: roster.SectionCustom, Filterable: true, Importable: true, Exportable: true}
		if err := rows.Scan(&f.ID, &f.Key, &f.Label, (*string)(&f.Type), boolScan{&f.Required}, jsonScan{&f.Choices}, &f.Position, boolScan{&f.Retired}, timeScan{&f.CreatedAt}); err != nil {
			return nil, formatError(err, "load fields")
		}
		// Sorting by a long text or a URL means nothing to anyone.
		f.Sortable = !f.Type.IsSet() && f.Type != roster.TypeLongText && f.Type != roster.TypeURL
		f.Searchable = f.Type == roster.TypeText || f.Type == roster.TypeLongText || f.Type == roster.TypeEmail || f.Type == roster.TypePhone
		switch f.Type {
		case roster.TypeText, roster.TypeChoice, roster.TypeEmail, roster.TypePhone:
			f.MaxLen = roster.MaxTextLen
		case roster.TypeLongText:
			f.MaxLen = roster.MaxLongTextLen
		case roster.TypeURL:
			f.MaxLen = roster.MaxURLLen
		}
		out = append(out, f)
	}
	return out, formatError(rows.Err(), "load fields")
}

// Registry returns the fields in force, with the catalog that filters on
// tags, groups, segments and smart types resolve names against.
func (s *FieldService) Registry(ctx context.Context) (*roster.Registry, error) {
	reg, err := loadRegistry(ctx, s.db.read, s.db)
	if err != nil {
		return nil, err
	}
	if reg.Catalog, err = loadCatalog(ctx, s.db.read); err != nil {
		return nil, err
	}
	return reg, nil
}

// FindCustomFields returns every custom field, retired ones included.
func (s *FieldService) FindCustomFields(ctx context.Context) ([]roster.Field, error) {
	return findCustomFields(ctx, s.db.read, s.db)
}

// CreateCustomField validates and stores f at the end of the list.
func (s *FieldService) CreateCustomField(ctx context.Context, f *roster.Field) error {
	f.Builtin = false
	f.Key = strings.TrimSpace(f.Key)
	f.Label = strings.TrimSpace(f.Label)
	if err := f.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.queryRow(ctx, "SELECT COALESCE(MAX(position), 0) + 1 FROM custom_fields").Scan(&f.Position); err != nil {
		return formatError(err, "create field")
	}
	choices, err := jsonArg(f.Choices)
	if err != nil {
		return err
	}
	f.CreatedAt = tx.now
	f.ID, err = tx.insert(ctx, "INSERT INTO custom_fields (key, label, type, required, choices, position, retired, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		f.Key, f.Label, string(f.Type), f.Required, choices, f.Position, false, s.db.timeArg(f.CreatedAt))
	if err != nil {
		return formatError(err, "create field")
	}
	changes := map[string]roster.Change{
		"key": {After: f.Key}, "label": {After: f.Label}, "type": {After: f.Type}, "required": {After: f.Required},
	}
	if len(f.Choices) > 0 {
		changes["choices"] = roster.Change{After: f.Choices}
	}
	if err := tx.audit(ctx, "field.create", "field", f.Key, changes, ""); err != nil {
		return err
	}
	return tx.commit()
}

// UpdateCustomField changes the label, requirement, choices, position or
// retirement of the field with key.
func (s *FieldService) UpdateCustomField(ctx context.Context, key string, upd roster.CustomFieldUpdate) (*roster.Field, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	fields, err := findCustomFields(ctx, tx, s.db)
	if err != nil {
		return nil, err
	}
	var before *roster.Field
	for i := range fields {
		if fields[i].Key == key {
			before = &fields[i]
		}
	}
	if before == nil {
		return nil, roster.Errorf(roster.ENOTFOUND, "No custom field %q.", key)
	}
	f := *before
	changes := map[string]roster.Change{}
	if upd.Label != nil && *upd.Label != f.Label {
		changes["label"] = roster.Change{Before: f.Label, After: strings.TrimSpace(*upd.Label)}
		f.Label = strings.TrimSpace(*upd.Label)
	}
	if upd.Required != nil && *upd.Required != f.Required {
		changes["required"] = roster.Change{Before: f.Required, After: *upd.Required}
		f.Required = *upd.Required
	}
	if upd.Choices != nil {
		// Removing a choice would leave stored values that no longer
		// validate; only additions and reordering are allowed.
		for _, c := range f.Choices {
			found := false
			for _, n := range upd.Choices {
				found = found || n == c
			}
			if !found {
				return nil, roster.FieldErrors{"choices": "choice \"" + c + "\" is in use and cannot be removed"}.Err()
			}
		}
		changes["choices"] = roster.Change{Before: f.Choices, After: upd.Choices}
		f.Choices = upd.Choices
	}
	if upd.Position != nil && *upd.Position != f.Position {
		changes["position"] = roster.Change{Before: f.Position, After: *upd.Position}
		f.Position = *upd.Position
	}
	if upd.Retired != nil && *upd.Retired != f.Retired {
		changes["retired"] = roster.Change{Before: f.Retired, After: *upd.Retired}
		f.Retired = *upd.Retired
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return &f, nil
	}
	choices, err := jsonArg(f.Choices)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, "UPDATE custom_fields SET label = ?, required = ?, choices = ?, position = ?, retired = ? WHERE id = ?",
		f.Label, f.Required, choices, f.Position, f.Retired, f.ID); err != nil {
		return nil, formatError(err, "update field")
	}
	if err := tx.audit(ctx, "field.update", "field", f.Key, changes, ""); err != nil {
		return nil, err
	}
	return &f, tx.commit()
}
