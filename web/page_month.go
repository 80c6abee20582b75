package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"roster"
	"roster/query"
)

// The Member of the Month page (name one, the history), and the
// dashboard's smart type counts and Member of the Month card.

type monthForm struct {
	Month, User, Citation string
	Replace               bool
}

type monthRow struct {
	roster.MemberOfMonth
	Name string // the user's name, or their id when they are gone
}

type monthView struct {
	Form    monthForm
	Errors  formErrors
	Error   string
	History []monthRow
}

func (s *Server) handleMonths(w http.ResponseWriter, r *http.Request) {
	s.renderMonths(w, r, http.StatusOK, monthView{Form: monthForm{Month: time.Now().In(staffFrom(r).Location()).Format("2006-01")}})
}

func (s *Server) renderMonths(w http.ResponseWriter, r *http.Request, status int, view monthView) {
	hist, err := s.Months.MonthHistory(r.Context(), 120)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, m := range hist {
		view.History = append(view.History, monthRow{m, s.userName(r, m.UserID)})
	}
	s.render(w, r, status, "month", "Member of the Month", view)
}

// userName is the name of the user with public id, or the id itself.
func (s *Server) userName(r *http.Request, id string) string {
	u, err := s.Users.FindUserByID(r.Context(), id)
	if err != nil {
		return id
	}
	return u.Name()
}

// findUser resolves what staff typed to name a user: a public id, or an
// email address looked up with the index.
func (s *Server) findUser(r *http.Request, typed string) (*roster.User, error) {
	typed = strings.TrimSpace(typed)
	if !strings.Contains(typed, "@") {
		return s.Users.FindUserByID(r.Context(), typed)
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, err
	}
	f := query.Filter{Conds: []query.Cond{{Field: "email", Op: query.OpEq, Values: []string{typed}, Pos: -1}}}
	plan, err := query.Compile(f, reg, staffFrom(r).Location())
	if err != nil {
		return nil, err
	}
	res, err := s.Search.Search(r.Context(), plan, query.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	users, err := s.Users.FindUsersByIDs(r.Context(), res.IDs)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, roster.Errorf(roster.ENOTFOUND, "No user has the email %s.", typed)
	}
	return users[0], nil
}

func (s *Server) handleMonthName(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	form := monthForm{Month: r.PostFormValue("month"), User: r.PostFormValue("user"), Citation: r.PostFormValue("citation"), Replace: r.PostFormValue("replace") != ""}
	// Each problem is said once: next to its field when it has one, above
	// the form otherwise.
	refuse := func(fe formErrors, msg string) {
		if len(fe) > 0 {
			msg = "Nobody was named: see the problems below."
		}
		s.renderMonths(w, r, http.StatusUnprocessableEntity, monthView{Form: form, Errors: fe, Error: msg})
	}
	if strings.TrimSpace(form.User) == "" {
		refuse(formErrors{"user": "is required"}, "")
		return
	}
	u, err := s.findUser(r, form.User)
	if err != nil {
		if roster.ErrorCode(err) != roster.ENOTFOUND {
			s.error(w, r, err)
			return
		}
		refuse(formErrors{"user": "is not a user's id or email"}, "")
		return
	}
	m := &roster.MemberOfMonth{Month: form.Month, UserID: u.PublicID, Citation: form.Citation}
	if err := s.Months.NameMemberOfMonth(r.Context(), m, form.Replace); err != nil {
		if !isFormError(err) && roster.ErrorCode(err) != roster.ENOTFOUND {
			s.error(w, r, err)
			return
		}
		if roster.ErrorCode(err) == roster.ECONFLICT {
			// Said once, above the form, with what to do about it.
			refuse(nil, fmt.Sprintf("%s already has its Member of the Month. Tick “Replace” to name %s instead.", strings.TrimSpace(form.Month), u.Name()))
			return
		}
		refuse(fieldErrorsOf(err), "Nobody was named: "+roster.ErrorMessage(err))
		return
	}
	s.setFlash(w, r, fmt.Sprintf("%s is the Member of the Month for %s.", u.Name(), m.Month))
	http.Redirect(w, r, "/member-of-the-month", http.StatusSeeOther)
}

// smartTypeCount is one line of the dashboard's smart type panel.
type smartTypeCount struct {
	Name, Count, Href string
}

// dashboardOrg is the dashboard's smart type counts (each user counted
// once: in their smart type, or in None) and the current Member of the
// Month.
type dashboardOrg struct {
	SmartTypes []smartTypeCount
	Month      *monthRow
	MonthName  string // the current month, as "January 2026"
}

// loadDashboardOrg fills the dashboard's groups panels. Counts come from
// the index; a filter the index cannot count leaves the panel out.
func (s *Server) loadDashboardOrg(r *http.Request, now time.Time) *dashboardOrg {
	ctx := r.Context()
	org := &dashboardOrg{}
	if reg, err := s.Fields.Registry(ctx); err == nil && reg.Catalog != nil && len(reg.Catalog.SmartTypes) > 0 {
		ok, sum := true, 0
		add := func(name, filter string) int {
			n, err := s.countFilter(r, reg, filter)
			if err != nil {
				s.Logger.Warn("dashboard smart type", "filter", filter, "err", err)
				ok = false
			}
			org.SmartTypes = append(org.SmartTypes, smartTypeCount{name, thousands(int64(n)), "/users?q=" + url.QueryEscape(filter)})
			return n
		}
		for _, id := range reg.Catalog.SmartTypes {
			if g, found := reg.Catalog.Group(id); found {
				sum += add(g.Name, fmt.Sprintf("smart_type:#%d", id))
			}
		}
		// Smart types split the users: those in none are all the others.
		// Counted so rather than with smart_type:none, which the query
		// package compiles without the list and so matches everyone.
		total := add("None", "")
		org.SmartTypes[len(org.SmartTypes)-1] = smartTypeCount{"None", thousands(int64(total - sum)), "/users?q=" + url.QueryEscape("smart_type:none")}
		if !ok {
			org.SmartTypes = nil
		}
	}
	if s.Months == nil {
		return org // a server wired without Member of the Month (some tests)
	}
	month := now.In(staffFrom(r).Location())
	org.MonthName = month.Format("January 2006")
	if m, err := s.Months.MemberOfMonth(ctx, month.Format("2006-01")); err == nil {
		org.Month = &monthRow{*m, s.userName(r, m.UserID)}
	}
	return org
}
