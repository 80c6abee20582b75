package jobs

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestImportUpdatesRefs: a row that changes only the tags or only the
// groups of an existing user writes them, in each mode that may update
// and keyed on each key; create mode refuses the row and changes nothing;
// a dry run reports the update and writes nothing. Each step reads the
// user back from the database.
func TestImportUpdatesRefs(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		gs := sqldb.NewGroupService(db)
		for _, name := range []string{"Club", "Team"} {
			if err := gs.CreateGroup(ctx, &roster.Group{Name: name, JoinType: roster.JoinOpen}); err != nil {
				t.Fatal(err)
			}
		}
		x := newImporter(t, db)
		names := func(u *roster.User) (tags, groups []string) {
			t.Helper()
			cat, err := sqldb.NewCatalogService(db).Catalog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range u.Tags {
				tg, _ := cat.Tag(id)
				tags = append(tags, tg.Name)
			}
			for _, id := range u.Groups {
				g, _ := cat.Group(id)
				groups = append(groups, g.Name)
			}
			slices.Sort(groups)
			return tags, groups
		}
		check := func(email string, wantTags, wantGroups []string) {
			t.Helper()
			u := x.user(email)
			if u == nil {
				t.Fatalf("%s: no such user", email)
			}
			tags, groups := names(u)
			if !slices.Equal(tags, wantTags) || !slices.Equal(groups, wantGroups) {
				t.Errorf("%s: tags %q groups %q, want tags %q groups %q", email, tags, groups, wantTags, wantGroups)
			}
		}
		for i, tt := range []struct {
			mode roster.ImportMode
			key  string
		}{
			{roster.ImportUpsert, "email"},
			{roster.ImportUpdate, "email"},
			{roster.ImportUpsert, "client_id"},
			{roster.ImportUpdate, "client_id"},
			{roster.ImportCreate, "email"},
			{roster.ImportCreate, "client_id"},
		} {
			t.Run(fmt.Sprintf("%s/%s", tt.mode, tt.key), func(t *testing.T) {
				email, client := fmt.Sprintf("refs%d@example.com", i), fmt.Sprintf("refs-%d", i)
				keyCell := email
				if tt.key == "client_id" {
					keyCell = client
				}
				made := x.run(fmt.Sprintf("email,client_id,first_name,tags,groups\n%s,%s,Ada,red|blue,Club\n", email, client),
					roster.ImportOptions{Mode: roster.ImportCreate, Key: "email"})
				wantCounts(t, made, roster.ImportCounts{Read: 1, Created: 1})
				check(email, []string{"red", "blue"}, []string{"Club"})
				opts := roster.ImportOptions{Mode: tt.mode, Key: tt.key}
				step := func(csv string, wantTags, wantGroups []string) {
					t.Helper()
					btags, bgroups := names(x.user(email))
					dry := opts
					dry.DryRun = true
					j := x.run(csv, dry)
					check(email, btags, bgroups)
					if tt.mode == roster.ImportCreate {
						wantCounts(t, j, roster.ImportCounts{Read: 1, Failed: 1})
					} else {
						wantCounts(t, j, roster.ImportCounts{Read: 1, Updated: 1})
					}
					j = x.run(csv, opts)
					if tt.mode == roster.ImportCreate {
						wantCounts(t, j, roster.ImportCounts{Read: 1, Failed: 1})
						wantFailure(t, x.failed(j), 2, tt.key, "exists already")
						check(email, btags, bgroups)
						return
					}
					wantCounts(t, j, roster.ImportCounts{Read: 1, Updated: 1})
					check(email, wantTags, wantGroups)
					// The same file again changes nothing.
					wantCounts(t, x.run(csv, opts), roster.ImportCounts{Read: 1, Unchanged: 1})
					check(email, wantTags, wantGroups)
					if u := x.user(email); u.FirstName != "Ada" {
						t.Errorf("first name %q: a column absent from the file changed", u.FirstName)
					}
				}
				// Only the tags: a new one first, one kept, one dropped.
				step(fmt.Sprintf("%s,tags\n%s,green|red\n", tt.key, keyCell), []string{"green", "red"}, []string{"Club"})
				// Only the groups: one joined, one left.
				step(fmt.Sprintf("%s,groups\n%s,Team\n", tt.key, keyCell), []string{"green", "red"}, []string{"Team"})
				// Both cleared by empty cells.
				step(fmt.Sprintf("%s,tags,groups\n%s,,\n", tt.key, keyCell), nil, nil)
			})
		}
	})
}
