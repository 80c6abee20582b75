package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// Stats answers the dashboard's questions over the users a plan selects:
// how many, their most common values of a field, and how many per day by a
// time field. The query index answers them from memory.
type Stats interface {
	Count(ctx context.Context, p *query.Plan) (int, error)
	Facet(ctx context.Context, p *query.Plan, field string, limit int) ([]query.FacetCount, error)
	PerDay(ctx context.Context, p *query.Plan, field string, from, to roster.Date, loc *time.Location) ([]int, error)
}

// chartDays is the span of the new users chart, ending today.
const chartDays = 90

// topCountries is how many countries the dashboard lists.
const topCountries = 10

type homeView struct {
	// Ready is false while the index is being built (or when there is no
	// index): only the total from the store is shown then.
	Ready     bool
	Cards     []statCard
	Chart     *dayChart
	Countries []countryRow
	// CountryCount is the number of countries users live in; NoCountry
	// the users without one.
	CountryCount  string
	NoCountry     string
	NoCountryHref string
	Audit         []*roster.AuditEntry
	Loc           *time.Location
	// Org is the smart type counts and the Member of the Month.
	Org *dashboardOrg
	// Failures are the recent failed sign-ins on the staff member's own
	// account, shown from roster.NotifyAt on.
	Failures roster.Failures
	// DisabledWebhooks are the endpoints the webhook worker disabled
	// after sustained failure; staff who manage staff (ManageWebhooks)
	// get a link to each, the others are told who can act.
	DisabledWebhooks []*roster.WebhookEndpoint
	ManageWebhooks   bool
}

// statCard is one number of the summary, linking to the users behind it.
type statCard struct {
	Label, Value, Note, Href string
}

// countryRow is one bar of the top countries.
type countryRow struct {
	Code, Name, Count, Share, Href string
	Width                          string // of the bar, in % of the top country's
}

// dayChart is the geometry of the new users bar chart, computed here so
// that the template only places it: an inline SVG, no script.
type dayChart struct {
	Width, Height       int
	PlotLeft, PlotRight string
	Baseline            string
	Bars                []chartBar
	Grid                []gridLine
	Ticks               []xTick
	Total, Change       string
	From, To            string
	Label               string // the chart's accessible summary
	Empty               bool
}

type chartBar struct {
	X, Y, W, H string // the bar
	HitX, HitW string // the column that shows its title on hover
	Title      string
	Today      bool // a day not over yet
}

type gridLine struct {
	Y, Label string
}

type xTick struct {
	X, Label, Anchor string
}

// stats returns what answers the dashboard's counts: Stats, or the
// searcher when it can, or nil.
func (s *Server) stats() Stats {
	if s.Stats != nil {
		return s.Stats
	}
	st, _ := s.Search.(Stats)
	return st
}

// handleHome is the dashboard: a few counts, new users per day and the top
// countries from the index, and recent staff activity.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	staff := staffFrom(r)
	loc := staff.Location()
	view := homeView{Loc: loc}
	err := s.dashboardStats(ctx, &view, loc, time.Now())
	if roster.ErrorCode(err) == roster.EUNAVAILABLE || (err == nil && !view.Ready) {
		// The index is still being built: the store can still say how
		// many users there are.
		n, err := s.Users.CountUsers(ctx)
		if err != nil {
			s.error(w, r, err)
			return
		}
		view = homeView{Loc: loc, Cards: []statCard{{Label: "All users", Value: formatCount(n), Href: "/users"}}}
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	if staff.Can(roster.PermViewAudit) {
		if view.Audit, err = s.Audit.FindAuditEntries(ctx, roster.AuditFilter{Limit: 10}); err != nil {
			s.error(w, r, err)
			return
		}
	}
	view.Org = s.loadDashboardOrg(r, time.Now())
	if s.Tasks != nil {
		n, err := s.Tasks.CountDueTasks(ctx, staff.ID, roster.DateOf(time.Now().In(loc)))
		if err != nil {
			s.error(w, r, err)
			return
		}
		view.Cards = append(view.Cards, statCard{Label: "My tasks due", Value: formatCount(n), Note: tasksDueNote(n), Href: "/tasks"})
	}
	if f, err := s.Staff.SignInFailures(ctx, staff.Email); err != nil {
		s.error(w, r, err)
		return
	} else if f.N >= roster.NotifyAt {
		view.Failures = f
	}
	if view.DisabledWebhooks, err = s.disabledWebhooks(ctx); err != nil {
		s.error(w, r, err)
		return
	}
	view.ManageWebhooks = staff.Can(roster.PermManageStaff)
	s.render(w, r, http.StatusOK, "home", "Dashboard", view)
}

// disabledWebhooks returns the endpoints the worker disabled (those staff
// disabled have no reason): the dashboard's notice.
func (s *Server) disabledWebhooks(ctx context.Context) ([]*roster.WebhookEndpoint, error) {
	if s.Webhooks == nil {
		return nil, nil
	}
	list, err := s.Webhooks.FindWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	var out []*roster.WebhookEndpoint
	for _, e := range list {
		if !e.Enabled && e.DisabledReason != "" {
			out = append(out, e)
		}
	}
	return out, nil
}

// dashboardStats fills the numbers of view from the index, as of now.
func (s *Server) dashboardStats(ctx context.Context, view *homeView, loc *time.Location, now time.Time) error {
	st := s.stats()
	if st == nil {
		return nil
	}
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		return err
	}
	plan := func(text string) (*query.Plan, error) {
		f, err := query.Parse(text)
		if err != nil {
			return nil, err
		}
		return query.Compile(f, reg, loc)
	}
	all := &query.Plan{}
	total, err := st.Count(ctx, all)
	if err != nil {
		return err
	}

	// New users per day: the chart's 90 days and the 90 before, to
	// compare.
	today := roster.DateOf(now.In(loc))
	from := addDays(today, -(2*chartDays - 1))
	days, err := st.PerDay(ctx, all, "created_at", from, today, loc)
	if err != nil {
		return err
	}
	var lastWeek int
	for _, n := range days[len(days)-7:] {
		lastWeek += n
	}
	cards := []statCard{{Label: "All users", Value: formatCount(total), Href: "/users",
		Note: "+" + formatCount(lastWeek) + " in the last 7 days"}}
	for _, c := range []struct{ label, q string }{
		{"Active accounts", "access:active"}, // the active-account rule, not the status alone
		{"Subscribed users", "newsletter:true"},
		{"Banned", "status:banned"},
	} {
		p, err := plan(c.q)
		if err != nil {
			return err
		}
		n, err := st.Count(ctx, p)
		if err != nil {
			return err
		}
		cards = append(cards, statCard{Label: c.label, Value: formatCount(n), Href: usersHref(c.q), Note: formatShare(n, total) + " of all users"})
	}
	view.Cards = cards
	view.Chart = newDayChart(days[chartDays:], days[:chartDays], addDays(today, -(chartDays-1)))

	countries, err := st.Facet(ctx, all, "country", 0)
	if err != nil {
		return err
	}
	withCountry := 0
	for _, c := range countries {
		withCountry += c.Count
	}
	for _, c := range countries[:min(topCountries, len(countries))] {
		name, ok := roster.CountryName(c.Value)
		if !ok {
			name = c.Value
		}
		view.Countries = append(view.Countries, countryRow{
			Code: c.Value, Name: name, Count: formatCount(c.Count), Share: formatShare(c.Count, total),
			Href:  usersHref("country:" + c.Value),
			Width: strconv.FormatFloat(math.Max(0.5, 100*float64(c.Count)/float64(countries[0].Count)), 'f', 1, 64) + "%",
		})
	}
	view.CountryCount = formatCount(len(countries))
	if n := total - withCountry; n > 0 {
		view.NoCountry = formatCount(n)
		view.NoCountryHref = usersHref("country:none")
	}
	view.Ready = true
	return nil
}

// usersHref links to the users page filtered by q.
func usersHref(q string) string { return "/users?q=" + url.QueryEscape(q) }

// addDays returns the day n days after d.
func addDays(d roster.Date, n int) roster.Date {
	return roster.DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Geometry of the chart, in the units of its viewBox: about pixels at
// the width it takes on a 1280-pixel screen.
const (
	chartW, chartH                = 790, 276
	chartLeft, chartRight         = 44, 8
	chartTop, chartBottom         = 10, 22
	chartPlotW                    = chartW - chartLeft - chartRight
	chartPlotH                    = chartH - chartTop - chartBottom
	chartBarFill          float64 = 0.72 // of a day's width
)

// newDayChart lays out counts (one per day from first) as bars, with prev
// the counts of the same number of days before, for the change.
func newDayChart(counts, prev []int, first roster.Date) *dayChart {
	total, prevTotal, peak, peakDay := 0, 0, 0, 0
	for i, n := range counts {
		total += n
		if n > peak {
			peak, peakDay = n, i
		}
	}
	for _, n := range prev {
		prevTotal += n
	}
	step, top := niceScale(peak)
	last := addDays(first, len(counts)-1)
	c := &dayChart{
		Width: chartW, Height: chartH,
		PlotLeft: px(chartLeft), PlotRight: px(chartW - chartRight), Baseline: px(chartTop + chartPlotH),
		Total: formatCount(total), From: formatDay(first), To: formatDay(last), Empty: total == 0,
	}
	if prevTotal > 0 {
		pct := 100 * float64(total-prevTotal) / float64(prevTotal)
		switch {
		case math.Abs(pct) < 0.5:
			c.Change = "about the same as the 90 days before"
		case pct > 0:
			c.Change = fmt.Sprintf("+%s%% on the 90 days before", formatPercent(pct))
		default:
			c.Change = fmt.Sprintf("−%s%% on the 90 days before", formatPercent(-pct))
		}
	}
	y := func(v int) float64 { return chartTop + chartPlotH - float64(v)/float64(top)*chartPlotH }
	for v := 0; v <= top; v += step {
		c.Grid = append(c.Grid, gridLine{Y: px(y(v)), Label: formatCount(v)})
	}
	slot := float64(chartPlotW) / float64(len(counts))
	for i, n := range counts {
		d := addDays(first, i)
		x := chartLeft + slot*float64(i)
		bw := slot * chartBarFill
		word := "new users"
		if n == 1 {
			word = "new user"
		}
		c.Bars = append(c.Bars, chartBar{
			X: px(x + (slot-bw)/2), W: px(bw), Y: px(y(n)), H: px(y(0) - y(n)),
			HitX: px(x), HitW: px(slot),
			Title: d.In(time.UTC).Format("Mon 2 Jan 2006") + ": " + formatCount(n) + " " + word,
		})
		if i == len(counts)-1 {
			bar := &c.Bars[i]
			bar.Today = true
			bar.Title = d.In(time.UTC).Format("Mon 2 Jan 2006") + " (today, so far): " + formatCount(n) + " " + word
		}
		if d.Day == 1 {
			tick := xTick{X: px(x + slot/2), Label: d.In(time.UTC).Format("2 Jan"), Anchor: "middle"}
			if d.Month == time.January {
				tick.Label = d.In(time.UTC).Format("2 Jan 2006")
			}
			if x+slot/2+30 > chartW {
				tick.X, tick.Anchor = px(chartW-chartRight), "end"
			}
			c.Ticks = append(c.Ticks, tick)
		}
	}
	c.Label = fmt.Sprintf("Bar chart of new users per day from %s to %s: %s in total", c.From, c.To, c.Total)
	if peak > 0 {
		c.Label += fmt.Sprintf(", most on %s (%s)", formatDay(addDays(first, peakDay)), formatCount(peak))
	}
	c.Label += "."
	return c
}

// niceScale returns the step and the top of a y axis for values up to
// peak: a round step (1, 2, 2.5 or 5 times a power of ten) that gives two
// or three intervals above zero.
func niceScale(peak int) (step, top int) {
	peak = max(peak, 3)
	raw := float64(peak) / 3
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		s := m * pow
		if s >= raw && s == math.Trunc(s) {
			step = int(s)
			break
		}
	}
	if step == 0 {
		step = int(10 * pow)
	}
	top = (peak + step - 1) / step * step
	return step, top
}

// px formats a coordinate.
func px(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// formatDay formats a calendar day as the back-office shows dates.
func formatDay(d roster.Date) string { return d.In(time.UTC).Format("2 Jan 2006") }

// formatCount writes n with thousands separators: 1,234,567.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatShare is n as a percentage of total.
func formatShare(n, total int) string {
	if total == 0 {
		return "0%"
	}
	return formatPercent(100*float64(n)/float64(total)) + "%"
}

// formatPercent shows a percentage with one decimal under 10 and just
// under 100 (so that almost all does not read as all), else none.
func formatPercent(p float64) string {
	if p > 0 && p < 0.1 {
		return "<0.1"
	}
	if p > 99 && p < 100 {
		return strconv.FormatFloat(min(99.9, math.Round(p*10)/10), 'f', 1, 64)
	}
	if p > 0 && p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64)
	}
	return strconv.FormatFloat(p, 'f', 0, 64)
}

// tasksDueNote says what the task count counts.
func tasksDueNote(n int) string {
	if n == 1 {
		return "1 task due today or overdue"
	}
	return formatCount(n) + " tasks due today or overdue"
}
