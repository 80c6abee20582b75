package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// The events benchmarks (go test -run '^$' -bench Events ./web): ingest
// over HTTP, a timeline page of a user with 100,000 events, and the space
// events take. Each runs on SQLite and, with ROSTER_TEST_DATABASE_URL, on
// PostgreSQL.

func benchDBs(b *testing.B, fn func(b *testing.B, d sqldb.Dialect)) {
	for _, d := range sqldbtest.Dialects {
		b.Run(d.String(), func(b *testing.B) { fn(b, d) })
	}
}

// benchUsers creates n users and returns their public ids.
func benchUsers(b *testing.B, db *sqldb.DB, n int) []string {
	ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "bench"})
	users := make([]*roster.User, n)
	for i := range users {
		users[i] = &roster.User{Email: fmt.Sprintf("u%06d@example.com", i)}
	}
	for i := 0; i < n; i += 1000 {
		if err := sqldb.NewUserService(db).CreateUsers(ctx, users[i:min(i+1000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, n)
	for i, u := range users {
		ids[i] = u.PublicID
	}
	return ids
}

func benchPost(b *testing.B, ts *testServer, path, body string) string {
	req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ts.Tokens[roster.RoleSupport])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return ""
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Errorf("%s: %d %s", path, resp.StatusCode, out)
	}
	return string(out)
}

// BenchmarkEventsIngest sends batches of 1,000 events from 4 clients over
// HTTP to 10,000 users, while a fifth client filters the table on
// last_visit; it reports events/s and the filter's median and worst time.
func BenchmarkEventsIngest(b *testing.B) {
	benchDBs(b, func(b *testing.B, d sqldb.Dialect) {
		db := sqldbtest.MustOpenDB(b, d)
		ids := benchUsers(b, db, 10000)
		ts := mustOpenServer(b, db)
		var seq atomic.Int64
		batch := func() string {
			n := seq.Add(1) - 1
			now := time.Now().UTC()
			var sb strings.Builder
			sb.WriteString(`{"events":[`)
			for i := range 1000 {
				if i > 0 {
					sb.WriteByte(',')
				}
				k := n*1000 + int64(i)
				typ := "page_view"
				if k%5 == 0 {
					typ = "interaction"
				}
				fmt.Fprintf(&sb, `{"user":{"id":%q},"type":%q,"time":%q,"id":"b%d","properties":{"path":"/p%d","title":"Page %d"}}`,
					ids[(k*7919)%int64(len(ids))], typ, now.Add(-time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), k, k%50, k%50)
			}
			sb.WriteString(`]}`)
			return sb.String()
		}
		var lat []time.Duration
		stop := make(chan struct{})
		var filters sync.WaitGroup
		filters.Add(1)
		go func() {
			defer filters.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := url.Values{"q": {"last_visit:>" + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}, "limit": {"50"}}
				req, _ := http.NewRequest("GET", ts.URL+"/api/v1/users?"+q.Encode(), nil)
				req.Header.Set("Authorization", "Bearer "+ts.Tokens[roster.RoleViewer])
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat = append(lat, time.Since(start))
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		var left atomic.Int64
		left.Store(int64(b.N))
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for left.Add(-1) >= 0 {
					body := batch()
					if out := benchPost(b, ts, "/api/v1/events", body); !strings.Contains(out, `"accepted":1000`) {
						b.Errorf("batch: %.200s", out)
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		b.StopTimer()
		close(stop)
		filters.Wait()
		b.ReportMetric(float64(b.N*1000)/took.Seconds(), "events/s")
		if len(lat) > 0 {
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "filter-p50-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "filter-max-ms")
		}
	})
}

// timelineEvents records n events of one user: sessions of ten page
// views a minute apart, three hours apart, with an interaction in each.
func timelineEvents(b *testing.B, db *sqldb.DB, id string, n int) {
	ctx := context.Background()
	es := sqldb.NewEventService(db)
	start := time.Now().UTC().Add(-time.Duration(n/11) * 3 * time.Hour)
	evs := make([]roster.Event, 0, 1000)
	for i := range n {
		s, p := i/11, i%11
		at := start.Add(time.Duration(s)*3*time.Hour + time.Duration(p)*time.Minute)
		e := roster.Event{User: roster.EventUser{ID: id}, Type: "page_view", At: at, Key: "t" + strconv.Itoa(i),
			Props: []byte(fmt.Sprintf(`{"path":"/p%d","feature":"f%d"}`, p, s%5))}
		if p == 10 {
			e.Type, e.Props = "interaction", []byte(`{"kind":"like"}`)
		}
		evs = append(evs, e)
		if len(evs) == cap(evs) || i == n-1 {
			if res, err := es.RecordEvents(ctx, evs); err != nil || res.Accepted != len(evs) {
				b.Fatalf("%+v %v", res.Refused[:min(3, len(res.Refused))], err)
			}
			evs = evs[:0]
		}
	}
}

// BenchmarkEventsTimelinePage answers a page (50 items) of the timeline of
// a user with 100,000 events: the first page, and a page 200 pages deep
// by cursor.
func BenchmarkEventsTimelinePage(b *testing.B) {
	benchDBs(b, func(b *testing.B, d sqldb.Dialect) {
		db := sqldbtest.MustOpenDB(b, d)
		ids := benchUsers(b, db, 1)
		timelineEvents(b, db, ids[0], 100000)
		ts := mustOpenServer(b, db)
		get := func(cursor string) string {
			req, _ := http.NewRequest("GET", ts.URL+"/api/v1/users/"+ids[0]+"/activity?cursor="+cursor, nil)
			req.Header.Set("Authorization", "Bearer "+ts.Tokens[roster.RoleViewer])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("%d %s", resp.StatusCode, out)
			}
			return string(out)
		}
		cursor := ""
		for range 200 {
			out := get(cursor)
			i := strings.Index(out, `"next_cursor":"`)
			if i < 0 {
				b.Fatal("no next cursor")
			}
			cursor = out[i+len(`"next_cursor":"`):]
			cursor = cursor[:strings.IndexByte(cursor, '"')]
		}
		for _, tc := range []struct{ name, cursor string }{{"first", ""}, {"deep", cursor}} {
			b.Run(tc.name, func(b *testing.B) {
				for b.Loop() {
					get(tc.cursor)
				}
			})
		}
	})
}

// BenchmarkEventsStorage stores ROSTER_BENCH_EVENTS events (default
// 1,000,000) over 10,000 users and reports the bytes they take per event
// and the size of 10,000,000 at that rate.
func BenchmarkEventsStorage(b *testing.B) {
	n := 1000000
	if v, err := strconv.Atoi(os.Getenv("ROSTER_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	benchDBs(b, func(b *testing.B, d sqldb.Dialect) {
		for b.Loop() {
			db := sqldbtest.MustOpenDB(b, d)
			ids := benchUsers(b, db, 10000)
			es := sqldb.NewEventService(db)
			ctx := context.Background()
			start := time.Now().UTC().Add(-300 * 24 * time.Hour)
			evs := make([]roster.Event, 0, 1000)
			t0 := time.Now()
			for i := range n {
				e := roster.Event{User: roster.EventUser{ID: ids[(i*7919)%len(ids)]}, Type: "page_view",
					At: start.Add(time.Duration(i) * 300 * 24 * time.Hour / time.Duration(n)), Key: "s" + strconv.Itoa(i),
					Props: []byte(fmt.Sprintf(`{"path":"/p%d","title":"Page %d"}`, i%50, i%50))}
				evs = append(evs, e)
				if len(evs) == cap(evs) {
					if _, err := es.RecordEvents(ctx, evs); err != nil {
						b.Fatal(err)
					}
					evs = evs[:0]
				}
			}
			took := time.Since(t0)
			size, err := es.StorageBytes(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(size)/float64(n), "bytes/event")
			b.ReportMetric(float64(size)/float64(n)*1e7/(1<<30), "GiB/10M")
			b.ReportMetric(float64(n)/took.Seconds(), "stored/s")
		}
	})
}
