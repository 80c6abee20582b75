package sqldb_test

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestUserService_FindUsersByIDs loads users by dense runs of ids (read as
// a range) and by scattered ids (read by list): both give the users in the
// order asked, skip missing ids, and carry tags, groups and custom values,
// exactly as FindUserByID does.
func TestUserService_FindUsersByIDs(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := staffCtx()
		s := sqldb.NewUserService(db)
		if err := sqldb.NewFieldService(db).CreateCustomField(ctx, &roster.Field{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold"}}); err != nil {
			t.Fatal(err)
		}
		var users []*roster.User
		for i := range 300 {
			u := &roster.User{Email: "find" + strconv.Itoa(i) + "@example.com", Addresses: []roster.Address{{Line1: strconv.Itoa(i) + " Main St"}}}
			if i%3 == 0 {
				u.Custom = map[string]any{"tier": "gold"}
			}
			users = append(users, u)
		}
		if err := s.CreateUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		tags := sqldb.NewTagService(db)
		tag := &roster.Tag{Name: "VIP"}
		if err := tags.CreateTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
		var tagged []int64
		for i := 0; i < 300; i += 7 {
			tagged = append(tagged, users[i].ID)
		}
		if _, err := tags.TagUsers(ctx, tag.ID, tagged, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser(ctx, users[10].PublicID); err != nil {
			t.Fatal(err)
		}
		want := map[int64]*roster.User{}
		for i, u := range users {
			if i == 10 {
				continue
			}
			got, err := s.FindUserByID(ctx, u.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			want[u.ID] = got
		}
		rng := rand.New(rand.NewPCG(1, 2))
		dense := make([]int64, 0, 301)
		for _, u := range users[:200] {
			dense = append(dense, u.ID)
		}
		dense = append(dense, 999999) // far away: the list is read by list
		sparse := []int64{users[299].ID, users[0].ID, users[150].ID, users[10].ID, 999999}
		for name, ids := range map[string][]int64{"dense": dense[:200], "dense with a stranger": dense, "sparse": sparse} {
			ids = append([]int64(nil), ids...)
			rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			got, err := s.FindUsersByIDs(ctx, ids)
			if err != nil {
				t.Fatal(err)
			}
			var order []int64
			for _, id := range ids {
				if want[id] != nil {
					order = append(order, id)
				}
			}
			if len(got) != len(order) {
				t.Fatalf("%s: %d users, want %d", name, len(got), len(order))
			}
			for i, u := range got {
				if u.ID != order[i] {
					t.Fatalf("%s: user %d is %d, want %d", name, i, u.ID, order[i])
				}
				if !reflect.DeepEqual(u, want[u.ID]) {
					t.Errorf("%s: user %d = %+v, FindUserByID %+v", name, u.ID, u, want[u.ID])
				}
			}
		}
	})
}

// TestUserService_FindUsersByIDsInto fills a caller's slab: the same users
// as FindUsersByIDs, pointing into the slab; a slab too small is not used.
func TestUserService_FindUsersByIDsInto(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	ctx := staffCtx()
	s := sqldb.NewUserService(db)
	var users []*roster.User
	for i := range 20 {
		users = append(users, &roster.User{Email: "slab" + strconv.Itoa(i) + "@example.com", Custom: map[string]any{}})
	}
	if err := s.CreateUsers(ctx, users); err != nil {
		t.Fatal(err)
	}
	ids := []int64{users[3].ID, users[19].ID, users[0].ID}
	want, err := s.FindUsersByIDs(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	slab := make([]roster.User, 3)
	for round := range 2 {
		got, err := s.FindUsersByIDsInto(ctx, ids, slab)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: %+v, want %+v", round, got, want)
		}
		for _, u := range got {
			if u != &slab[0] && u != &slab[1] && u != &slab[2] {
				t.Errorf("round %d: user %d is not in the slab", round, u.ID)
			}
		}
	}
	got, err := s.FindUsersByIDsInto(ctx, ids, make([]roster.User, 2))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("small slab: %+v, %v", got, err)
	}
}
