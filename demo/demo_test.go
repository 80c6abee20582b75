package demo

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"roster"
)

var testNow = time.Date(2026, 6, 1, 9, 30, 15, 500, time.UTC)

func TestDeterministic(t *testing.T) {
	a, b := New(42, testNow), New(42, testNow)
	const n = 3000
	us := make([]*roster.User, n)
	for i := range n {
		us[i] = a.User(i)
	}
	for i := n - 1; i >= 0; i-- { // another generator, another order
		if u := b.User(i); !reflect.DeepEqual(u, us[i]) {
			t.Fatalf("user %d differs:\n%+v\n%+v", i, u, us[i])
		}
	}
	if u := a.User(17); !reflect.DeepEqual(u, us[17]) {
		t.Fatal("user 17 differs on a second call")
	}
	c := New(43, testNow)
	same := 0
	for i := range n {
		u := c.User(i)
		if u.ClientID == us[i].ClientID {
			t.Fatalf("user %d has the same client id with another seed", i)
		}
		if u.Email == us[i].Email || reflect.DeepEqual(u, us[i]) {
			same++
		}
	}
	if same > n/100 {
		t.Errorf("%d of %d users are the same with another seed", same, n)
	}
}

func TestConcurrent(t *testing.T) {
	g := New(9, testNow)
	const n, workers = 400, 4
	want := make([]*roster.User, n)
	for i := range n {
		want[i] = New(9, testNow).User(i)
	}
	var wg sync.WaitGroup
	errs := make(chan int, workers*n)
	for w := range workers {
		wg.Go(func() {
			for i := n - 1 - w; i >= 0; i-- {
				if !reflect.DeepEqual(g.User(i), want[i]) {
					errs <- i
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for i := range errs {
		t.Errorf("user %d differs when made concurrently", i)
	}
}

func TestUnique(t *testing.T) {
	const n = 200_000
	g := New(7, testNow)
	emails := make(map[string]int, n)
	ids := make(map[string]int, n)
	for i := range n {
		u := g.User(i)
		if j, ok := emails[u.Email]; ok {
			t.Fatalf("users %d and %d share email %s", j, i, u.Email)
		}
		if j, ok := ids[u.ClientID]; ok {
			t.Fatalf("users %d and %d share client id %s", j, i, u.ClientID)
		}
		emails[u.Email], ids[u.ClientID] = i, i
	}
}

func TestValid(t *testing.T) {
	reg := roster.NewRegistry(nil)
	g := New(1, testNow)
	now := testNow.Truncate(time.Second)
	for i := range 20_000 {
		u := g.User(i)
		if err := u.Validate(reg, testNow, true, nil); err != nil {
			t.Fatalf("user %d: %v\n%+v", i, err, u)
		}
		n := *u
		n.Normalize()
		if !reflect.DeepEqual(&n, u) {
			t.Fatalf("user %d is not normalized:\n%+v\n%+v", i, u, &n)
		}
		if u.ID != 0 || u.PublicID != "" || !u.UpdatedAt.IsZero() || u.PasswordHash != "" || u.Custom != nil {
			t.Fatalf("user %d sets a field the store owns: %+v", i, u)
		}
		if u.Email != strings.ToLower(u.Email) || !roster.ValidEmail(u.Email) {
			t.Fatalf("user %d: bad email %q", i, u.Email)
		}
		if !strings.HasPrefix(u.ClientID, "sso_") || len(u.ClientID) != 16 {
			t.Fatalf("user %d: bad client id %q", i, u.ClientID)
		}
		for _, s := range []string{u.ClientID, u.AppID, u.StripeID, u.FirstName, u.LastName, u.MobilePhone,
			u.HomePhone, u.Bio, u.City, u.ProfileImageURL, u.CoverImageURL, u.StoreLocation} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n") || utf8.RuneCountInString(s) > 255 || strings.TrimSpace(s) != s {
				t.Fatalf("user %d: bad text %q", i, s)
			}
		}
		if u.FirstName == "" || u.LastName == "" || u.City == "" || u.Country == "" {
			t.Fatalf("user %d lacks a name or place: %+v", i, u)
		}
		for _, a := range u.Addresses {
			if a.City != u.City || a.Country != u.Country || a.Line1 == "" {
				t.Fatalf("user %d: bad address %+v", i, a)
			}
		}
		times := []time.Time{u.CreatedAt, u.LastVisit, u.LastLogin, u.LastInteraction, u.NewsletterAt}
		for _, tm := range times {
			if tm.IsZero() {
				continue
			}
			if tm.Location() != time.UTC || tm.Nanosecond() != 0 || tm.After(now) || tm.Before(u.CreatedAt) {
				t.Fatalf("user %d: time %v out of range (created %v)", i, tm, u.CreatedAt)
			}
		}
		if u.CreatedAt.IsZero() || u.CreatedAt.Before(testNow.AddDate(-5, 0, -1)) {
			t.Fatalf("user %d: created %v", i, u.CreatedAt)
		}
		if u.LastVisit.IsZero() != u.LastLogin.IsZero() {
			t.Fatalf("user %d: last visit %v but last login %v", i, u.LastVisit, u.LastLogin)
		}
		if u.Newsletter == u.NewsletterAt.IsZero() {
			t.Fatalf("user %d: newsletter %v at %v", i, u.Newsletter, u.NewsletterAt)
		}
		if !u.BirthDate.IsZero() {
			b := u.BirthDate.In(time.UTC)
			if b.After(testNow.AddDate(-16, 0, 0)) || b.Before(testNow.AddDate(-81, 0, 0)) {
				t.Fatalf("user %d: born %v", i, u.BirthDate)
			}
		}
		if len(u.Roles) == 0 || u.Roles[0] != "member" || len(u.Badges) > 4 || len(u.Missions) > 5 || len(u.Teams) > 2 {
			t.Fatalf("user %d: roles %v badges %v missions %v teams %v", i, u.Roles, u.Badges, u.Missions, u.Teams)
		}
		if u.Points > maxPoints || u.TotalFollowers() > 3*maxFollower {
			t.Fatalf("user %d: points %d followers %d", i, u.Points, u.TotalFollowers())
		}
	}
}

func TestDistributions(t *testing.T) {
	const n = 100_000
	g := New(2025, testNow)
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	count := map[string]int{}
	countries := map[string]int{}
	scripts := map[string]bool{}
	var frbeMarchRich int
	for i := range n {
		u := g.User(i)
		count[string(u.Status)]++
		countries[u.Country]++
		add := func(key string, ok bool) {
			if ok {
				count[key]++
			}
		}
		add("confirmed", u.EmailConfirmed)
		add("mobile", u.MobilePhone != "")
		add("home", u.HomePhone != "")
		add("bio", u.Bio != "")
		add("birth", !u.BirthDate.IsZero())
		add("address", len(u.Addresses) > 0)
		add("avatar", u.ProfileImageURL != "")
		add("cover", u.CoverImageURL != "")
		add("links", len(u.SocialLinks) > 0)
		add("store", u.StoreLocation != "")
		add("teams", len(u.Teams) > 0)
		add("push", len(u.PushTokens) > 0)
		add("stripe", u.StripeID != "")
		add("never", u.LastVisit.IsZero())
		add("nointeraction", u.LastInteraction.IsZero())
		add("newsletter", u.Newsletter)
		add("points<=100", u.Points <= 100)
		add("points>5000", u.Points > 5000)
		add("noinstagram", u.InstagramFollowers == 0)
		add("million", u.TotalFollowers() >= 1_000_000)
		add("lastyear", u.CreatedAt.After(testNow.AddDate(-1, 0, 0)))
		add("firstyear", u.CreatedAt.Before(testNow.AddDate(-4, 0, 0)))
		if (u.Country == "FR" || u.Country == "BE") && u.Points > 5000 &&
			!u.CreatedAt.Before(march) && u.CreatedAt.Before(march.AddDate(0, 1, 0)) {
			frbeMarchRich++
		}
		name := u.FirstName + u.LastName
		for _, r := range name {
			if r >= utf8.RuneSelf {
				count["unicode"]++
				break
			}
		}
		for s, tab := range map[string]*unicode.RangeTable{"Cyrillic": unicode.Cyrillic, "Greek": unicode.Greek,
			"Han": unicode.Han, "Hangul": unicode.Hangul, "Hiragana": unicode.Hiragana, "Arabic": unicode.Arabic,
			"Devanagari": unicode.Devanagari} {
			if !scripts[s] && strings.IndexFunc(name, func(r rune) bool { return unicode.Is(tab, r) }) >= 0 {
				scripts[s] = true
			}
		}
	}
	share := func(key string, lo, hi float64) {
		t.Helper()
		if s := float64(count[key]) / n; s < lo || s > hi {
			t.Errorf("%s: share %.3f, want %.2f..%.2f", key, s, lo, hi)
		}
	}
	share("active", 0.88, 0.92)
	share("banned", 0.03, 0.05)
	share("invited", 0.02, 0.04)
	share("pending", 0.02, 0.04)
	share("confirmed", 0.82, 0.88)
	share("mobile", 0.88, 0.92)
	share("home", 0.18, 0.22)
	share("bio", 0.38, 0.42)
	share("birth", 0.83, 0.87)
	share("address", 0.23, 0.27)
	share("avatar", 0.58, 0.62)
	share("cover", 0.18, 0.22)
	share("links", 0.18, 0.26)
	share("store", 0.28, 0.32)
	share("teams", 0.13, 0.17)
	share("push", 0.38, 0.42)
	share("stripe", 0.26, 0.32)
	share("never", 0.04, 0.06)
	share("nointeraction", 0.13, 0.17)
	share("newsletter", 0.43, 0.47)
	share("points<=100", 0.58, 0.66)
	share("points>5000", 0.03, 0.06)
	share("noinstagram", 0.7, 0.8)
	share("million", 0.0001, 0.01)
	share("unicode", 0.2, 0.5)
	if count["lastyear"] <= count["firstyear"] {
		t.Errorf("%d signups in the last year, %d in the first: want growth", count["lastyear"], count["firstyear"])
	}
	if frbeMarchRich < 5 {
		t.Errorf("%d users in FR or BE with > 5000 points registered in March 2025, want some", frbeMarchRich)
	}
	for s := range map[string]bool{"Cyrillic": true, "Greek": true, "Han": true, "Hangul": true, "Hiragana": true, "Arabic": true, "Devanagari": true} {
		if !scripts[s] {
			t.Errorf("no name in %s script", s)
		}
	}
	if len(countries) < 30 {
		t.Errorf("%d countries, want at least 30", len(countries))
	}
	for _, c := range []string{"BE", "US", "GB", "DE"} {
		if countries[c] < n/20 || countries[c] > countries["FR"] {
			t.Errorf("%s has %d users (FR %d), want a populous country after FR", c, countries[c], countries["FR"])
		}
	}
	t.Logf("FR/BE, >5000 points, March 2025: %d; countries: %d; shares: %v", frbeMarchRich, len(countries), count)
}

func TestData(t *testing.T) {
	tb := loadTables()
	seen := map[string]bool{}
	for _, c := range tb.countries {
		if _, ok := roster.CountryName(c.code); !ok || seen[c.code] {
			t.Errorf("country %q is unknown or listed twice", c.code)
		}
		seen[c.code] = true
		if len(c.cities) < 3 || len(c.streets) == 0 || len(c.domains) == 0 || len(c.mobile) == 0 || len(c.home) == 0 {
			t.Errorf("%s: %d cities, %d streets, %d domains, %d mobile, %d home patterns",
				c.code, len(c.cities), len(c.streets), len(c.domains), len(c.mobile), len(c.home))
		}
		for _, d := range c.domains {
			if !roster.ValidEmail("a@"+d) || d != strings.ToLower(d) {
				t.Errorf("%s: bad domain %q", c.code, d)
			}
		}
		var r rng
		for _, p := range append(append([]string{}, c.mobile...), c.home...) {
			if ph := pattern(nil, &r, p); !roster.ValidPhone(ph) || !strings.HasPrefix(ph, "+") {
				t.Errorf("%s: bad phone pattern %q", c.code, p)
			}
		}
		for _, ci := range c.cities {
			if ci.name == "" || len(ci.stores) == 0 {
				t.Errorf("%s: bad city %+v", c.code, ci)
			}
		}
		check := func(list []name) {
			if c.nativeShare > 0 && len(list) == 0 {
				t.Errorf("%s: empty name list", c.code)
			}
			for _, nm := range list {
				if nm.text == "" || nm.key == "" || strings.TrimSpace(nm.text) != nm.text {
					t.Errorf("%s: bad name %+v", c.code, nm)
				}
				for _, r := range nm.key {
					if r < 'a' || r > 'z' {
						t.Errorf("%s: bad key %+v", c.code, nm)
					}
				}
			}
		}
		for _, lists := range [][2][]name{c.first, c.nFirst} {
			check(lists[0])
			check(lists[1])
		}
		for _, lasts := range [][]lastName{c.last, c.nLast} {
			for _, l := range lasts {
				check([]name{l.m, l.f})
			}
		}
	}
	if len(tb.countries) < 25 {
		t.Errorf("%d countries, want at least 25", len(tb.countries))
	}
	for _, set := range [][]string{teamNames, badgeNames, missionNames} {
		seen := map[string]bool{}
		for _, s := range set {
			if s == "" || seen[s] {
				t.Errorf("bad or repeated set item %q", s)
			}
			seen[s] = true
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Zoé": "zoe", "Hélène": "helene", "Lefèvre": "lefevre", "Jürgen": "jurgen", "Müller": "muller",
		"Weiß": "weiss", "Muñoz": "munoz", "Łukasz": "lukasz", "Wójcik": "wojcik", "Çağla": "cagla",
		"Yılmaz": "yilmaz", "İrem": "irem", "O'Connor": "oconnor", "van den Berg": "vandenberg",
		"Jean-François": "jeanfrancois", "Åkesson": "akesson", "Ó Briain": "obriain",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

var sink *roster.User

func BenchmarkUser(b *testing.B) {
	g := New(1, testNow)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sink = g.User(i)
	}
}

func TestLiving(t *testing.T) {
	g := New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	notes, tasks := 0, 0
	for i := range 200 {
		balance := int64(i % 7)
		l := g.Living(i, balance)
		if len(l.Points) < 2 {
			t.Fatalf("user %d: %d points changes", i, len(l.Points))
		}
		for _, c := range l.Points {
			c.Normalize()
			if err := c.Validate(); err != nil {
				t.Fatalf("user %d: %+v: %v", i, c, err)
			}
			if balance += c.Amount; balance < 0 {
				t.Fatalf("user %d: balance below zero", i)
			}
		}
		for _, n := range l.Notes {
			if err := n.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		notes, tasks = notes+len(l.Notes), tasks+len(l.Tasks)
		if again := g.Living(i, int64(i%7)); len(again.Points) != len(l.Points) || again.Points[0] != l.Points[0] {
			t.Fatalf("user %d: not deterministic", i)
		}
	}
	if notes < 100 || tasks < 100 {
		t.Errorf("%d notes and %d tasks for 200 users: too few to show", notes, tasks)
	}
}

func TestEvents(t *testing.T) {
	g := New(1, testNow)
	set := roster.DefaultEventSettings()
	some := 0
	for i := range 300 {
		u := g.User(i)
		u.ID, u.PublicID = int64(i+1), fmt.Sprintf("u_%d", i)
		evs := Events(u)
		if len(evs) > 0 {
			some++
		}
		var visit, inter time.Time
		keys := map[string]bool{}
		for _, e := range evs {
			if err := set.Check(&e, testNow); err != nil {
				t.Fatalf("user %d: %v", i, err)
			}
			if e.At.Before(u.CreatedAt) {
				t.Errorf("user %d: an event at %v before they were created (%v)", i, e.At, u.CreatedAt)
			}
			if keys[e.Key] {
				t.Errorf("user %d: key %s twice", i, e.Key)
			}
			keys[e.Key] = true
			if set.IsVisit(e.Type) && e.At.After(visit) {
				visit = e.At
			}
			if set.IsInteraction(e.Type) && e.At.After(inter) {
				inter = e.At
			}
		}
		// The events agree with the user's times: they move nothing.
		if len(evs) > 0 && (visit.After(u.LastVisit) || !inter.Equal(u.LastInteraction)) {
			t.Errorf("user %d: events end at visit %v interaction %v; the user says %v and %v", i, visit, inter, u.LastVisit, u.LastInteraction)
		}
		if again := Events(u); fmt.Sprint(again) != fmt.Sprint(evs) {
			t.Errorf("user %d: events differ from one call to the next", i)
		}
	}
	if some < 100 {
		t.Errorf("only %d of 300 users have events", some)
	}
}
