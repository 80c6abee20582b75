package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// The user table. Its whole state (filter, sort, columns, page size, page)
// lives in the URL, so a view can be bookmarked, reloaded and shared.

// defaultColumns are the table's columns until a staff member chooses.
var defaultColumns = []string{"id", "client_id", "created_at", "points", "email", "city", "country",
	"last_interaction", "last_visit", "roles", "badges", "total_followers", "tags", "status"}

// pageSizes are the page sizes the table offers.
var pageSizes = []int{25, 50, 100, 200, 500}

const columnsPref = "users.columns"

// membersGroup is the "Community members" view: users who have points, a
// badge, or a status other than active. Its conditions are on different
// fields yet ORed, which the text syntax cannot say, so the view adds them
// to the plan as one group.
func membersGroup(reg *roster.Registry) []query.Pred {
	points, _ := reg.Field("points")
	badges, _ := reg.Field("badges")
	status, _ := reg.Field("status")
	return []query.Pred{
		{Field: points, Kind: query.KindOrdered, Op: query.OpGt, Ranges: []query.Range{{Lo: 0, Hi: inf, LoIncl: false}}},
		{Field: badges, Kind: query.KindSet, Op: query.OpNotEmpty},
		{Field: status, Kind: query.KindExact, Op: query.OpEq, Strs: []string{"banned", "invited", "pending"}},
	}
}

// tableState is the table's state as parsed from the URL.
type tableState struct {
	Q       string
	Sort    string // as given; "" is the default order
	Cols    []string
	Limit   int
	Page    int // from 1
	Members bool
}

func (ts tableState) values() url.Values {
	v := url.Values{}
	if ts.Q != "" {
		v.Set("q", ts.Q)
	}
	if ts.Sort != "" {
		v.Set("sort", ts.Sort)
	}
	if len(ts.Cols) > 0 {
		v.Set("cols", strings.Join(ts.Cols, ","))
	}
	if ts.Limit != query.DefaultLimit {
		v.Set("limit", strconv.Itoa(ts.Limit))
	}
	if ts.Page > 1 {
		v.Set("page", strconv.Itoa(ts.Page))
	}
	if ts.Members {
		v.Set("view", "members")
	}
	return v
}

// URL returns the table's address for this state.
func (ts tableState) URL() string {
	if v := ts.values().Encode(); v != "" {
		return "/users?" + v
	}
	return "/users"
}

// with returns a copy of ts changed by fn, back on page 1 unless fn sets a
// page: any change of filter, sort or size makes the old page number
// meaningless.
func (ts tableState) with(fn func(*tableState)) tableState {
	c := ts
	c.Cols = slices.Clone(ts.Cols)
	c.Page = 1
	fn(&c)
	return c
}

// column is one column of the table.
type column struct {
	Field   roster.Field
	SortURL string // the URL that sorts by this column (shift adds it instead)
	AddURL  string // the URL that adds it as a secondary sort key
	Dir     string // "asc", "desc" or "" when not sorted by it
	Rank    int    // 1 for the first sort key, ...
}

// chip is an active condition, with the URL that removes it.
type chip struct {
	Text      string
	RemoveURL string
}

// cell is one rendered value of the table or the profile.
type cell struct {
	Text  string
	Title string
	Kind  string // "num", "set", "status", "bool", "empty", "tags", ""
	Items []string
	Tags  *tagChips // the Tags column
}

type usersView struct {
	State       tableState
	Columns     []column
	Rows        []userRow
	Total       int
	Pages       int
	Chips       []chip
	Error       string
	ErrorPos    int
	Hints       []hintView
	ClearURL    string
	ClearSort   string
	AllURL      string
	MembersURL  string
	First, Prev string
	Next, Last  string
	PageSizes   []pageSizeOption
	Choosable   []choosable
	Panel       []panelField
	Statuses    []statusLink
	Elapsed     time.Duration
	Sorted      bool
	TagPanel    *tagPanel // when the Tags column is shown
	Bulk        *bulkForm // for staff who may organize
}

// hintView is advice on the filter, with the link that takes it.
type hintView struct {
	query.Hint
	URL string
}

type userRow struct {
	ID    string
	Name  string
	Cells []cell
}

type pageSizeOption struct {
	Size     int
	URL      string
	Selected bool
}

type choosable struct {
	Key, Label string
	Checked    bool
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	staff := staffFrom(r)
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	st := tableState{Q: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort"), Limit: query.DefaultLimit, Page: 1, Members: q.Get("view") == "members"}
	view := &usersView{}
	// Bad parameters get a message and the table's defaults, never a 500.
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(pageSizes, n) {
			view.Error = fmt.Sprintf("The page size %s is not one of 25, 50, 100, 200, 500.", roster.Quote(v))
		} else {
			st.Limit = n
		}
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			view.Error = fmt.Sprintf("The page %s is not a page number.", roster.Quote(v))
		} else {
			st.Page = n
		}
	}
	if v := q.Get("cols"); v != "" {
		st.Cols = validColumns(reg, strings.Split(v, ","))
	} else if saved, err := s.Prefs.Pref(ctx, staff.ID, columnsPref); err == nil && saved != "" {
		st.Cols = validColumns(reg, strings.Split(saved, ","))
	}
	cols := st.Cols
	if len(cols) == 0 {
		cols = validColumns(reg, defaultColumns)
	}
	view.State = st

	// A submitted filter panel becomes conditions of the text filter, and
	// the browser goes to the canonical URL of the result.
	if extra, submitted, err := panelConds(q, reg); err != nil {
		view.Error = roster.ErrorMessage(err)
	} else if submitted {
		f, err := query.Parse(st.Q)
		if err == nil {
			f.Conds = append(f.Conds, extra...)
			next := st.with(func(t *tableState) { t.Q = f.String() })
			http.Redirect(w, r, next.URL(), http.StatusSeeOther)
			return
		}
	}

	f, err := query.Parse(st.Q)
	var plan *query.Plan
	if err == nil {
		plan, err = query.Compile(f, reg, staff.Location())
	}
	if err == nil {
		plan.Sort, err = query.ParseSort(st.Sort, reg)
	}
	if err != nil {
		view.Error = roster.ErrorMessage(err)
		view.ErrorPos = errorPosition(err)
		s.renderUsers(w, r, http.StatusBadRequest, reg, cols, view, nil, start)
		return
	}
	if st.Members {
		plan.Groups = append(plan.Groups, membersGroup(reg))
	}
	view.Chips = chips(f, st)
	for _, h := range plan.Hints {
		fixed := h.Apply(f).String()
		view.Hints = append(view.Hints, hintView{Hint: h, URL: st.with(func(t *tableState) { t.Q = fixed }).URL()})
	}
	page := query.Page{Limit: st.Limit, Offset: (st.Page - 1) * st.Limit}
	res, err := s.Search.Search(ctx, plan, page)
	if err != nil {
		s.error(w, r, err)
		return
	}
	users, err := s.Users.FindUsersByIDs(ctx, res.IDs)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view.Total = res.Total
	view.Sorted = st.Sort != ""
	status := http.StatusOK
	if view.Error != "" {
		// A bad parameter was replaced by its default and named: the
		// page is shown, but the request was not what it should be.
		status = http.StatusBadRequest
	}
	s.renderUsers(w, r, status, reg, cols, view, users, start)
}

// renderUsers fills the parts of the view that depend only on the state
// and renders the page.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, reg *roster.Registry, cols []string, view *usersView, users []*roster.User, start time.Time) {
	st := view.State
	loc := staffFrom(r).Location()
	keys, _ := query.ParseSort(st.Sort, reg)
	for _, key := range cols {
		f, _ := reg.Field(key)
		c := column{Field: f}
		if f.Sortable {
			c.SortURL = st.with(func(t *tableState) { t.Sort = key }).URL()
			for i, k := range keys {
				if k.Field.Key == key {
					c.Rank = i + 1
					c.Dir = "asc"
					if k.Desc {
						c.Dir = "desc"
					}
					if i == 0 && !k.Desc {
						c.SortURL = st.with(func(t *tableState) { t.Sort = "-" + key }).URL()
					}
				}
			}
			if c.Rank == 0 && len(keys) > 0 && len(keys) < 5 {
				c.AddURL = st.with(func(t *tableState) { t.Sort = query.FormatSort(keys) + "," + key }).URL()
			}
		}
		view.Columns = append(view.Columns, c)
	}
	for _, u := range users {
		row := userRow{ID: u.PublicID, Name: u.Name()}
		for _, c := range view.Columns {
			if c.Field.Type == roster.TypeTags {
				row.Cells = append(row.Cells, cell{Kind: "tags", Tags: s.chipsFor(r, reg, u, st.URL())})
				continue
			}
			if oc, ok := orgCell(reg, c.Field, u); ok {
				row.Cells = append(row.Cells, oc)
				continue
			}
			row.Cells = append(row.Cells, renderCell(c.Field, u.Get(c.Field.Key), loc))
		}
		view.Rows = append(view.Rows, row)
	}
	view.Pages = max(1, (view.Total+st.Limit-1)/st.Limit)
	if st.Page > 1 {
		view.First = st.with(func(t *tableState) {}).URL()
		view.Prev = st.with(func(t *tableState) { t.Page = min(st.Page-1, view.Pages) }).URL()
	}
	if st.Page < view.Pages {
		view.Next = st.with(func(t *tableState) { t.Page = st.Page + 1 }).URL()
		view.Last = st.with(func(t *tableState) { t.Page = view.Pages }).URL()
	}
	view.ClearURL = st.with(func(t *tableState) { t.Q = ""; t.Members = false }).URL()
	view.ClearSort = st.with(func(t *tableState) { t.Sort = "" }).URL()
	view.AllURL = st.with(func(t *tableState) { t.Members = false }).URL()
	view.MembersURL = st.with(func(t *tableState) { t.Members = true }).URL()
	for _, n := range pageSizes {
		view.PageSizes = append(view.PageSizes, pageSizeOption{n, st.with(func(t *tableState) { t.Limit = n }).URL(), n == st.Limit})
	}
	// The shown columns come first, in their order, so that submitting
	// the chooser keeps that order; the others follow in field order.
	for _, key := range cols {
		f, _ := reg.Field(key)
		view.Choosable = append(view.Choosable, choosable{f.Key, f.Label, true})
	}
	for _, f := range reg.Fields {
		if f.Hidden() || slices.Contains(cols, f.Key) {
			continue
		}
		view.Choosable = append(view.Choosable, choosable{f.Key, f.Label, false})
	}
	view.Panel = panelFields(reg)
	if slices.Contains(cols, "tags") {
		view.TagPanel = s.panelFor(r, reg, "", st.URL())
	}
	view.Bulk = s.bulkForm(r, reg)
	view.Statuses = statusLinks(st)
	view.Elapsed = time.Since(start)
	s.render(w, r, status, "users", "Users", view)
}

// validColumns keeps the keys of fields that can be shown, in order,
// without repeats.
func validColumns(reg *roster.Registry, keys []string) []string {
	var out []string
	for _, k := range keys {
		k = strings.TrimSpace(k)
		f, ok := reg.Field(k)
		if ok && !f.Hidden() && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// chips lists the filter's words and conditions, each with the URL of the
// table without it.
func chips(f query.Filter, st tableState) []chip {
	var out []chip
	for i, w := range f.Words {
		rest := f
		rest.Words = slices.Delete(slices.Clone(f.Words), i, i+1)
		rest.WordPos = nil
		out = append(out, chip{Text: query.Filter{Words: []string{w}}.String(), RemoveURL: st.with(func(t *tableState) { t.Q = rest.String() }).URL()})
	}
	for i, c := range f.Conds {
		rest := f
		rest.Conds = slices.Delete(slices.Clone(f.Conds), i, i+1)
		out = append(out, chip{Text: query.Filter{Conds: []query.Cond{c}}.String(), RemoveURL: st.with(func(t *tableState) { t.Q = rest.String() }).URL()})
	}
	if st.Members {
		out = append(out, chip{Text: "community members", RemoveURL: st.with(func(t *tableState) { t.Members = false }).URL()})
	}
	return out
}

func errorPosition(err error) int {
	var e *roster.Error
	if asRosterError(err, &e) {
		return e.Position
	}
	return -1
}

// handleUserColumns saves the staff member's choice of columns and returns
// to the table showing them.
func (s *Server) handleUserColumns(w http.ResponseWriter, r *http.Request) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	cols := validColumns(reg, r.PostForm["col"])
	if r.PostFormValue("reset") != "" {
		cols = nil
	}
	if err := s.Prefs.SetPref(r.Context(), staffFrom(r).ID, columnsPref, strings.Join(cols, ",")); err != nil {
		s.error(w, r, err)
		return
	}
	back, err := url.Parse(safeNext(r.PostFormValue("back")))
	if err != nil || back.Path != "/users" {
		back = &url.URL{Path: "/users"}
	}
	v := back.Query()
	v.Del("cols") // the saved choice applies from now on
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

// renderCell formats one value for the table and the profile.
func renderCell(f roster.Field, v any, loc *time.Location) cell {
	switch x := v.(type) {
	case nil:
		return cell{Kind: "empty"}
	case string:
		if x == "" {
			return cell{Kind: "empty"}
		}
		switch f.Type {
		case roster.TypeStatus:
			return cell{Text: x, Kind: "status"}
		case roster.TypeCountry:
			name, _ := roster.CountryName(x)
			return cell{Text: x, Title: name}
		}
		return cell{Text: x}
	case int64:
		return cell{Text: thousands(x), Kind: "num"}
	case float64:
		return cell{Text: strconv.FormatFloat(x, 'f', -1, 64), Kind: "num"}
	case bool:
		if x {
			return cell{Text: "yes", Kind: "bool"}
		}
		return cell{Text: "no", Kind: "bool empty"}
	case roster.Date:
		if x.IsZero() {
			return cell{Kind: "empty"}
		}
		return cell{Text: x.String()}
	case time.Time:
		if x.IsZero() {
			return cell{Kind: "empty"}
		}
		// The date is what a table needs at a glance; the time is in
		// the tooltip.
		t := x.In(loc)
		return cell{Text: t.Format("2006-01-02"), Title: t.Format("2006-01-02 15:04:05 MST")}
	case []string:
		if len(x) == 0 {
			return cell{Kind: "empty"}
		}
		return cell{Kind: "set", Items: x}
	case []roster.Address:
		return countCell(len(x), "address", "addresses")
	case []roster.SocialLink:
		return countCell(len(x), "link", "links")
	case []roster.PushToken:
		return countCell(len(x), "device", "devices")
	}
	return cell{Text: fmt.Sprint(v)}
}

func countCell(n int, one, many string) cell {
	switch n {
	case 0:
		return cell{Kind: "empty"}
	case 1:
		return cell{Text: "1 " + one}
	}
	return cell{Text: strconv.Itoa(n) + " " + many}
}

// thousands formats n with thin separators: 1 234 567 reads at a glance.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// statusLink is one of the All / Active / Banned / ... links above the
// table.
type statusLink struct {
	Label, URL string
	On         bool
}

// statusLinks returns the table filtered to each status in turn (and to
// none, "All"), replacing any status condition already there; On marks the
// link matching what the table shows now. An unparsable filter gives links
// without conditions to replace.
func statusLinks(st tableState) []statusLink {
	f, _ := query.Parse(st.Q)
	var on []string
	for _, c := range f.Conds {
		if strings.EqualFold(c.Field, "status") && !c.Negate && c.Op == query.OpEq {
			on = append(on, c.Values...)
		}
	}
	rest := slices.DeleteFunc(slices.Clone(f.Conds), func(c query.Cond) bool { return strings.EqualFold(c.Field, "status") })
	links := []statusLink{{Label: "All", On: len(on) == 0}}
	for _, s := range roster.UserStatusNames() {
		links = append(links, statusLink{Label: strings.ToUpper(s[:1]) + s[1:], On: len(on) == 1 && on[0] == s})
	}
	for i := range links {
		g := query.Filter{Words: f.Words, Conds: slices.Clone(rest)}
		if i > 0 {
			g.Conds = append(g.Conds, query.Cond{Field: "status", Op: query.OpEq, Values: []string{roster.UserStatusNames()[i-1]}})
		}
		links[i].URL = st.with(func(t *tableState) { t.Q = g.String() }).URL()
	}
	return links
}
