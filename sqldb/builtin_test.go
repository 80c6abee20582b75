package sqldb_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/csvio"
	"roster/jobs"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestEveryBuiltinField walks every built-in field, as the field table
// lists them, through each path a value takes: create, load, export (CSV),
// import (CSV decode and store, creating a user in a fresh database and
// updating one), and load again. A field that one path leaves out (a
// column, a scan destination, an export cell, an import step) fails here
// with the field's key and the path.
func TestEveryBuiltinField(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		w := newWalk(t, db)

		// Create and load.
		want := w.sampleUser(1)
		const pass = "walk every field 1"
		if err := w.users.CreateUser(ctx, want, pass); err != nil {
			t.Fatalf("create: %v", err)
		}
		w.tagAndGroup(want)
		got := w.load(db, want.PublicID)
		w.compare("create, load", want, got, func(b roster.Builtin) bool { return !b.Field.ReadOnly })
		for _, b := range roster.Builtins() {
			f := b.Field
			if f.Exportable && roster.IsEmpty(cellValue(got, f)) {
				t.Errorf("create, load: %s is empty", f.Key)
			}
		}
		if got.PasswordHash == "" {
			t.Errorf("create, load: password_hash is empty")
		}

		// Export: a cell for every exportable field, as FormatCell gives it.
		file := w.export(got)
		for _, b := range roster.Builtins() {
			f := b.Field
			cell, ok := file[f.Key]
			switch {
			case !f.Exportable || f.Type == roster.TypePassword || f.Key == "password_hash":
				if ok {
					t.Errorf("export: %s is exported", f.Key)
				}
			case !ok:
				t.Errorf("export: no %s column", f.Key)
			case cell != csvio.FormatCell(f, cellValue(got, f), w.cat):
				t.Errorf("export: %s is %q, want %q", f.Key, cell, csvio.FormatCell(f, cellValue(got, f), w.cat))
			case cell == "":
				t.Errorf("export: %s is empty", f.Key)
			}
		}

		// Import into a fresh database: every importable field, the id and
		// the password hash come back as they were.
		db2 := sqldbtest.MustOpenDB(t, db.Dialect)
		w2 := newWalk(t, db2)
		file["password_hash"] = got.PasswordHash
		w2.importFile(file, roster.ImportOptions{Mode: roster.ImportCreate, Key: "email"})
		got2 := w2.load(db2, got.PublicID)
		w.compare("export, import (create), load", got, got2, func(b roster.Builtin) bool {
			return b.Field.Importable || b.Field.Key == "id"
		})
		if got2.PasswordHash != got.PasswordHash {
			t.Errorf("export, import (create), load: password_hash is %q, want %q", got2.PasswordHash, got.PasswordHash)
		}

		// Import over the user: every field that may be changed takes the
		// file's value, the password included.
		next := w.sampleUser(2)
		next.ID, next.PublicID = got.ID, got.PublicID
		next.Tags, next.Groups = got.Tags, got.Groups
		update := w.export(next)
		const pass2 = "walk every field 2"
		update["password"] = pass2
		w.importFile(update, roster.ImportOptions{Mode: roster.ImportUpdate, Key: "id"})
		got3 := w.load(db, got.PublicID)
		w.compare("import (update), load", next, got3, func(b roster.Builtin) bool {
			return b.Field.Importable && !b.Field.ReadOnly
		})
		// The sample's status (invited) is not active: the sign-in is then
		// refused with the access reason, which it says only once the
		// password matched.
		if _, err := w.users.Authenticate(context.Background(), next.Email, pass2); err != nil && roster.AccessDenied(err) != roster.AccessInvited {
			t.Errorf("import (update): password: %v", err)
		}
	})
}

// walk is one database's side of TestEveryBuiltinField.
type walk struct {
	t     *testing.T
	db    *sqldb.DB
	users *sqldb.UserService
	cat   *roster.Catalog
	tag   *roster.Tag
	group *roster.Group
}

func newWalk(t *testing.T, db *sqldb.DB) *walk {
	ctx := staffCtx()
	w := &walk{t: t, db: db, users: sqldb.NewUserService(db), tag: &roster.Tag{Name: "walker"}, group: &roster.Group{Name: "Walkers"}}
	if err := sqldb.NewTagService(db).CreateTag(ctx, w.tag); err != nil {
		t.Fatal(err)
	}
	gs := sqldb.NewGroupService(db)
	if err := gs.CreateGroup(ctx, w.group); err != nil {
		t.Fatal(err)
	}
	if err := gs.SetSmartTypes(ctx, []int64{w.group.ID}); err != nil {
		t.Fatal(err)
	}
	cat, err := sqldb.NewCatalogService(db).Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.cat = cat
	return w
}

// sampleUser returns a user with a valid, non-empty value in every
// built-in field that has a member of User and is not set by the store;
// variant n gives other values.
func (w *walk) sampleUser(n int) *roster.User {
	u := &roster.User{}
	for i, b := range roster.Builtins() {
		f := b.Field
		// Read-only fields that an import sets (created_at, the activity
		// times) are set here too; the others are Roster's own.
		if b.Ptr == nil || (f.ReadOnly && !f.Importable) {
			continue
		}
		if !u.Set(f, sampleValue(w.t, f, n, i)) {
			w.t.Errorf("Set(%s) refused its sample", f.Key)
		}
	}
	return u
}

// sampleValue is a valid, non-empty value of f, different for each n
// (1 or 2) and each field i.
func sampleValue(t *testing.T, f roster.Field, n, i int) any {
	s := fmt.Sprintf("%s-%d", strings.ReplaceAll(f.Key, "_", "-"), n)
	switch f.Type {
	case roster.TypeText:
		return s
	case roster.TypeLongText:
		return s + "\nsecond line, with a comma"
	case roster.TypeEmail:
		return s + "@example.com"
	case roster.TypePhone:
		return fmt.Sprintf("+33 6 12 34 %02d %02d", i, n)
	case roster.TypeURL:
		return "https://example.com/" + s
	case roster.TypeCountry:
		return []string{"FR", "GB"}[n-1]
	case roster.TypeStatus:
		return []string{"banned", "invited"}[n-1]
	case roster.TypeChoice:
		return f.Choices[(n-1)%len(f.Choices)]
	case roster.TypeBoolean:
		return n == 1 // a field a path drops reads false, then stays true
	case roster.TypeInteger:
		return int64(100*n + i)
	case roster.TypeNumber:
		return float64(n) + float64(i)/4
	case roster.TypeDate:
		return roster.Date{Year: 1980 + n, Month: time.Month(1 + i%12), Day: 1 + i%28}
	case roster.TypeTimestamp:
		return time.Date(2024, time.Month(n), 1+i%28, 10, i, 0, 123_000_000, time.UTC)
	case roster.TypeSet, roster.TypeMultiChoice:
		return []string{s + "-a", s + "-b"}
	case roster.TypeAddresses:
		return []roster.Address{{Label: "Home", Line1: s + " rue de Rivoli", City: "Paris", PostalCode: "75001", Country: "FR"}}
	case roster.TypeLinks:
		return []roster.SocialLink{{Network: "instagram", URL: "https://www.instagram.com/" + s}}
	case roster.TypeDevices:
		return []roster.PushToken{{Platform: "ios", Token: "token-" + s}}
	}
	t.Fatalf("no sample value of type %s (field %s): add one", f.Type, f.Key)
	return nil
}

// tagAndGroup tags u and puts them in the walk's group, which is the
// smart type.
func (w *walk) tagAndGroup(u *roster.User) {
	ctx := staffCtx()
	if err := sqldb.NewTagService(w.db).TagUser(ctx, u.PublicID, w.tag.ID); err != nil {
		w.t.Fatal(err)
	}
	if err := sqldb.NewGroupService(w.db).AddMember(ctx, w.group.ID, u.PublicID); err != nil {
		w.t.Fatal(err)
	}
}

func (w *walk) load(db *sqldb.DB, id string) *roster.User {
	u, err := sqldb.NewUserService(db).FindUserByID(context.Background(), id)
	if err != nil {
		w.t.Fatalf("load %s: %v", id, err)
	}
	return u
}

// compare reports each built-in field that which selects whose value in
// got differs from want's, as its text.
func (w *walk) compare(path string, want, got *roster.User, which func(roster.Builtin) bool) {
	w.t.Helper()
	for _, b := range roster.Builtins() {
		f := b.Field
		if !which(b) {
			continue
		}
		a, g := csvio.FormatCell(f, cellValue(want, f), w.cat), csvio.FormatCell(f, cellValue(got, f), w.cat)
		if a != g {
			w.t.Errorf("%s: %s is %q, want %q", path, f.Key, g, a)
		}
	}
}

// cellValue is what FormatCell takes for f: Get's value, or the group
// ids for the smart type, which follows from them.
func cellValue(u *roster.User, f roster.Field) any {
	if f.Type == roster.TypeSmartType {
		return u.Get("groups")
	}
	if f.Type == roster.TypeAccess {
		return string(roster.AccessRule{}.Of(u)) // what an export without a rule gives
	}
	return u.Get(f.Key)
}

// export writes u with every exportable column as the export does, and
// returns its cells by field key, unescaped.
func (w *walk) export(u *roster.User) map[string]string {
	w.t.Helper()
	reg, err := sqldb.NewFieldService(w.db).Registry(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := csvio.ExportUsers(context.Background(), &b, loader{u}, []int64{u.ID}, csvio.Export{
		Columns: csvio.ExportColumns(reg), Catalog: w.cat,
	}); err != nil {
		w.t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 2 {
		w.t.Fatalf("export: %d records, %v", len(recs), err)
	}
	out := map[string]string{}
	for i, k := range recs[0] {
		out[strings.TrimPrefix(k, "\ufeff")] = csvio.UnescapeCell(recs[1][i])
	}
	return out
}

// loader gives the export one user as it is.
type loader struct{ u *roster.User }

func (l loader) FindUsersByIDs(ctx context.Context, ids []int64) ([]*roster.User, error) {
	return []*roster.User{l.u}, nil
}

// importFile imports the one row of cells as the server's runner does.
func (w *walk) importFile(cells map[string]string, opts roster.ImportOptions) {
	w.t.Helper()
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	var head, row []string
	for k, v := range cells {
		head, row = append(head, k), append(row, v)
	}
	cw.Write(head)
	cw.Write(row)
	cw.Flush()
	ctx := staffCtx()
	js := sqldb.NewJobService(w.db)
	im := &jobs.Importer{Jobs: js, Fields: sqldb.NewFieldService(w.db), Log: slog.New(slog.DiscardHandler)}
	j := &roster.Job{Kind: "import", Options: opts, FileName: "walk.csv"}
	if err := js.CreateJob(ctx, j, bytes.NewReader(b.Bytes()), 0); err != nil {
		w.t.Fatal(err)
	}
	owner := jobs.Owner("test")
	if ok, err := js.ClaimJob(ctx, j.ID, owner, jobs.StaleOwner); err != nil || !ok {
		w.t.Fatalf("claim: %v %v", ok, err)
	}
	j.Owner = owner
	f, err := js.OpenJobFile(ctx, j)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if err := im.Run(ctx, j, f); err != nil {
		w.t.Fatalf("import: %v", err)
	}
	done, err := js.FindJob(ctx, j.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if done.Status != roster.JobDone || done.Counts.Failed > 0 || done.Counts.Created+done.Counts.Updated != 1 {
		rows, _ := js.FailedRows(ctx, j.ID, 0, 10)
		w.t.Fatalf("import: %s %s, counts %+v, failed rows %+v", done.Status, done.Error, done.Counts, rows)
	}
}
