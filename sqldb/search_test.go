package sqldb_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/query"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// The SQL search is the oracle of the query index, so it is checked here
// against a plain Go evaluation of the Plan semantics over the users as the
// index loads them (ScanUsers).

func searchCtx() context.Context {
	return roster.NewContextWithActor(context.Background(), roster.Actor{StaffID: 1, Label: "search@example.com", Role: roster.RoleAdmin})
}

var searchCustomFields = []roster.Field{
	{Key: "nick", Label: "Nick", Type: roster.TypeText},
	{Key: "notes", Label: "Notes", Type: roster.TypeLongText},
	{Key: "score", Label: "Score", Type: roster.TypeNumber},
	{Key: "joined", Label: "Joined", Type: roster.TypeDate},
	{Key: "vip", Label: "VIP", Type: roster.TypeBoolean},
	{Key: "tier", Label: "Tier", Type: roster.TypeChoice, Choices: []string{"gold", "silver", "bronze", "Émeraude"}},
	{Key: "interests", Label: "Interests", Type: roster.TypeMultiChoice, Choices: []string{"music", "sport", "art", "Café"}},
	{Key: "site", Label: "Site", Type: roster.TypeURL},
	{Key: "alt_email", Label: "Other email", Type: roster.TypeEmail},
	{Key: "fax", Label: "Fax", Type: roster.TypePhone},
}

// pick returns list[i mod len(list)].
func pick[T any](list []T, i int) T { return list[i%len(list)] }

// searchUsers returns ~60 users with varied values: accents and other
// scripts, empty values, untrimmed text (bulk creation does not normalise),
// sets, sub-millisecond times, ties, and every custom field type, some
// unset.
func searchUsers() []*roster.User {
	firstNames := []string{"Zoé", "zoe", "ZOË", "Élodie", "Ørjan", "Łukasz", "", "Δημήτρης", "Андрей", "Zoë ", "anna", "Anna", "ANNA", "Bob", "bob\u00a0", "Ça", "ca", "Zoe-Marie", "Émile", "emile", "Zoé"}
	lastNames := []string{"Lefèvre", "Dupont", "", "Müller", "O'Brien", "García", "Nguyễn", "lefevre", "DUPONT", "Østergård", "Dupont"}
	cities := []string{"Paris", "paris", "São Paulo", "", "Zürich", "  Lyon ", "New York", "PARIS", "Paris"}
	countries := []string{"FR", "DE", "US", "", "BR", "CH", "FR"}
	statuses := []roster.UserStatus{roster.StatusActive, roster.StatusBanned, roster.StatusInvited, roster.StatusPending, roster.StatusActive}
	phones := []string{"+33 6 12 34 56 78", "06-12-34-56-78", "", "+1 (555) 123-4567", "+49 30 123456", "+33612345678", ""}
	bios := []string{"", "Loves Café au lait", "hello\u00a0", "  Hello", "Δημοκρατία", "", "ÉCOLE normale", "hello"}
	roles := [][]string{{"admin"}, {"member", "vip"}, {"Member"}, nil, {"VIP", "modérateur"}, {"member"}, {"", "admin"}, {""}}
	teams := [][]string{{"Red"}, {"blue", "red"}, nil, {" green"}}
	badges := [][]string{nil, {"gold"}, {"Gold", "silver"}}
	idChars := "0123456789abcdefghjkmnpqrstvwxyzABZ"
	base := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	// last_visit: around 2025-03-01 in UTC, UTC-5 and UTC+5:30, and with
	// sub-millisecond parts.
	visits := []time.Time{
		{},
		time.Date(2025, 3, 1, 4, 30, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 5, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 2, 4, 59, 59, 999e6, time.UTC),
		time.Date(2025, 3, 2, 5, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 12, 0, 0, 500e3, time.UTC),
		time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 2, 28, 18, 30, 0, 0, time.UTC),
		time.Date(2025, 2, 28, 18, 29, 59, 999999e3, time.UTC),
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 3, 1, 23, 59, 59, 999e6, time.UTC),
		{},
	}
	login := time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC)
	var users []*roster.User
	for i := range 60 {
		u := &roster.User{
			PublicID:           fmt.Sprintf("u_%c%c%02d", idChars[(i*7)%len(idChars)], idChars[(i*13+5)%len(idChars)], (i*37)%100),
			FirstName:          pick(firstNames, i),
			LastName:           pick(lastNames, i*3),
			City:               pick(cities, i*5),
			Country:            pick(countries, i),
			Status:             pick(statuses, i*3),
			MobilePhone:        pick(phones, i),
			HomePhone:          pick(phones, i*2+1),
			Bio:                pick(bios, i),
			Roles:              pick(roles, i),
			Teams:              pick(teams, i),
			Badges:             pick(badges, i),
			Points:             int64((i * 37) % 101),
			InstagramFollowers: int64((i * 911) % 1500),
			TikTokFollowers:    int64((i * 13) % 7),
			EmailConfirmed:     i%3 == 0,
			Newsletter:         i%4 == 1,
			StoreLocation:      pick([]string{"", "Paris Rivoli", "Lyon Part-Dieu", "paris rivoli"}, i),
			AppID:              pick([]string{"", "app-1", "app-2"}, i),
			CreatedAt:          base.Add(time.Duration(i/3) * 13 * time.Hour), // three users per creation time
			LastVisit:          pick(visits, i),
		}
		if i%5 != 2 {
			u.Email = fmt.Sprintf("user%02d@example.com", i)
		}
		if i%5 == 2 || i%7 == 0 {
			u.ClientID = fmt.Sprintf("sso-%03d", (i*17)%60)
		}
		if i%6 != 0 {
			u.BirthDate = roster.Date{Year: 1950 + (i*7)%55, Month: time.Month(1 + i%12), Day: 1 + (i*5)%28}
		}
		if i%3 != 0 {
			// Same millisecond, different microseconds for some users.
			u.LastLogin = login.Add(time.Duration(i%4) * 300 * time.Microsecond).Add(time.Duration(i%5) * time.Hour)
		}
		if u.Newsletter {
			u.NewsletterAt = base.Add(time.Duration(i) * time.Minute)
		}
		if i%4 == 0 {
			u.Addresses = []roster.Address{{Line1: "1 rue de Rivoli", City: "Paris", Country: "FR"}}
		}
		if i%5 == 0 {
			u.SocialLinks = []roster.SocialLink{{Network: "instagram", URL: "https://instagram.com/x"}}
		}
		if i%6 == 1 {
			u.PushTokens = []roster.PushToken{{Platform: "ios", Token: "tok"}}
		}
		c := map[string]any{}
		switch i % 6 {
		case 0:
			c["nick"] = "Zozo"
		case 1:
			c["nick"] = "zoé"
		case 2:
			c["nick"] = ""
		case 3:
			c["nick"] = " Ána\u00a0" // bulk creation keeps the padding
		}
		if i%4 == 0 {
			c["notes"] = "Prefers the café"
		}
		if i%5 != 4 {
			c["score"] = pick([]float64{0, -1.5, 2.5, 3, 100, 2.5, 7.25}, i)
		}
		if i%3 != 1 {
			c["joined"] = roster.Date{Year: 2023 + i%4, Month: time.Month(1 + (i*5)%12), Day: 1 + i%28}
		}
		switch i % 3 {
		case 0:
			c["vip"] = true
		case 1:
			c["vip"] = false
		}
		if i%4 != 3 {
			c["tier"] = pick([]string{"gold", "silver", "bronze", "Émeraude", "gold"}, i)
		}
		switch i % 5 {
		case 0:
			c["interests"] = []string{"music"}
		case 1:
			c["interests"] = []string{"music", "Café"}
		case 2:
			c["interests"] = []string{"sport"}
		case 3:
			c["interests"] = []string{}
			if i%10 == 3 {
				c["interests"] = []string{" Café ", ""} // read back normalised
			}
		}
		if i%3 == 2 {
			c["site"] = fmt.Sprintf("https://example.com/%d", i)
		}
		if i%4 == 1 {
			c["alt_email"] = fmt.Sprintf("Alt%d@Example.org", i)
		}
		if i%3 != 2 {
			c["fax"] = pick([]string{"+1 (555) 987-0000", "01 23 45 67 89", "+44 20 7946 0555"}, i)
		}
		u.Custom = c
		users = append(users, u)
	}
	return users
}

// refSearch evaluates p over users in Go: the semantics the SQL must match.
func refSearch(p *query.Plan, reg *roster.Registry, users []*roster.User) []*roster.User {
	var out []*roster.User
	for _, u := range users {
		if refMatch(p, reg, u) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *roster.User) int {
		for _, k := range p.Sort {
			c := query.CompareValues(query.SortValue(k.Field, a), query.SortValue(k.Field, b))
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(a.PublicID, b.PublicID)
	})
	return out
}

func refMatch(p *query.Plan, reg *roster.Registry, u *roster.User) bool {
	for _, w := range p.Words {
		found := false
		for _, f := range reg.Fields {
			if s, ok := u.Get(f.Key).(string); ok && f.Searchable && strings.Contains(query.FoldValue(f, s), w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, g := range p.Groups {
		if !slices.ContainsFunc(g, func(pr query.Pred) bool { return refPred(pr, u) }) {
			return false
		}
	}
	for _, pr := range p.Not {
		if refPred(pr, u) {
			return false
		}
	}
	return true
}

func refPred(pr query.Pred, u *roster.User) bool {
	v := u.Get(pr.Field.Key)
	switch pr.Kind {
	case query.KindOrdered:
		x := query.OrderedOf(pr.Field, v)
		switch pr.Op {
		case query.OpEmpty:
			return math.IsInf(x, -1)
		case query.OpNotEmpty:
			return !math.IsInf(x, -1)
		}
		return slices.ContainsFunc(pr.Ranges, func(r query.Range) bool { return r.Contains(x) })
	case query.KindText, query.KindExact:
		s, _ := v.(string)
		if pr.Kind == query.KindText {
			s = query.FoldValue(pr.Field, s)
		}
		switch pr.Op {
		case query.OpEq:
			return slices.Contains(pr.Strs, s)
		case query.OpContains:
			return slices.ContainsFunc(pr.Strs, func(w string) bool { return strings.Contains(s, w) })
		case query.OpEmpty:
			return s == ""
		case query.OpNotEmpty:
			return s != ""
		}
	case query.KindSet:
		vals, _ := v.([]string)
		var members []string
		for _, m := range vals {
			if fm := query.Fold(m); fm != "" {
				members = append(members, fm)
			}
		}
		switch pr.Op {
		case query.OpEq:
			return slices.ContainsFunc(pr.Strs, func(s string) bool { return slices.Contains(members, s) })
		case query.OpAll:
			return !slices.ContainsFunc(pr.Strs, func(s string) bool { return !slices.Contains(members, s) })
		case query.OpEmpty:
			return len(members) == 0
		case query.OpNotEmpty:
			return len(members) > 0
		}
	case query.KindPresence:
		empty := roster.IsEmpty(v)
		return empty == (pr.Op == query.OpEmpty)
	}
	panic(fmt.Sprintf("refPred: %s %s", pr.Field.Key, pr.Op))
}

func ids(users []*roster.User) []int64 {
	out := make([]int64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func cond(field string, op query.Op, vals ...string) query.Cond {
	return query.Cond{Field: field, Op: op, Values: vals, Pos: -1}
}

func not(field string, op query.Op, vals ...string) query.Cond {
	c := cond(field, op, vals...)
	c.Negate = true
	return c
}

type searchCase struct {
	name  string
	f     query.Filter
	loc   *time.Location
	check func(t *testing.T, ref []*roster.User) // sanity checks of the reference itself
}

func searchCases(users []*roster.User) []searchCase {
	words := func(w ...string) query.Filter { return query.Filter{Words: w} }
	conds := func(c ...query.Cond) query.Filter { return query.Filter{Conds: c} }
	minus5 := time.FixedZone("UTC-5", -5*3600)
	plus530 := time.FixedZone("UTC+5:30", 5*3600+1800)
	hasFirst := func(name string) func(t *testing.T, ref []*roster.User) {
		return func(t *testing.T, ref []*roster.User) {
			if !slices.ContainsFunc(ref, func(u *roster.User) bool { return u.FirstName == name }) {
				t.Errorf("reference lacks first name %q", name)
			}
		}
	}
	nonTrivial := func(t *testing.T, ref []*roster.User) {
		if len(ref) == 0 || len(ref) == len(users) {
			t.Errorf("reference selects %d of %d users: not a useful case", len(ref), len(users))
		}
	}
	return []searchCase{
		{name: "all"},
		{name: "word zoe", f: words("zoe"), check: hasFirst("Zoé")},
		{name: "word ZOË and lefèvre", f: words("ZOË", "lefèvre"), check: nonTrivial},
		{name: "word phone digits", f: words("612345"), check: nonTrivial},
		{name: "word domain", f: words("example.com"), check: nonTrivial},
		{name: "word public id", f: words(strings.ToUpper(users[7].PublicID[2:4]))}, // id may or may not be searchable
		{name: "word café in bio", f: words("CAFE"), check: nonTrivial},
		{name: "word greek", f: words("δημ"), check: hasFirst("Δημήτρης")},
		{name: "word cyrillic", f: words("АНДР"), check: hasFirst("Андрей")},
		{name: "word custom fax", f: words("555987"), check: nonTrivial},
		{name: "word custom nick", f: words("zozo"), check: nonTrivial},
		{name: "word none", f: words("qqqqzz")},
		{name: "first_name eq zoe", f: conds(cond("first_name", query.OpEq, "ZOE")), check: hasFirst("Zoë ")},
		{name: "first_name eq zoe or anna", f: conds(cond("first_name", query.OpEq, "zoe"), cond("first_name", query.OpEq, "anna")), check: nonTrivial},
		{name: "first_name eq bob (nbsp)", f: conds(cond("first_name", query.OpEq, "bob")), check: hasFirst("bob\u00a0")},
		{name: "first_name empty", f: conds(cond("first_name", query.OpEmpty)), check: nonTrivial},
		{name: "city contains par", f: conds(cond("city", query.OpContains, "par")), check: nonTrivial},
		{name: "city eq lyon (padded)", f: conds(cond("city", query.OpEq, "lyon")), check: nonTrivial},
		{name: "city eq paris or empty", f: conds(cond("city", query.OpEq, "paris"), cond("city", query.OpEmpty)), check: nonTrivial},
		{name: "city not_empty", f: conds(cond("city", query.OpNotEmpty)), check: nonTrivial},
		{name: "city contains empty string", f: conds(cond("city", query.OpContains, "x", " "))},
		{name: "email not_empty", f: conds(cond("email", query.OpNotEmpty)), check: nonTrivial},
		{name: "client_id empty", f: conds(cond("client_id", query.OpEmpty)), check: nonTrivial},
		{name: "mobile_phone eq", f: conds(cond("mobile_phone", query.OpEq, "+33 (6) 12.34.56.78")), check: nonTrivial},
		{name: "mobile_phone contains", f: conds(cond("home_phone", query.OpContains, "1234")), check: nonTrivial},
		{name: "bio eq hello", f: conds(cond("bio", query.OpEq, "HELLO")), check: nonTrivial},
		{name: "bio contains ecole", f: conds(cond("bio", query.OpContains, "ecole", "cafe")), check: nonTrivial},
		{name: "store_location eq", f: conds(cond("store_location", query.OpEq, "Paris Rivoli")), check: nonTrivial},
		{name: "app_id empty", f: conds(cond("app_id", query.OpEmpty)), check: nonTrivial},
		{name: "country eq FR DE", f: conds(cond("country", query.OpEq, "fr", "DE")), check: nonTrivial},
		{name: "country empty", f: conds(cond("country", query.OpEmpty)), check: nonTrivial},
		{name: "not country FR", f: conds(not("country", query.OpEq, "FR")), check: nonTrivial},
		{name: "status banned or pending", f: conds(cond("status", query.OpEq, "banned"), cond("status", query.OpEq, "PENDING")), check: nonTrivial},
		{name: "id eq", f: conds(cond("id", query.OpEq, users[5].PublicID, users[40].PublicID))},
		{name: "points gt 50", f: conds(cond("points", query.OpGt, "50")), check: nonTrivial},
		{name: "points le 10", f: conds(cond("points", query.OpLe, "10")), check: nonTrivial},
		{name: "points between", f: conds(cond("points", query.OpBetween, "10", "50")), check: nonTrivial},
		{name: "points eq list", f: conds(cond("points", query.OpEq, "0", "37", "74", "99")), check: nonTrivial},
		{name: "points lt 10 or gt 90", f: conds(cond("points", query.OpLt, "10"), cond("points", query.OpGt, "90")), check: nonTrivial},
		{name: "not points gt 50", f: conds(not("points", query.OpGt, "50")), check: nonTrivial},
		{name: "total_followers ge 1000", f: conds(cond("total_followers", query.OpGe, "1000")), check: nonTrivial},
		{name: "birth_date lt 1990", f: conds(cond("birth_date", query.OpLt, "1990-01-01")), check: nonTrivial},
		{name: "birth_date empty", f: conds(cond("birth_date", query.OpEmpty)), check: nonTrivial},
		{name: "birth_date not_empty", f: conds(cond("birth_date", query.OpNotEmpty)), check: nonTrivial},
		{name: "not birth_date lt 1990", f: conds(not("birth_date", query.OpLt, "1990-01-01")), check: nonTrivial},
		{name: "birth_date between", f: conds(cond("birth_date", query.OpBetween, "1980-01-01", "1999-12-31")), check: nonTrivial},
		{name: "birth_date eq", f: conds(cond("birth_date", query.OpEq, users[1].BirthDate.String())), check: nonTrivial},
		{name: "last_visit day UTC", f: conds(cond("last_visit", query.OpEq, "2025-03-01")), check: nonTrivial},
		{name: "last_visit day UTC-5", f: conds(cond("last_visit", query.OpEq, "2025-03-01")), loc: minus5, check: nonTrivial},
		{name: "last_visit day UTC+5:30", f: conds(cond("last_visit", query.OpEq, "2025-03-01")), loc: plus530, check: nonTrivial},
		{name: "last_visit ge day UTC-5", f: conds(cond("last_visit", query.OpGe, "2025-03-01")), loc: minus5, check: nonTrivial},
		{name: "last_visit lt day UTC+5:30", f: conds(cond("last_visit", query.OpLt, "2025-03-01")), loc: plus530, check: nonTrivial},
		{name: "last_visit gt day UTC-5", f: conds(cond("last_visit", query.OpGt, "2025-03-01")), loc: minus5, check: nonTrivial},
		{name: "last_visit le day UTC", f: conds(cond("last_visit", query.OpLe, "2025-03-01")), check: nonTrivial},
		{name: "last_visit gt instant (sub-ms)", f: conds(cond("last_visit", query.OpGt, "2025-03-01T12:00:00Z")), check: nonTrivial},
		{name: "last_visit le instant (sub-ms)", f: conds(cond("last_visit", query.OpLe, "2025-03-01T12:00:00Z")), check: nonTrivial},
		{name: "last_visit eq instant (sub-ms)", f: conds(cond("last_visit", query.OpEq, "2025-03-01T12:00:00.000Z"))},
		{name: "last_visit between days UTC-5", f: conds(cond("last_visit", query.OpBetween, "2025-02-28", "2025-03-01")), loc: minus5, check: nonTrivial},
		{name: "last_visit empty", f: conds(cond("last_visit", query.OpEmpty)), check: nonTrivial},
		{name: "not last_visit day", f: conds(not("last_visit", query.OpEq, "2025-03-01")), loc: minus5, check: nonTrivial},
		{name: "last_login not_empty", f: conds(cond("last_login", query.OpNotEmpty)), check: nonTrivial},
		{name: "created_at between", f: conds(cond("created_at", query.OpBetween, "2025-01-05", "2025-01-20")), check: nonTrivial},
		{name: "newsletter true", f: conds(cond("newsletter", query.OpEq, "yes")), check: nonTrivial},
		{name: "email_confirmed false", f: conds(cond("email_confirmed", query.OpEq, "false")), check: nonTrivial},
		{name: "newsletter true or false", f: conds(cond("newsletter", query.OpEq, "true", "false"))},
		{name: "not newsletter true", f: conds(not("newsletter", query.OpEq, "true")), check: nonTrivial},
		{name: "newsletter_at not_empty", f: conds(cond("newsletter_at", query.OpNotEmpty)), check: nonTrivial},
		{name: "score ge 2.5", f: conds(cond("score", query.OpGe, "2.5")), check: nonTrivial},
		{name: "score lt 0", f: conds(cond("score", query.OpLt, "0")), check: nonTrivial},
		{name: "score eq 0", f: conds(cond("score", query.OpEq, "0")), check: nonTrivial},
		{name: "score empty", f: conds(cond("score", query.OpEmpty)), check: nonTrivial},
		{name: "not score ge 3", f: conds(not("score", query.OpGe, "3")), check: nonTrivial},
		{name: "score between", f: conds(cond("score", query.OpBetween, "-1.5", "2.5")), check: nonTrivial},
		{name: "joined 2024", f: conds(cond("joined", query.OpBetween, "2024-01-01", "2024-12-31")), check: nonTrivial},
		{name: "joined gt", f: conds(cond("joined", query.OpGt, "2024-06-15")), check: nonTrivial},
		{name: "joined empty", f: conds(cond("joined", query.OpEmpty)), check: nonTrivial},
		{name: "vip false (unset too)", f: conds(cond("vip", query.OpEq, "false")), check: nonTrivial},
		{name: "vip true", f: conds(cond("vip", query.OpEq, "true")), check: nonTrivial},
		{name: "not vip true", f: conds(not("vip", query.OpEq, "true")), check: nonTrivial},
		{name: "tier eq gold", f: conds(cond("tier", query.OpEq, "GOLD")), check: nonTrivial},
		{name: "tier eq emeraude", f: conds(cond("tier", query.OpEq, "emeraude")), check: nonTrivial},
		{name: "tier empty", f: conds(cond("tier", query.OpEmpty)), check: nonTrivial},
		{name: "nick contains zo", f: conds(cond("nick", query.OpContains, "zo")), check: nonTrivial},
		{name: "nick empty", f: conds(cond("nick", query.OpEmpty)), check: nonTrivial},
		{name: "nick eq ana (padded)", f: conds(cond("nick", query.OpEq, "ana")), check: nonTrivial},
		{name: "notes contains", f: conds(cond("notes", query.OpContains, "cafe")), check: nonTrivial},
		{name: "site contains", f: conds(cond("site", query.OpContains, "example.com/1")), check: nonTrivial},
		{name: "site not_empty", f: conds(cond("site", query.OpNotEmpty)), check: nonTrivial},
		{name: "alt_email eq", f: conds(cond("alt_email", query.OpEq, "alt1@example.org")), check: nonTrivial},
		{name: "fax contains 555", f: conds(cond("fax", query.OpContains, "555")), check: nonTrivial},
		{name: "fax empty", f: conds(cond("fax", query.OpEmpty)), check: nonTrivial},
		{name: "interests eq music", f: conds(cond("interests", query.OpEq, "MUSIC")), check: nonTrivial},
		{name: "interests all music cafe", f: conds(cond("interests", query.OpAll, "music", "cafe")), check: nonTrivial},
		{name: "interests eq cafe (padded)", f: conds(cond("interests", query.OpEq, "cafe")), check: nonTrivial},
		{name: "interests empty", f: conds(cond("interests", query.OpEmpty)), check: nonTrivial},
		{name: "interests not_empty", f: conds(cond("interests", query.OpNotEmpty)), check: nonTrivial},
		{name: "not interests music", f: conds(not("interests", query.OpEq, "music")), check: nonTrivial},
		{name: "roles eq admin", f: conds(cond("roles", query.OpEq, "admin")), check: nonTrivial},
		{name: "role eq member", f: conds(cond("role", query.OpEq, "member")), check: nonTrivial},
		{name: "roles all member vip", f: conds(cond("roles", query.OpAll, "member", "vip")), check: nonTrivial},
		{name: "roles eq modérateur or vip", f: conds(cond("roles", query.OpEq, "MODERATEUR", "vip")), check: nonTrivial},
		{name: "roles empty", f: conds(cond("roles", query.OpEmpty)), check: nonTrivial},
		{name: "not roles admin", f: conds(not("roles", query.OpEq, "admin")), check: nonTrivial},
		{name: "teams not_empty", f: conds(cond("teams", query.OpNotEmpty)), check: nonTrivial},
		{name: "teams eq green (padded member)", f: conds(cond("teams", query.OpEq, "green"))},
		{name: "badges eq gold", f: conds(cond("badges", query.OpEq, "gold")), check: nonTrivial},
		{name: "addresses empty", f: conds(cond("addresses", query.OpEmpty)), check: nonTrivial},
		{name: "addresses not_empty", f: conds(cond("addresses", query.OpNotEmpty)), check: nonTrivial},
		{name: "social_links not_empty", f: conds(cond("social_links", query.OpNotEmpty)), check: nonTrivial},
		{name: "push_tokens empty", f: conds(cond("push_tokens", query.OpEmpty)), check: nonTrivial},
		{name: "not push_tokens empty", f: conds(not("push_tokens", query.OpEmpty)), check: nonTrivial},
		{name: "combined", f: query.Filter{Words: []string{"zoe"}, Conds: []query.Cond{
			cond("country", query.OpEq, "FR", "DE"), not("roles", query.OpEq, "admin"), cond("points", query.OpGe, "10"),
			not("city", query.OpEmpty), cond("vip", query.OpEq, "false"),
		}}},
		{name: "combined 2", f: query.Filter{Words: []string{"example"}, Conds: []query.Cond{
			cond("score", query.OpGt, "0"), cond("score", query.OpEmpty), not("interests", query.OpAll, "music", "cafe"),
			cond("last_visit", query.OpNotEmpty), not("birth_date", query.OpGt, "1999-01-01"),
		}}, loc: minus5, check: nonTrivial},
	}
}

var searchSorts = []string{
	"", "first_name", "-first_name", "last_name,first_name", "-points,first_name", "birth_date", "-birth_date",
	"last_visit", "-last_visit", "last_login", "-last_login", "city,-score", "score", "-score", "vip,-joined",
	"joined", "mobile_phone", "-home_phone", "country,-status", "id", "-email", "client_id", "nick", "-tier",
	"total_followers,-created_at", "newsletter,-newsletter_at", "email_confirmed,-points,city", "-fax,alt_email",
	"-site", "store_location,-app_id", "-vip,score,-birth_date", "bio,-notes", "roles,-first_name", "-addresses,-interests,city",
}

func TestUserService_Search(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := searchCtx()
		fs := sqldb.NewFieldService(db)
		for _, f := range searchCustomFields {
			if err := fs.CreateCustomField(ctx, &f); err != nil {
				t.Fatalf("create field %s: %v", f.Key, err)
			}
		}
		s := sqldb.NewUserService(db)
		if err := s.CreateUsers(ctx, searchUsers()); err != nil {
			t.Fatal(err)
		}
		reg, err := fs.Registry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var users []*roster.User
		if err := s.ScanUsers(ctx, 0, 25, func(u *roster.User) error { users = append(users, u); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(users) != 60 {
			t.Fatalf("loaded %d users", len(users))
		}
		// Sort keys are built without ParseSort: a Plan may sort on any
		// field, whatever Field.Sortable says today.
		sorts := make([][]query.SortKey, len(searchSorts))
		for i, txt := range searchSorts {
			if txt == "" {
				txt = query.DefaultSort
			}
			for _, k := range strings.Split(txt, ",") {
				f, ok := reg.Field(strings.TrimPrefix(k, "-"))
				if !ok {
					t.Fatalf("sort %q: no field %s", txt, k)
				}
				sorts[i] = append(sorts[i], query.SortKey{Field: f, Desc: strings.HasPrefix(k, "-")})
			}
		}

		run := func(t *testing.T, p *query.Plan, limit int) {
			t.Helper()
			want := refSearch(p, reg, users)
			// One page holding everything.
			res, err := s.Search(ctx, p, query.Page{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != len(want) || !slices.Equal(res.IDs, ids(want)) || res.Next != nil {
				t.Fatalf("sort %s: got total %d ids %v next %v, want total %d ids %v", query.FormatSort(p.Sort), res.Total, res.IDs, res.Next, len(want), ids(want))
			}
			// Small pages, following Next.
			var got []int64
			var after *query.After
			for pages := 0; ; pages++ {
				if pages > len(want)+1 {
					t.Fatal("pagination does not end")
				}
				res, err := s.Search(ctx, p, query.Page{Limit: limit, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if res.Total != len(want) {
					t.Fatalf("page %d: total %d, want %d", pages, res.Total, len(want))
				}
				got = append(got, res.IDs...)
				if res.Next == nil {
					break
				}
				if len(res.IDs) != limit {
					t.Fatalf("page %d: %d ids with a next page", pages, len(res.IDs))
				}
				// The cursor is the one the index would give: SortValue of the
				// last row.
				last := want[len(got)-1]
				if res.Next.ID != last.PublicID || len(res.Next.Values) != len(p.Sort) {
					t.Fatalf("next = %+v, want position of %s", res.Next, last.PublicID)
				}
				for i, k := range p.Sort {
					sv := query.SortValue(k.Field, last)
					if fmt.Sprintf("%T", sv) != fmt.Sprintf("%T", res.Next.Values[i]) || query.CompareValues(sv, res.Next.Values[i]) != 0 {
						t.Fatalf("next value of %s = %#v, want %#v", k.Field.Key, res.Next.Values[i], sv)
					}
				}
				after = res.Next
			}
			if !slices.Equal(got, ids(want)) {
				t.Fatalf("sort %s: pages gave %v, want %v", query.FormatSort(p.Sort), got, ids(want))
			}
		}

		for ci, c := range searchCases(users) {
			t.Run(c.name, func(t *testing.T) {
				loc := c.loc
				if loc == nil {
					loc = time.UTC
				}
				p, err := query.Compile(c.f, reg, loc)
				if err != nil {
					t.Fatal(err)
				}
				if c.check != nil {
					c.check(t, refSearch(p, reg, users))
				}
				for _, si := range []int{0, ci % len(sorts), (ci*7 + 3) % len(sorts)} {
					p.Sort = sorts[si]
					run(t, p, 2+ci%9)
				}
			})
		}

		t.Run("every sort", func(t *testing.T) {
			filters := []query.Filter{{}, {Words: []string{"zoe"}}, {Conds: []query.Cond{not("roles", query.OpEmpty)}}}
			if raceEnabled {
				filters = filters[:1]
			}
			for _, f := range filters {
				for _, keys := range sorts {
					p, err := query.Compile(f, reg, time.UTC)
					if err != nil {
						t.Fatal(err)
					}
					p.Sort = keys
					run(t, p, 11)
				}
			}
		})

		t.Run("time zones differ", func(t *testing.T) {
			f := query.Filter{Conds: []query.Cond{cond("last_visit", query.OpEq, "2025-03-01")}}
			var results [][]int64
			for _, loc := range []*time.Location{time.UTC, time.FixedZone("UTC-5", -5*3600), time.FixedZone("UTC+5:30", 5*3600+1800)} {
				p, err := query.Compile(f, reg, loc)
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Search(ctx, p, query.Page{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				results = append(results, res.IDs)
			}
			if slices.Equal(results[0], results[1]) || slices.Equal(results[0], results[2]) || slices.Equal(results[1], results[2]) {
				t.Errorf("the day filter ignores the time zone: %v", results)
			}
		})

		// Any position, as the index would give it, continues the order:
		// including positions on empty values, ties and descending keys.
		t.Run("every position", func(t *testing.T) {
			for _, keys := range sorts {
				p := &query.Plan{Sort: keys}
				want := refSearch(p, reg, users)
				for k, u := range want {
					// Under the race detector, every seventh position and
					// the last ones.
					if raceEnabled && k%7 != 0 && k < len(want)-3 {
						continue
					}
					a := &query.After{ID: u.PublicID}
					for _, key := range keys {
						a.Values = append(a.Values, query.SortValue(key.Field, u))
					}
					res, err := s.Search(ctx, p, query.Page{Limit: 3, After: a})
					if err != nil {
						t.Fatal(err)
					}
					end := min(k+4, len(want))
					if exp := ids(want[k+1 : min(k+4, len(want))]); !slices.Equal(res.IDs, exp) || (res.Next != nil) != (end < len(want)) {
						t.Fatalf("sort %s after #%d: got %v next %v, want %v", query.FormatSort(keys), k, res.IDs, res.Next, exp)
					}
				}
			}
		})

		t.Run("signed cursor round trip", func(t *testing.T) {
			p, err := query.Compile(query.Filter{}, reg, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			p.Sort = []query.SortKey{{Field: mustField(t, reg, "birth_date"), Desc: true}, {Field: mustField(t, reg, "score")}}
			want := ids(refSearch(p, reg, users))
			key := []byte("k")
			var got []int64
			var after *query.After
			for {
				res, err := s.Search(ctx, p, query.Page{Limit: 9, After: after})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, res.IDs...)
				if res.Next == nil {
					break
				}
				if after, err = query.DecodeCursor(key, p, query.EncodeCursor(key, p, res.Next)); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})

		t.Run("bad cursor", func(t *testing.T) {
			p := &query.Plan{Sort: sorts[4]} // -points,first_name
			for _, a := range []*query.After{
				{ID: "u_x", Values: []any{"12", "a"}},
				{ID: "u_x", Values: []any{12.5, "a"}},
				{ID: "u_x", Values: []any{12.0}},
				{ID: "u_x", Values: []any{12.0, 3.0}},
			} {
				_, err := s.Search(ctx, p, query.Page{Limit: 3, After: a})
				if roster.ErrorCode(err) != roster.EINVALID {
					t.Errorf("after %+v: err = %v, want EINVALID", a, err)
				}
			}
		})

		t.Run("default limit", func(t *testing.T) {
			res, err := s.Search(ctx, &query.Plan{}, query.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.IDs) != query.DefaultLimit || res.Next == nil || res.Total != 60 {
				t.Fatalf("got %d ids, next %v, total %d", len(res.IDs), res.Next, res.Total)
			}
		})

		t.Run("fold functions", func(t *testing.T) {
			// The SQL folding and trimming agree with Go's on the whole
			// table and every space TrimSpace trims.
			u := &roster.User{Email: "fold@example.com", Bio: "\u3000\u00a0x" + query.FoldFrom + "\u2029\v", FirstName: "\u2003Δ\u0085 ", MobilePhone: "+1 (2) 3-4"}
			if err := s.CreateUsers(ctx, []*roster.User{u}); err != nil {
				t.Fatal(err)
			}
			defer s.DeleteUser(ctx, u.PublicID)
			bio, _ := reg.Field("bio")
			compile := func(c query.Cond) *query.Plan {
				p, err := query.Compile(query.Filter{Conds: []query.Cond{c}}, reg, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			for i, p := range []*query.Plan{
				{Words: []string{query.FoldTo}},
				{Groups: [][]query.Pred{{{Field: bio, Kind: query.KindText, Op: query.OpEq, Strs: []string{"x" + query.FoldTo}}}}},
				compile(cond("first_name", query.OpEq, "δ")),
				compile(cond("mobile_phone", query.OpEq, "+1234")),
			} {
				res, err := s.Search(ctx, p, query.Page{Limit: 5})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.IDs, []int64{u.ID}) {
					t.Errorf("case %d: got %v, want [%d]", i, res.IDs, u.ID)
				}
			}
		})
	})
}

func mustField(t *testing.T, reg *roster.Registry, key string) roster.Field {
	t.Helper()
	f, ok := reg.Field(key)
	if !ok {
		t.Fatalf("no field %s", key)
	}
	return f
}

// Plans and cursors the store cannot run are refused with EINVALID, naming
// the field at fault, never as internal errors.
func TestSearch_CompileErrors(t *testing.T) {
	db := sqldbtest.MustOpenDB(t, sqldb.SQLite)
	s := sqldb.NewUserService(db)
	reg := roster.NewRegistry(nil)
	pw, country, points := mustField(t, reg, "password_hash"), mustField(t, reg, "country"), mustField(t, reg, "points")
	byPoints := []query.SortKey{{Field: points, Desc: true}}
	for _, tt := range []struct {
		name  string
		p     *query.Plan
		after *query.After
		code  string
		want  string // names the field (or the cursor)
	}{
		{name: "sort password", p: &query.Plan{Sort: []query.SortKey{{Field: pw}}}, code: roster.EINVALID, want: "password_hash: cannot be"},
		{name: "filter password", p: &query.Plan{Groups: [][]query.Pred{{{Field: pw, Kind: query.KindText, Op: query.OpEq, Strs: []string{"x"}}}}},
			code: roster.EINVALID, want: "password_hash: "},
		{name: "operator of another kind", p: &query.Plan{Not: []query.Pred{{Field: country, Kind: query.KindExact, Op: query.OpGt}}},
			code: roster.EINVALID, want: "country: the operator gt is not available"},
		{name: "cursor of another sort", p: &query.Plan{Sort: byPoints}, after: &query.After{ID: "u_1", Values: []any{"ten"}},
			code: roster.EINVALID, want: "cursor"},
		{name: "cursor with too many values", p: &query.Plan{Sort: byPoints}, after: &query.After{ID: "u_1", Values: []any{1.0, 2.0}},
			code: roster.EINVALID, want: "cursor"},
	} {
		_, err := s.Search(searchCtx(), tt.p, query.Page{After: tt.after})
		if code := roster.ErrorCode(err); code != tt.code {
			t.Errorf("%s: code %q (%v), want %q", tt.name, code, err, tt.code)
		}
		if msg := roster.ErrorMessage(err); !strings.Contains(msg, tt.want) {
			t.Errorf("%s: message %q, want it to name %q", tt.name, msg, tt.want)
		}
		if tt.after != nil {
			continue
		}
		_, err = s.Match(searchCtx(), tt.p)
		if code, msg := roster.ErrorCode(err), roster.ErrorMessage(err); code != tt.code || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: match: %q %q, want %q naming %q", tt.name, code, msg, tt.code, tt.want)
		}
	}
}
