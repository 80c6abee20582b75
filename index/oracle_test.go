package index_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/query"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// The oracle test: random users with edge values, random filters and
// sorts; the index and the SQL the store compiles must return the same
// ids in the same order with the same total, page after page, on both
// databases, before and after random writes. Both run the plan query
// compiles, so each filter is also checked against the Go oracle
// (oracle_eval_test.go), which reads the filter as written: the users it
// selects must be those the index and the SQL select.

var (
	names     = []string{"Zoé", "zoe", "ZOE", "Élodie", "elodie", "Ünal", "Łukasz", "山田", "Σωκράτης", "Дмитрий", "Anne-Marie", "O'Brien", "", "a", "ab", "Zoë"}
	cities    = []string{"Paris", "paris", "São Paulo", "Sao Paulo", "New York", "Köln", "", "東京", "Zürich"}
	countries = []string{"FR", "BE", "US", "DE", "JP", ""}
	members   = []string{"member", "vip", "VIP", "café", "Café", "early-adopter", "x", "moderator"}
	words     = []string{"zoe", "ZOÉ", "elo", "par", "pau", "new york", "ün", "山", "mar", "gmail", "@ex", "33", "612", "x", "a", "xyz", "o'b", "ko", "zur", "café", "vip"}
	bigCounts = []int64{0, 1, 2, 42, 4999, 5000, 5001, 100000, roster.MaxCount}
	tzs       = []string{"UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Tokyo"}
	baseTime  = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func customFields() []roster.Field {
	return []roster.Field{
		{Key: "nick", Label: "Nick", Type: roster.TypeText},
		{Key: "about", Label: "About", Type: roster.TypeLongText},
		{Key: "size", Label: "Size", Type: roster.TypeNumber},
		{Key: "joined", Label: "Joined", Type: roster.TypeDate},
		{Key: "vip", Label: "VIP", Type: roster.TypeBoolean},
		{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"Gold", "silver", "Bronze"}},
		{Key: "likes", Label: "Likes", Type: roster.TypeMultiChoice, Choices: []string{"cats", "dogs", "Café"}},
		{Key: "site", Label: "Site", Type: roster.TypeURL},
		{Key: "work_email", Label: "Work email", Type: roster.TypeEmail},
		{Key: "work_phone", Label: "Work phone", Type: roster.TypePhone},
	}
}

// randTime returns a time around baseTime, on day boundaries in various
// zones more often than not, or the zero time.
func randTime(r *rand.Rand) time.Time {
	switch r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		loc, _ := time.LoadLocation(pick(r, tzs))
		d := baseTime.AddDate(0, 0, r.IntN(60)-30)
		t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		if r.IntN(2) == 0 {
			t = t.Add(-time.Millisecond)
		}
		return t.UTC()
	}
	return baseTime.Add(time.Duration(r.Int64N(int64(60*24*time.Hour))) - 30*24*time.Hour).Truncate(time.Millisecond).UTC()
}

func randSet(r *rand.Rand, pool []string) []string {
	switch r.IntN(5) {
	case 0:
		return nil
	case 1:
		var out []string
		for i := range 30 {
			out = append(out, fmt.Sprintf("m%d", i))
		}
		return append(out, pick(r, pool))
	}
	var out []string
	for range r.IntN(4) + 1 {
		out = append(out, pick(r, pool))
	}
	return out
}

func randUser(r *rand.Rand, i int) *roster.User {
	u := &roster.User{
		Email:     fmt.Sprintf("%s.%d@%s", strings.ToLower(pick(r, []string{"zoe", "marie", "ünal", "jo"})), i, pick(r, []string{"gmail.com", "example.com", "ex.fr"})),
		FirstName: pick(r, names), LastName: pick(r, names), City: pick(r, cities), Country: pick(r, countries),
		Points: pick(r, bigCounts), InstagramFollowers: pick(r, bigCounts), TikTokFollowers: pick(r, bigCounts) % 1000,
		Status: roster.UserStatus(pick(r, roster.UserStatusNames())),
		Roles:  randSet(r, members), Badges: randSet(r, members), Missions: randSet(r, members),
		CreatedAt: randTime(r), LastVisit: randTime(r), LastLogin: randTime(r), PasswordSetAt: randTime(r),
		LastInteraction: randTime(r), FirstSeen: randTime(r),
		Newsletter: r.IntN(2) == 0, EmailConfirmed: r.IntN(2) == 0,
		AppID: pick(r, []string{"", "ios", "android"}), StoreLocation: pick(r, []string{"", "Paris – Rivoli", "Lyon"}),
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = baseTime
	}
	if r.IntN(3) == 0 {
		u.MobilePhone = pick(r, []string{"+33 6 12 34 56 78", "06-12-34-56-78", "(555) 010-2030", "+81 3 1234 5678"})
	}
	if r.IntN(3) == 0 {
		u.Bio = pick(r, []string{"J'adore le café", "Loves NEW YORK", "山田さん", "Zoé's bio", ""})
	}
	if r.IntN(4) == 0 {
		u.BirthDate = roster.Date{Year: 1900 + r.IntN(110), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)}
	}
	if r.IntN(4) == 0 {
		u.ProfileImageURL = "https://img.example.com/" + pick(r, []string{"a.png", "B.PNG", "zoé.jpg"})
	}
	if r.IntN(4) == 0 {
		u.Addresses = []roster.Address{{Line1: "1 rue de Rivoli", Country: "FR"}}
	}
	u.Custom = map[string]any{}
	if r.IntN(2) == 0 {
		u.Custom["nick"] = pick(r, names[:12])
	}
	if r.IntN(3) == 0 {
		u.Custom["about"] = pick(r, []string{"Café lover", "dogs and cats", "x"})
	}
	if r.IntN(2) == 0 {
		u.Custom["size"] = pick(r, []float64{-1.5, 0, 0.1, 42, 42.5, 1e9})
	}
	if r.IntN(2) == 0 {
		u.Custom["joined"] = roster.Date{Year: 2024 + r.IntN(2), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)}
	}
	if r.IntN(2) == 0 {
		u.Custom["vip"] = r.IntN(2) == 0
	}
	if r.IntN(2) == 0 {
		u.Custom["tier"] = pick(r, []string{"Gold", "silver", "Bronze"})
	}
	if r.IntN(2) == 0 {
		u.Custom["likes"] = roster.NormalizeSet([]string{pick(r, []string{"cats", "dogs", "Café"}), pick(r, []string{"cats", "dogs", "Café"})})
	}
	if r.IntN(3) == 0 {
		u.Custom["site"] = "https://site.example.com/" + pick(r, []string{"x", "Y"})
	}
	if r.IntN(3) == 0 {
		u.Custom["work_email"] = fmt.Sprintf("w%d@corp.example.com", i)
	}
	if r.IntN(3) == 0 {
		u.Custom["work_phone"] = "+1 555 " + fmt.Sprint(1000+r.IntN(9000))
	}
	return u
}

// randValue returns a value typed as a person would for field f.
func randValue(r *rand.Rand, f roster.Field) string {
	if f.Key == "platform" {
		return pick(r, []string{"ios", "IOS", "android", "web", "café", "nothing"})
	}
	switch f.Type {
	case roster.TypeInteger:
		if strings.HasSuffix(f.Key, "_30d") { // the activity counters: a few events each
			return fmt.Sprint(r.IntN(8))
		}
		return fmt.Sprint(pick(r, bigCounts))
	case roster.TypeNumber:
		return pick(r, []string{"-1.5", "0", "0.1", "42", "42.5", "1e9", "7"})
	case roster.TypeBoolean:
		return pick(r, []string{"true", "false", "yes", "0"})
	case roster.TypeDate:
		return fmt.Sprintf("%04d-%02d-%02d", pick(r, []int{1900, 1950, 2000, 2024, 2025}), 1+r.IntN(12), 1+r.IntN(28))
	case roster.TypeTimestamp:
		t := randTime(r)
		if t.IsZero() {
			t = baseTime
		}
		if r.IntN(4) == 0 {
			return t.Format(time.RFC3339Nano)
		}
		return t.Format(time.DateOnly)
	case roster.TypeCountry:
		return pick(r, countries[:5])
	case roster.TypeStatus:
		return pick(r, roster.UserStatusNames())
	case roster.TypeAccess:
		return pick(r, roster.AccessStateNames())
	case roster.TypeSet, roster.TypeMultiChoice:
		return pick(r, append(members, "cats", "dogs", "m3"))
	case roster.TypeTags:
		return pick(r, []string{"VIP", "vip", "café", "beta", "🎉 party", "nothing", "#1", "#3", "#99"})
	case roster.TypeGroups, roster.TypeSmartType:
		return pick(r, []string{"Gold", "silver", "Bronze", "Staff", "Nobody", "#2", "#4", "#99"})
	}
	if f.Key == "id" {
		return "u_nothing"
	}
	return pick(r, append(append(words, names...), cities...))
}

// platforms are the platforms sessions name, as clients send them (the
// store lower-cases them).
var platforms = []string{"ios", "android", "web", "", "iOS", "Café"}

// sessionsWorld gives users sessions and push tokens at random: what the
// sessions.last_seen, platform and push_tokens fields read. It records in
// want what each user's sessions should read as, which the users the
// store loads must match.
type sessionsWorld struct {
	db       *sqldb.DB
	sessions *sqldb.UserSessionService
	want     map[int64]wantSessions
}

type wantSessions struct {
	lastSeen  time.Time
	platforms []string
}

func newSessionsWorld(db *sqldb.DB) *sessionsWorld {
	return &sessionsWorld{db: db, sessions: sqldb.NewUserSessionService(db), want: map[int64]wantSessions{}}
}

// start signs user id in on a random platform at a random time near
// baseTime.
func (w *sessionsWorld) start(t *testing.T, ctx context.Context, r *rand.Rand, id int64) {
	t.Helper()
	at := randTime(r)
	if at.IsZero() {
		at = baseTime
	}
	was := w.db.Now
	w.db.Now = func() time.Time { return at }
	defer func() { w.db.Now = was }()
	d := roster.UserDevice{Name: "phone", Platform: pick(r, platforms)}
	if _, _, err := w.sessions.StartSession(ctx, id, d); err != nil {
		t.Fatal(err)
	}
	ws := w.want[id]
	if at.After(ws.lastSeen) {
		ws.lastSeen = at
	}
	if p := strings.ToLower(d.Platform); p != "" && !slices.Contains(ws.platforms, p) {
		ws.platforms = append(ws.platforms, p)
		slices.Sort(ws.platforms)
	}
	w.want[id] = ws
}

// pushToken adds a push token to user id, or removes one it has.
func (w *sessionsWorld) pushToken(t *testing.T, ctx context.Context, r *rand.Rand, id int64) {
	t.Helper()
	have, err := w.sessions.PushTokens(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(have) > 0 && r.IntN(2) == 0 {
		if err := w.sessions.DeletePushToken(ctx, id, pick(r, have).ID); err != nil {
			t.Fatal(err)
		}
		return
	}
	tok := roster.PushTokenRecord{Provider: pick(r, []string{"fcm", "apns", "webpush"}), Token: fmt.Sprintf("tok-%d-%d", id, r.IntN(1000))}
	if err := w.sessions.AddPushToken(ctx, id, &tok); err != nil {
		t.Fatal(err)
	}
}

// check fails when a user the store loaded does not read its sessions as
// they were made.
func (w *sessionsWorld) check(t *testing.T, users []*roster.User) {
	t.Helper()
	for _, u := range users {
		ws := w.want[u.ID]
		if !u.SessionsLastSeen.Equal(ws.lastSeen) || !slices.Equal(u.Platforms, ws.platforms) {
			t.Fatalf("user %d reads sessions.last_seen %v platform %v, want %v %v", u.ID, u.SessionsLastSeen, u.Platforms, ws.lastSeen, ws.platforms)
		}
	}
}

func randFilter(r *rand.Rand, reg *roster.Registry) query.Filter {
	var f query.Filter
	for range r.IntN(3) {
		if r.IntN(2) == 0 {
			f.Words = append(f.Words, pick(r, words))
		}
	}
	var fields []roster.Field
	for _, fl := range reg.Fields {
		if fl.Filterable {
			fields = append(fields, fl)
		}
	}
	for range r.IntN(4) {
		fl := pick(r, fields)
		kind := query.KindOf(fl)
		ops := map[query.Kind][]query.Op{
			query.KindOrdered:  {query.OpEq, query.OpLt, query.OpLe, query.OpGt, query.OpGe, query.OpBetween, query.OpEmpty, query.OpNotEmpty},
			query.KindText:     {query.OpEq, query.OpContains, query.OpPrefix, query.OpSuffix, query.OpEmpty, query.OpNotEmpty},
			query.KindExact:    {query.OpEq, query.OpEmpty, query.OpNotEmpty},
			query.KindSet:      {query.OpEq, query.OpAll, query.OpEmpty, query.OpNotEmpty},
			query.KindPresence: {query.OpEmpty, query.OpNotEmpty},
			query.KindSmart:    {query.OpEq, query.OpEmpty, query.OpNotEmpty},
			query.KindAccess:   {query.OpEq},
		}[kind]
		if fl.Type == roster.TypeBoolean {
			ops = []query.Op{query.OpEq}
		}
		c := query.Cond{Field: fl.Key, Op: pick(r, ops), Negate: r.IntN(5) == 0}
		switch c.Op {
		case query.OpEmpty, query.OpNotEmpty:
		case query.OpBetween:
			a, b := randValue(r, fl), randValue(r, fl)
			c.Values = []string{a, b}
		case query.OpLt, query.OpLe, query.OpGt, query.OpGe:
			c.Values = []string{randValue(r, fl)}
		default:
			for range 1 + r.IntN(3) {
				v := randValue(r, fl)
				if rs := []rune(v); len(rs) > 0 && (c.Op == query.OpPrefix || c.Op == query.OpSuffix) {
					// A start or an end of a value some users have.
					if n := 1 + r.IntN(len(rs)); c.Op == query.OpPrefix {
						v = string(rs[:n])
					} else {
						v = string(rs[len(rs)-n:])
					}
				}
				c.Values = append(c.Values, v)
			}
		}
		if r.IntN(6) == 0 {
			c = query.Cond{Field: "segment", Op: query.OpEq, Negate: r.IntN(3) == 0, Values: []string{pick(r, segmentNames)}}
		}
		f.Conds = append(f.Conds, c)
		if r.IntN(4) == 0 { // a second condition on the same field: ORed
			c2 := c
			c2.Values = slices.Clone(c.Values)
			if len(c2.Values) > 0 {
				c2.Values[0] = randValue(r, fl)
			}
			f.Conds = append(f.Conds, c2)
		}
	}
	return f
}

var segmentNames = []string{"French or staff", "not French", "nested", "everyone but gold", "hand-picked"}

// organise gives the users random tags (names repeat) and groups, a smart
// type list, and segments that include, exclude and nest, with users added
// and removed by hand (pubs are the users' public ids). It records the
// tags, groups and smart type list in o, as the Go oracle knows them.
func organise(t *testing.T, ctx context.Context, r *rand.Rand, db *sqldb.DB, ids []int64, pubs []string, o *goOracle) {
	tags, groups, segs := sqldb.NewTagService(db), sqldb.NewGroupService(db), sqldb.NewSegmentService(db)
	var tagIDs, groupIDs []int64
	for _, name := range []string{"VIP", "vip", "Café", "beta", "🎉 party"} {
		tg := roster.Tag{Name: name}
		if err := tags.CreateTag(ctx, &tg); err != nil {
			t.Fatal(err)
		}
		tagIDs = append(tagIDs, tg.ID)
		o.tags[tg.ID] = tg.Name
	}
	for _, name := range []string{"Gold", "Silver", "Bronze", "Staff"} {
		g := roster.Group{Name: name}
		if err := groups.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		groupIDs = append(groupIDs, g.ID)
		o.groups[g.ID] = g.Name
	}
	subset := func() []int64 {
		var out []int64
		for _, id := range ids {
			if r.IntN(3) == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	for _, id := range tagIDs {
		if _, err := tags.TagUsers(ctx, id, subset(), ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range groupIDs {
		if _, err := groups.AddMembers(ctx, id, subset(), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := groups.SetSmartTypes(ctx, groupIDs[:3]); err != nil {
		t.Fatal(err)
	}
	o.smart = groupIDs[:3]
	grp := func(i int) roster.SegmentRef { return roster.SegmentRef{Type: roster.RefGroup, ID: groupIDs[i]} }
	s1 := roster.Segment{Name: segmentNames[0], Q: "country:FR", Include: []roster.SegmentRef{grp(3)}}
	s2 := roster.Segment{Name: segmentNames[1], Q: "-country:FR tags:vip"}
	for _, sg := range []*roster.Segment{&s1, &s2} {
		if err := segs.CreateSegment(ctx, sg); err != nil {
			t.Fatal(err)
		}
	}
	s3 := roster.Segment{Name: segmentNames[2], Q: "points:>42 zoe", Include: []roster.SegmentRef{{Type: roster.RefSegment, ID: s1.ID}, grp(2)},
		Exclude: []roster.SegmentRef{{Type: roster.RefSegment, ID: s2.ID}}}
	s4 := roster.Segment{Name: segmentNames[3], Exclude: []roster.SegmentRef{grp(0)}}
	s5 := roster.Segment{Name: segmentNames[4], Q: "country:FR", Exclude: []roster.SegmentRef{grp(0)}}
	for _, sg := range []*roster.Segment{&s3, &s4, &s5} {
		if err := segs.CreateSegment(ctx, sg); err != nil {
			t.Fatal(err)
		}
	}
	// By hand, on every segment: the nested one sees s1's through its
	// include.
	for _, sg := range []*roster.Segment{&s1, &s2, &s3, &s4, &s5} {
		for range 15 {
			if err := segs.SetSegmentMember(ctx, sg.ID, pick(r, pubs), r.IntN(2) == 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func randSort(r *rand.Rand, reg *roster.Registry) []query.SortKey {
	var fields []roster.Field
	for _, fl := range reg.Fields {
		if fl.Sortable {
			fields = append(fields, fl)
		}
	}
	var keys []query.SortKey
	for range r.IntN(3) {
		fl := pick(r, fields)
		if slices.ContainsFunc(keys, func(k query.SortKey) bool { return k.Field.Key == fl.Key }) {
			continue
		}
		keys = append(keys, query.SortKey{Field: fl, Desc: r.IntN(2) == 0})
	}
	return keys
}

func TestIndexMatchesSQL(t *testing.T) {
	// Thousands of cases per database per run; a few hundred under the
	// race detector (make test runs the full count without it as well).
	cases := 2000
	if testing.Short() || raceEnabled {
		cases = 250
	}
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "test"})
		seed := uint64(time.Now().UnixNano())
		if s := os.Getenv("ROSTER_ORACLE_SEED"); s != "" {
			seed, _ = strconv.ParseUint(s, 10, 64)
		}
		r := rand.New(rand.NewPCG(seed, 7))
		t.Logf("seed %d (set ROSTER_ORACLE_SEED to replay)", seed)
		fields := sqldb.NewFieldService(db)
		for _, f := range customFields() {
			if err := fields.CreateCustomField(ctx, &f); err != nil {
				t.Fatal(err)
			}
		}
		users := sqldb.NewUserService(db)
		var batch []*roster.User
		for i := range 400 {
			batch = append(batch, randUser(r, i))
		}
		if err := users.CreateUsers(ctx, batch); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		var pubs []string
		for _, u := range batch {
			ids = append(ids, u.ID)
			pubs = append(pubs, u.PublicID)
		}
		oracle := &goOracle{tags: map[int64]string{}, groups: map[int64]string{}}
		organise(t, ctx, r, db, ids, pubs, oracle)
		sw := newSessionsWorld(db)
		for _, id := range ids {
			for range pick(r, []int{0, 0, 1, 1, 2, 3}) {
				sw.start(t, ctx, r, id)
			}
			if r.IntN(3) == 0 {
				sw.pushToken(t, ctx, r, id)
			}
		}
		// The store and the index read one clock, which the test moves so
		// that users cross the expiry cutoff between checks: it starts
		// about 15 months (the default expiry) after the users' times.
		now := baseTime.AddDate(0, 15, r.IntN(40)-20)
		clock := func() time.Time { return now }
		// Events at various ages: the activity counters and first seen.
		aw := newActivityWorld(db)
		oracle.activity = aw
		for _, u := range batch {
			aw.created(u)
			if r.IntN(3) > 0 {
				aw.send(t, ctx, r, u, now)
			}
		}
		db.Now = clock
		ix := mustOpenIndex(t, ctx, db)
		ix.Now = clock
		reg, err := fields.Registry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		oracle.reg = reg
		checked, covered := 0, 0
		// focus, when set, adds an access condition to every filter, often
		// an activity counter's too, and often sorts by access or a
		// counter first: the phases where time passes.
		focus := false
		accessField, _ := reg.Field("access")
		check := func(phase string, n int) {
			// The Go oracle reads the users as the store loads them now.
			oracle.now = now
			if oracle.policy, err = db.AccountPolicy(ctx); err != nil {
				t.Fatal(err)
			}
			oracle.users = oracle.users[:0]
			if err := users.ScanUsers(ctx, 0, 1000, func(u *roster.User) error {
				oracle.users = append(oracle.users, u)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			sw.check(t, oracle.users)
			aw.check(t, oracle.users, now)
			for c := range n {
				f := randFilter(r, reg)
				if focus {
					f.Conds = append(f.Conds, query.Cond{Field: "access", Op: query.OpEq, Negate: r.IntN(4) == 0,
						Values: []string{pick(r, roster.AccessStateNames()), pick(r, roster.AccessStateNames())}})
				}
				if focus && r.IntN(2) == 0 {
					// And an activity counter, which time changes too.
					key := pick(r, []string{"visits_30d", "interactions_30d"})
					c := query.Cond{Field: key, Op: pick(r, []query.Op{query.OpEq, query.OpLe, query.OpGe, query.OpBetween}), Negate: r.IntN(4) == 0,
						Values: []string{fmt.Sprint(r.IntN(4))}}
					if c.Op == query.OpBetween {
						c.Values = append(c.Values, fmt.Sprint(1+r.IntN(6)))
					}
					f.Conds = append(f.Conds, c)
				}
				loc, _ := time.LoadLocation(pick(r, tzs))
				p, err := query.Compile(f, reg, loc)
				if err != nil {
					continue // random values may not type: that is the parser's test
				}
				p.Sort = randSort(r, reg)
				if focus && r.IntN(2) == 0 {
					first := accessField
					if r.IntN(2) == 0 {
						first, _ = reg.Field(pick(r, []string{"visits_30d", "interactions_30d"}))
					}
					rest := slices.DeleteFunc(p.Sort, func(k query.SortKey) bool { return k.Field.Key == first.Key })
					p.Sort = append([]query.SortKey{{Field: first, Desc: r.IntN(2) == 0}}, rest...)
				}
				checked++
				// Which users match, by the Go oracle, the index and SQL.
				if wantIDs, err := oracle.eval(f, loc); err == nil {
					covered++
					gotIDs, err := ix.Match(ctx, p)
					if err != nil {
						t.Fatalf("%s case %d: index match: %v", phase, c, err)
					}
					sqlIDs, err := users.Match(ctx, p)
					if err != nil {
						t.Fatalf("%s case %d: sql match: %v", phase, c, err)
					}
					if !slices.Equal(gotIDs, wantIDs) || !slices.Equal(sqlIDs, wantIDs) {
						t.Fatalf("%s case %d: filter %q tz %s: the Go oracle disagrees\noracle: %d ids %v\nindex:  %d ids %v\nsql:    %d ids %v\nonly in oracle: %v\nonly in index: %v\nonly in sql: %v",
							phase, c, f.String(), loc, len(wantIDs), short(wantIDs), len(gotIDs), short(gotIDs), len(sqlIDs), short(sqlIDs),
							minus(wantIDs, gotIDs), minus(gotIDs, wantIDs), minus(sqlIDs, wantIDs))
					}
				} else if err != errNotCovered {
					t.Fatalf("%s case %d: filter %q: %v", phase, c, f.String(), err)
				}
				limit := pick(r, []int{1, 7, 50, 500})
				var after *query.After
				offset := 0
				if r.IntN(4) == 0 {
					offset = r.IntN(300)
				}
				for pageNo := 0; pageNo < 4; pageNo++ {
					pg := query.Page{Limit: limit, After: after, Offset: offset}
					got, err := ix.Search(ctx, p, pg)
					if err != nil {
						t.Fatalf("%s case %d: index: %v", phase, c, err)
					}
					want, err := users.Search(ctx, p, pg)
					if err != nil {
						t.Fatalf("%s case %d: sql: %v (filter %s, sort %s)", phase, c, err, f.String(), query.FormatSort(p.Sort))
					}
					if got.Total != want.Total || !slices.Equal(got.IDs, want.IDs) || !sameAfter(got.Next, want.Next) {
						t.Fatalf("%s case %d page %d: filter %q sort %q tz %s limit %d offset %d\nindex: total %d ids %v next %v\nsql:   total %d ids %v next %v",
							phase, c, pageNo, f.String(), query.FormatSort(p.Sort), loc, limit, offset, got.Total, got.IDs, got.Next, want.Total, want.IDs, want.Next)
					}
					if got.Next == nil || offset > 0 {
						break
					}
					after = got.Next
				}
			}
		}
		check("built", cases)
		// Random writes through the store reach the index before they
		// return; the answers must still agree.
		all, _ := ix.Search(ctx, &query.Plan{}, query.Page{Limit: 500})
		reg2 := reg
		tags, groups, segs := sqldb.NewTagService(db), sqldb.NewGroupService(db), sqldb.NewSegmentService(db)
		for i := range 150 {
			id := all.IDs[r.IntN(len(all.IDs))]
			us, _ := users.FindUsersByIDs(ctx, []int64{id})
			if len(us) == 0 {
				continue
			}
			// Events come in, and sessions and push tokens change,
			// beside the user's fields.
			if r.IntN(3) == 0 {
				aw.send(t, ctx, r, us[0], now)
			}
			switch r.IntN(4) {
			case 0:
				sw.start(t, ctx, r, id)
			case 1:
				sw.pushToken(t, ctx, r, id)
			}
			switch i % 7 {
			case 0:
				users.DeleteUser(ctx, us[0].PublicID)
			case 5:
				tagID := int64(1 + r.IntN(5))
				if r.IntN(2) == 0 {
					err = tags.TagUser(ctx, us[0].PublicID, tagID)
				} else {
					err = tags.UntagUser(ctx, us[0].PublicID, tagID)
				}
				if err != nil && roster.ErrorCode(err) != roster.ENOTFOUND {
					t.Fatal(err)
				}
			case 6:
				groupID := int64(1 + r.IntN(4))
				if r.IntN(2) == 0 {
					err = groups.AddMember(ctx, groupID, us[0].PublicID)
				} else {
					err = groups.RemoveMember(ctx, groupID, us[0].PublicID)
				}
				if err != nil {
					t.Fatal(err)
				}
				// And a segment's users by hand.
				if err := segs.SetSegmentMember(ctx, int64(1+r.IntN(len(segmentNames))), us[0].PublicID, r.IntN(2) == 0); err != nil {
					t.Fatal(err)
				}
			case 1:
				batch := []*roster.User{randUser(r, 1000+i)}
				if err := users.CreateUsers(ctx, batch); err != nil {
					t.Fatal(err)
				}
				aw.created(batch[0])
			default:
				nu := randUser(r, 2000+i)
				vals := map[string]any{}
				for _, key := range []string{"first_name", "city", "country", "points", "roles", "last_visit", "bio", "mobile_phone", "status", "newsletter"} {
					fl, _ := reg2.Field(key)
					vals[key] = nu.Get(key)
					_ = fl
				}
				for k, v := range nu.Custom {
					if r.IntN(2) == 0 {
						vals[k] = v
					}
				}
				if _, err := users.UpdateUser(ctx, us[0].PublicID, roster.UserUpdate{Values: vals}); err != nil && roster.ErrorCode(err) != roster.EINVALID {
					t.Fatal(err)
				}
			}
		}
		check("after writes", cases/3)
		// Time passes: users cross the expiry cutoff without a write. Then
		// the policy changes: confirmation required, another expiry, none.
		focus = true
		for _, step := range []int{3, 7, 11} {
			now = now.AddDate(0, 0, step)
			check(fmt.Sprintf("%d days later", step), cases/10)
		}
		// The activity counters change at a UTC day's boundary: events
		// of a day leave the window at once.
		day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
		now = day.Add(-time.Millisecond)
		check("the last millisecond of a day", cases/10)
		now = day
		check("the first millisecond of the next day", cases/10)
		// Other types count: the counters are recounted from the events.
		es := sqldb.NewEventService(db)
		set, err := es.EventSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		set.VisitTypes, set.InteractionTypes = []string{"visit"}, []string{"interaction", "error", "purchase"}
		if err := es.SetEventSettings(ctx, set); err != nil {
			t.Fatal(err)
		}
		aw.visit, aw.interaction = set.VisitTypes, set.InteractionTypes
		check("other event types count", cases/10)
		// Exactly at a user's cutoff: their reference time is the cutoff,
		// which makes them expired. Time moves forward only, as a server's
		// clock does: the index keeps the activity days a window behind
		// its load, not a user's whole history.
		var ahead []*roster.User
		for _, u := range oracle.users {
			if !time.UnixMilli(roster.AccessReference(u)).UTC().AddDate(0, 15, 0).Before(now) {
				ahead = append(ahead, u)
			}
		}
		if len(ahead) > 0 {
			u := pick(r, ahead)
			now = time.UnixMilli(roster.AccessReference(u)).UTC().AddDate(0, 15, 0)
			check("at a cutoff", cases/10)
			now = now.Add(-time.Millisecond)
			check("just before a cutoff", cases/10)
		}
		for _, p := range []roster.AccountPolicy{
			{ConfirmationRequired: true, ExpiryMonths: 15},
			{ConfirmationRequired: true, ExpiryMonths: 14},
			{ExpiryMonths: 0},
		} {
			d := roster.DefaultAccountPolicy()
			p.InviteTTL, p.ConfirmTTL, p.ResetTTL = d.InviteTTL, d.ConfirmTTL, d.ResetTTL
			if err := db.SetAccountPolicy(ctx, p); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("policy %+v", p), cases/10)
		}
		t.Logf("%d random filters agreed, page by page, before and after %d writes; %d of them with the Go oracle too", checked, 150, covered)
		if covered < checked/3 {
			t.Errorf("the Go oracle covered only %d of %d filters", covered, checked)
		}
	})
}

// short is ids, or its first 30 when it is longer.
func short(ids []int64) string {
	if len(ids) > 30 {
		return fmt.Sprint(ids[:30]) + "..."
	}
	return fmt.Sprint(ids)
}

// minus returns the ids of a that are not in b (both ascending).
func minus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			out = append(out, x)
		}
	}
	return out
}

func sameAfter(a, b *query.After) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.ID != b.ID || len(a.Values) != len(b.Values) {
		return false
	}
	for i := range a.Values {
		if query.CompareValues(a.Values[i], b.Values[i]) != 0 {
			return false
		}
	}
	return true
}
