package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

type eventsAnswer struct {
	Accepted int `json:"accepted"`
	Stored   int `json:"stored"`
	Results  []struct {
		Index int `json:"index"`
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	} `json:"results"`
}

type activityAnswer struct {
	Items []struct {
		At     time.Time `json:"at"`
		Kind   string    `json:"kind"`
		Title  string    `json:"title"`
		Detail string    `json:"detail"`
		Actor  string    `json:"actor"`
	} `json:"items"`
	Next string `json:"next_cursor"`
}

func (ts *testServer) sendEvents(t *testing.T, events ...string) eventsAnswer {
	t.Helper()
	st, body := ts.do(t, roster.RoleSupport, "POST", "/api/v1/events", `{"events":[`+strings.Join(events, ",")+`]}`)
	if st != http.StatusOK {
		t.Fatalf("events: %d %s", st, body)
	}
	var a eventsAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("events answer: %v: %s", err, body)
	}
	return a
}

func TestAPI_Events(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"zoe@example.com","client_id":"app-7"}`)
		now := time.Now().UTC().Truncate(time.Second)
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

		a := ts.sendEvents(t,
			`{"user":{"id":"`+id+`"},"type":"visit","time":"`+at(-time.Hour)+`","id":"e1"}`,
			`{"user":{"email":"ZOE@example.com"},"type":"interaction","time":"`+at(-30*time.Minute)+`","id":"e2","properties":{"kind":"comment"}}`,
			`{"user":{"client_id":"app-7"},"type":"page_view","id":"e3","properties":{"path":"/shop","feature":"cart"}}`,
			`{"user":{"id":"u_nobody"},"type":"visit","id":"e4"}`,
			`{"user":{"id":"`+id+`"},"type":"visit","time":"yesterday","id":"e5"}`,
			`{"user":{"id":"`+id+`"},"type":"visit","id":"e6","properties":{"big":"`+strings.Repeat("x", roster.MaxEventProps)+`"}}`,
			`{"user":{"id":"`+id+`"},"type":"visit","id":"e7","colour":"red"}`,
			`"not an event"`,
			`{"user":{"id":"`+id+`"},"type":"visit","time":"`+at(10*24*time.Hour)+`","id":"e9"}`,
			`{"user":{"id":"`+id+`"},"type":"visit","id":"e10","properties":{"x":"a\u0000b"}}`,
		)
		if a.Accepted != 3 || a.Stored != 3 {
			t.Errorf("accepted %d stored %d, want 3 and 3: %+v", a.Accepted, a.Stored, a)
		}
		want := map[int]string{3: "user", 4: "time", 5: "properties", 6: "colour", 7: "", 8: "time", 9: "properties"}
		if len(a.Results) != len(want) {
			t.Fatalf("results: %+v", a.Results)
		}
		for i, r := range a.Results {
			field, ok := want[r.Index]
			if !ok || r.Error.Code != roster.EINVALID || (field != "" && r.Error.Fields[field] == "") {
				t.Errorf("result %d: %+v, want a refusal naming %q", i, r, field)
			}
			if i > 0 && a.Results[i-1].Index >= r.Index {
				t.Errorf("results out of order: %+v", a.Results)
			}
		}

		// The user's times moved at once; staff cannot type them.
		var u struct {
			LastVisit       *time.Time `json:"last_visit"`
			LastInteraction *time.Time `json:"last_interaction"`
			FirstSeen       *time.Time `json:"first_seen"`
		}
		_, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users/"+id, "")
		json.Unmarshal([]byte(body), &u)
		if u.LastVisit == nil || now.Sub(*u.LastVisit) > time.Minute || u.LastInteraction == nil || !u.LastInteraction.Equal(now.Add(-30*time.Minute)) ||
			u.FirstSeen == nil || !u.FirstSeen.Equal(now.Add(-time.Hour)) {
			t.Errorf("after events: %s", body)
		}
		st, body := ts.do(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, `{"last_visit":"2020-01-01T00:00:00Z"}`)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "read-only") {
			t.Errorf("staff set last_visit: %d %s", st, body)
		}
		// last_visit filters see the event at once.
		if _, sb, _ := ts.search(t, map[string][]string{"q": {"last_visit:>" + now.Add(-10*time.Minute).Format(time.RFC3339)}}); len(sb.Users) != 1 {
			t.Errorf("last_visit filter: %v", emails(sb))
		}

		// A retry counts nothing twice.
		a = ts.sendEvents(t, `{"user":{"id":"`+id+`"},"type":"visit","time":"`+at(-time.Hour)+`","id":"e1"}`)
		if a.Accepted != 1 || a.Stored != 0 {
			t.Errorf("retry: %+v", a)
		}

		// Malformed batches are refused whole.
		for _, tc := range []struct {
			body string
			st   int
		}{
			{`{"events":`, http.StatusBadRequest},
			{`{}`, http.StatusUnprocessableEntity},
			{`{"events":[` + strings.TrimSuffix(strings.Repeat(`{"type":"visit"},`, roster.MaxEventBatch+1), ",") + `]}`, http.StatusUnprocessableEntity},
		} {
			if st, body := ts.do(t, roster.RoleSupport, "POST", "/api/v1/events", tc.body); st != tc.st {
				t.Errorf("%.40s: %d %s, want %d", tc.body, st, body, tc.st)
			}
		}
		// A viewer may not send events.
		if st, _ := ts.do(t, roster.RoleViewer, "POST", "/api/v1/events", `{"events":[]}`); st != http.StatusForbidden {
			t.Errorf("viewer: %d", st)
		}
		// Settings: restricted types, and bad values named.
		if st, body := ts.do(t, roster.RoleAdmin, "PUT", "/api/v1/settings/events", `{"restrict_types":true,"custom_types":["purchase"]}`); st != http.StatusOK {
			t.Fatalf("settings: %d %s", st, body)
		}
		a = ts.sendEvents(t, `{"user":{"id":"`+id+`"},"type":"purchase"}`, `{"user":{"id":"`+id+`"},"type":"refund"}`)
		if a.Accepted != 1 || len(a.Results) != 1 || a.Results[0].Error.Fields["type"] == "" {
			t.Errorf("restricted: %+v", a)
		}
		if st, body := ts.do(t, roster.RoleAdmin, "PUT", "/api/v1/settings/events", `{"visit_types":["Not A Type"]}`); st != http.StatusUnprocessableEntity || !strings.Contains(body, "visit_types") {
			t.Errorf("bad settings: %d %s", st, body)
		}
	})
}

func TestAPI_Timeline(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		id := ts.createUser(t, `{"email":"ann@example.com","city":"Paris"}`)
		ts.call(t, roster.RoleAdmin, "PATCH", "/api/v1/users/"+id, `{"city":"Lyon"}`, http.StatusOK)
		base := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Minute)
		var evs []string
		// Three sessions of four page views, 10 minutes apart within a
		// session and 2 hours apart between them, an error in the middle
		// one, and 60 interactions at one millisecond (ties across pages).
		for s := 0; s < 3; s++ {
			for p := 0; p < 4; p++ {
				t0 := base.Add(time.Duration(s)*2*time.Hour + time.Duration(p)*10*time.Minute)
				evs = append(evs, fmt.Sprintf(`{"user":{"id":%q},"type":"page_view","time":%q,"id":"s%dp%d","properties":{"path":"/p%d","feature":"f%d"}}`, id, t0.Format(time.RFC3339), s, p, p, s))
			}
		}
		evs = append(evs, fmt.Sprintf(`{"user":{"id":%q},"type":"error","time":%q,"id":"err","properties":{"message":"boom","code":"E42"}}`, id, base.Add(2*time.Hour+15*time.Minute).Format(time.RFC3339)))
		tie := base.Add(-24 * time.Hour).Format(time.RFC3339)
		for i := 0; i < 60; i++ {
			evs = append(evs, fmt.Sprintf(`{"user":{"id":%q},"type":"interaction","time":%q,"id":"i%02d","properties":{"kind":"like"}}`, id, tie, i))
		}
		if a := ts.sendEvents(t, evs...); a.Stored != len(evs) {
			t.Fatalf("%+v", a)
		}
		get := func(q string) activityAnswer {
			t.Helper()
			st, body := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users/"+id+"/activity?"+q, "")
			if st != http.StatusOK {
				t.Fatalf("activity %s: %d %s", q, st, body)
			}
			var a activityAnswer
			json.Unmarshal([]byte(body), &a)
			return a
		}
		first := get("")
		if len(first.Items) < 5 {
			t.Fatalf("first page: %+v", first)
		}
		// Newest first: the staff actions (update, create), then the
		// sessions by their last event (so the middle one comes before
		// the error within it), the first session.
		kinds := []string{}
		for _, it := range first.Items[:6] {
			kinds = append(kinds, it.Kind)
		}
		if strings.Join(kinds, ",") != "staff,staff,visit,visit,event,visit" {
			t.Errorf("first page kinds: %v", kinds)
		}
		if it := first.Items[0]; it.Title != "user.update" || !strings.Contains(it.Detail, "city: Paris → Lyon") || it.Actor != "admin@staff.example.com" {
			t.Errorf("staff action: %+v", it)
		}
		if it := first.Items[2]; !strings.Contains(it.Title, "4 events over 30 minutes") || !strings.Contains(it.Detail, "/p0, /p1, /p2, /p3") || !strings.Contains(it.Detail, "f2") {
			t.Errorf("session: %+v", it)
		}
		if it := first.Items[4]; it.Title != "Error" || !strings.Contains(it.Detail, "boom") {
			t.Errorf("error: %+v", it)
		}

		// Small pages walk everything once, ties included.
		seen := map[string]int{}
		n, cursor := 0, ""
		for pages := 0; pages < 100; pages++ {
			a := get("limit=7&cursor=" + cursor)
			for _, it := range a.Items {
				seen[it.Kind]++
				n++
			}
			if a.Next == "" {
				break
			}
			cursor = a.Next
		}
		if n != 2+3+1+60 || seen["visit"] != 3 || seen["event"] != 61 || seen["staff"] != 2 {
			t.Errorf("walk: %d items %v", n, seen)
		}

		// The kind filter.
		staff := get("kind=staff")
		if len(staff.Items) != 2 || staff.Next != "" {
			t.Errorf("kind=staff: %+v", staff)
		}
		visits := get("kind=visit&limit=2")
		if len(visits.Items) != 2 || visits.Next == "" {
			t.Errorf("kind=visit: %+v", visits)
		}
		for _, q := range []string{"kind=nonsense", "cursor=zzz", "limit=0"} {
			if st, _ := ts.do(t, roster.RoleViewer, "GET", "/api/v1/users/"+id+"/activity?"+q, ""); st != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", q, st)
			}
		}

		// The profile's Activity tab: days, the session, Last access.
		b := newBrowser(t, ts)
		b.signIn(roster.RoleSupport, "/")
		page := b.get("/users/" + id + "/activity")
		wantContains(t, "activity tab", page.Body, `class="timeline-day"`, "4 events over 30 minutes", "user.update", "Older activity")
		prof := b.get("/users/" + id)
		wantContains(t, "profile", prof.Body, `id="last-access" href="/users/`+id+`/activity"`)
	})
}
