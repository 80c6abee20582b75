package web

import (
	"encoding/csv"
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

// The groups pages: the list with a create form, one group's page (edit,
// codes, delete), a user's memberships on the profile, and the smart type
// list in the settings. Members are not listed here: the user table
// filtered by groups:#ID is the members view.

// dateTimeLayout is how datetime-local inputs hold a time.
const dateTimeLayout = "2006-01-02T15:04"

// groupForm is the group form as typed.
type groupForm struct {
	Name, Description string
	StartsAt, StopsAt string
	UserViewable      bool
	JoinType          string
	Order             string
	Props             []propRow
}

// propRow is one typed property of a group as typed.
type propRow struct {
	Key, Type, Value string
}

// propTypes are the types a property can have, as the form names them.
var propTypes = []string{"text", "number", "bool"}

// groupFields is what the groupfields partial shows: the fields a group's
// create and edit forms share.
type groupFields struct {
	Form   groupForm
	Errors formErrors
}

func newGroupForm() groupForm {
	return groupForm{JoinType: string(roster.JoinOpen), Order: "0", Props: []propRow{{Type: "text"}}}
}

// formOf is the form showing g.
func formOf(g *roster.Group, loc *time.Location) groupForm {
	f := groupForm{Name: g.Name, Description: g.Description, UserViewable: g.UserViewable,
		JoinType: string(g.JoinType), Order: strconv.Itoa(g.Order),
		StartsAt: inputTime(g.StartsAt, loc), StopsAt: inputTime(g.StopsAt, loc)}
	keys := make([]string, 0, len(g.Properties))
	for k := range g.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := g.Properties[k].(type) {
		case float64:
			f.Props = append(f.Props, propRow{k, "number", strconv.FormatFloat(v, 'f', -1, 64)})
		case bool:
			f.Props = append(f.Props, propRow{k, "bool", strconv.FormatBool(v)})
		default:
			f.Props = append(f.Props, propRow{k, "text", fmt.Sprint(v)})
		}
	}
	// One blank row to add a property without JavaScript.
	f.Props = append(f.Props, propRow{Type: "text"})
	return f
}

func inputTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(dateTimeLayout)
}

// parseTimeInput reads a datetime-local (or date) input in loc; "" is the
// zero time.
func parseTimeInput(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{dateTimeLayout, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// readGroupForm reads the group form into a form (to show again) and a
// group, with the problems it found before the store looks.
func readGroupForm(r *http.Request, loc *time.Location) (groupForm, *roster.Group, formErrors) {
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	pf := r.PostForm
	f := groupForm{Name: pf.Get("name"), Description: pf.Get("description"), StartsAt: pf.Get("starts_at"), StopsAt: pf.Get("stops_at"),
		UserViewable: pf.Get("user_viewable") != "", JoinType: pf.Get("join_type"), Order: strings.TrimSpace(pf.Get("order"))}
	fe := formErrors{}
	g := &roster.Group{Name: f.Name, Description: f.Description, UserViewable: f.UserViewable, JoinType: roster.JoinType(f.JoinType), Properties: map[string]any{}}
	var ok bool
	if g.StartsAt, ok = parseTimeInput(f.StartsAt, loc); !ok {
		fe["starts_at"] = "is not a date and time"
	}
	if g.StopsAt, ok = parseTimeInput(f.StopsAt, loc); !ok {
		fe["stops_at"] = "is not a date and time"
	}
	if f.Order != "" {
		n, err := strconv.Atoi(f.Order)
		if err != nil {
			fe["order"] = "must be a whole number"
		}
		g.Order = n
	}
	keys, types, values := pf["prop_key"], pf["prop_type"], pf["prop_value"]
	for i, k := range keys {
		row := propRow{Key: strings.TrimSpace(k), Type: "text"}
		if i < len(types) {
			row.Type = types[i]
		}
		if i < len(values) {
			row.Value = values[i]
		}
		f.Props = append(f.Props, row)
		if row.Key == "" {
			continue // a blank row, or one cleared to remove it
		}
		if _, dup := g.Properties[row.Key]; dup {
			fe["properties"] = fmt.Sprintf("%s is there twice", roster.Quote(row.Key))
			continue
		}
		switch row.Type {
		case "number":
			n, err := strconv.ParseFloat(strings.TrimSpace(row.Value), 64)
			if err != nil {
				fe["properties"] = fmt.Sprintf("%s: %s is not a number", roster.Quote(row.Key), roster.Quote(row.Value))
			}
			g.Properties[row.Key] = n
		case "bool":
			g.Properties[row.Key] = row.Value == "true"
		default:
			g.Properties[row.Key] = row.Value
		}
	}
	if len(f.Props) == 0 || f.Props[len(f.Props)-1].Key != "" {
		f.Props = append(f.Props, propRow{Type: "text"})
	}
	if len(fe) == 0 {
		fe = nil
	}
	return f, g, fe
}

// groupRow is a group of the list.
type groupRow struct {
	roster.Group
	Period string
}

// period says when g is active.
func period(g *roster.Group, loc *time.Location) string {
	switch {
	case g.StartsAt.IsZero() && g.StopsAt.IsZero():
		return "Always"
	case g.StopsAt.IsZero():
		return "From " + formatWhen(g.StartsAt, loc)
	case g.StartsAt.IsZero():
		return "Until " + formatWhen(g.StopsAt, loc)
	}
	return formatWhen(g.StartsAt, loc) + " – " + formatWhen(g.StopsAt, loc)
}

type groupsView struct {
	Groups      []groupRow
	New         groupForm
	Errors      formErrors
	Error       string
	PropTypes   []string
	CanOrganize bool
}

func (s *Server) handleGroups(w http.ResponseWriter, r *http.Request) {
	s.renderGroups(w, r, http.StatusOK, groupsView{New: newGroupForm()})
}

func (s *Server) renderGroups(w http.ResponseWriter, r *http.Request, status int, view groupsView) {
	groups, err := s.findGroups(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	loc := staffFrom(r).Location()
	for _, g := range groups {
		view.Groups = append(view.Groups, groupRow{g, period(&g, loc)})
	}
	view.PropTypes = propTypes
	s.render(w, r, status, "groups", "Groups", view)
}

func (s *Server) handleGroupCreate(w http.ResponseWriter, r *http.Request) {
	form, g, fe := readGroupForm(r, staffFrom(r).Location())
	if fe != nil {
		s.renderGroups(w, r, http.StatusUnprocessableEntity, groupsView{New: form, Errors: fe, Error: "The group was not created: see the problems below."})
		return
	}
	if err := s.Groups.CreateGroup(r.Context(), g); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderGroups(w, r, http.StatusUnprocessableEntity, groupsView{New: form, Errors: fieldErrorsOf(err), Error: roster.ErrorMessage(err)})
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Group %s created.", g.Name))
	http.Redirect(w, r, fmt.Sprintf("/groups/%d", g.ID), http.StatusSeeOther)
}

// groupView is one group's page.
type groupView struct {
	Group      *roster.Group
	Period     string
	Active     bool
	Form       groupForm
	Errors     formErrors
	Error      string
	PropTypes  []string
	Codes      []codeRow
	CodeForm   codeForm
	CodeErrors formErrors
	CodeError  string
	// Generated holds the plain codes just made, shown this once.
	Generated  []string
	MembersURL string
	Loc        *time.Location
}

type codeRow struct {
	roster.GroupCode
	Validity string
	Used     bool // no uses left
}

// codeForm is the generate-codes form as typed.
type codeForm struct {
	Mode      string // "one" or "many"
	Code      string
	MaxUses   string
	Unlimited bool // asked for no limit, explicitly
	Count     string
	StartsAt  string
	ExpiresAt string
}

// loadGroup finds the group of the path, or answers the request.
func (s *Server) loadGroup(w http.ResponseWriter, r *http.Request) (*roster.Group, bool) {
	return loadByID(s, w, r, "id", "group", s.Groups.FindGroup)
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := s.loadGroup(w, r)
	if !ok {
		return
	}
	s.renderGroup(w, r, http.StatusOK, &groupView{Group: g})
}

// renderGroup fills what view lacks and renders the group's page.
func (s *Server) renderGroup(w http.ResponseWriter, r *http.Request, status int, view *groupView) {
	loc := staffFrom(r).Location()
	g := view.Group
	view.Loc = loc
	view.Period = period(g, loc)
	view.Active = g.Active(time.Now())
	if view.Form.Props == nil { // not a refused form
		view.Form = formOf(g, loc)
	}
	if view.CodeForm.Mode == "" {
		view.CodeForm = codeForm{Mode: "many", Count: "10"}
	}
	view.PropTypes = propTypes
	view.MembersURL = "/users?q=" + url.QueryEscape(fmt.Sprintf("groups:#%d", g.ID))
	codes, err := s.Groups.FindCodes(r.Context(), g.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, c := range codes {
		row := codeRow{GroupCode: c, Used: c.MaxUses > 0 && c.Uses >= c.MaxUses}
		switch {
		case c.StartsAt.IsZero() && c.ExpiresAt.IsZero():
			row.Validity = "No time limit"
		case c.ExpiresAt.IsZero():
			row.Validity = "From " + formatWhen(c.StartsAt, loc)
		case c.StartsAt.IsZero():
			row.Validity = "Until " + formatWhen(c.ExpiresAt, loc)
		default:
			row.Validity = formatWhen(c.StartsAt, loc) + " – " + formatWhen(c.ExpiresAt, loc)
		}
		view.Codes = append(view.Codes, row)
	}
	s.render(w, r, status, "group", g.Name, view)
}

func (s *Server) handleGroupUpdate(w http.ResponseWriter, r *http.Request) {
	g, ok := s.loadGroup(w, r)
	if !ok {
		return
	}
	form, ng, fe := readGroupForm(r, staffFrom(r).Location())
	if fe != nil {
		s.renderGroup(w, r, http.StatusUnprocessableEntity, &groupView{Group: g, Form: form, Errors: fe, Error: "The group was not saved: see the problems below."})
		return
	}
	upd := roster.GroupUpdate{Name: &ng.Name, Description: &ng.Description, StartsAt: &ng.StartsAt, StopsAt: &ng.StopsAt,
		UserViewable: &ng.UserViewable, JoinType: &ng.JoinType, Order: &ng.Order, Properties: ng.Properties}
	if _, err := s.Groups.UpdateGroup(r.Context(), g.ID, upd); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderGroup(w, r, http.StatusUnprocessableEntity, &groupView{Group: g, Form: form, Errors: fieldErrorsOf(err), Error: roster.ErrorMessage(err)})
		return
	}
	s.setFlash(w, r, "Group saved.")
	http.Redirect(w, r, fmt.Sprintf("/groups/%d", g.ID), http.StatusSeeOther)
}

func (s *Server) handleGroupDelete(w http.ResponseWriter, r *http.Request) {
	g, ok := s.loadGroup(w, r)
	if !ok {
		return
	}
	if strings.TrimSpace(r.PostFormValue("confirm")) != g.Name {
		s.renderGroup(w, r, http.StatusUnprocessableEntity, &groupView{Group: g, Error: "The group was not deleted: type its name exactly to confirm."})
		return
	}
	if err := s.Groups.DeleteGroup(r.Context(), g.ID); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderGroup(w, r, http.StatusConflict, &groupView{Group: g, Error: roster.ErrorMessage(err)})
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Group %s deleted.", g.Name))
	http.Redirect(w, r, "/groups", http.StatusSeeOther)
}

// handleCodesCreate generates codes and shows them in the answer itself:
// they are never shown again.
func (s *Server) handleCodesCreate(w http.ResponseWriter, r *http.Request) {
	g, ok := s.loadGroup(w, r)
	if !ok {
		return
	}
	codes, form, fe, err := s.createCodes(r, g)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if fe != nil {
		msg := "No codes were generated: see the problems below."
		if m, ok := fe[""]; ok {
			msg = m
			delete(fe, "")
		}
		s.renderGroup(w, r, http.StatusUnprocessableEntity, &groupView{Group: g, CodeForm: form, CodeErrors: fe, CodeError: msg})
		return
	}
	view := &groupView{Group: g}
	for _, c := range codes {
		view.Generated = append(view.Generated, c.Code)
	}
	if r.PostFormValue("download") != "" {
		writeCodesCSV(w, g, view.Generated)
		return
	}
	s.renderGroup(w, r, http.StatusOK, view)
}

// createCodes reads the code form and asks the store for codes. Problems
// with the input come back as fe (the "" key for one not tied to an
// input); err is anything else.
func (s *Server) createCodes(r *http.Request, g *roster.Group) ([]roster.GroupCode, codeForm, formErrors, error) {
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	loc := staffFrom(r).Location()
	form := codeForm{Mode: r.PostFormValue("mode"), Code: strings.TrimSpace(r.PostFormValue("code")), MaxUses: strings.TrimSpace(r.PostFormValue("max_uses")),
		Count: strings.TrimSpace(r.PostFormValue("count")), StartsAt: r.PostFormValue("starts_at"), ExpiresAt: r.PostFormValue("expires_at"),
		Unlimited: r.PostFormValue("unlimited") != ""}
	fe := formErrors{}
	req := roster.CodeRequest{}
	var ok bool
	if req.StartsAt, ok = parseTimeInput(form.StartsAt, loc); !ok {
		fe["starts_at"] = "is not a date and time"
	}
	if req.ExpiresAt, ok = parseTimeInput(form.ExpiresAt, loc); !ok {
		fe["expires_at"] = "is not a date and time"
	}
	switch form.Mode {
	case "one":
		req.Count = 1
		req.Code = form.Code
		req.Unlimited = form.Unlimited
		if form.MaxUses != "" {
			n, err := strconv.Atoi(form.MaxUses)
			if err != nil || n < 1 {
				fe["max_uses"] = "must be a whole number from 1 (or tick No limit)"
			}
			req.MaxUses = n
		}
	case "many":
		n, err := strconv.Atoi(form.Count)
		if err != nil || n < 1 {
			fe["count"] = "must be a whole number from 1"
		}
		req.Count, req.MaxUses = n, 1
	default:
		fe["mode"] = "choose one shared code or single-use codes"
	}
	if len(fe) > 0 {
		return nil, form, fe, nil
	}
	codes, err := s.Groups.CreateCodes(r.Context(), g.ID, req)
	if err != nil {
		if !isFormError(err) {
			return nil, form, nil, err
		}
		fe = fieldErrorsOf(err)
		if fe == nil {
			fe = formErrors{}
		}
		fe[""] = roster.ErrorMessage(err)
		return nil, form, fe, nil
	}
	return codes, form, nil, nil
}

// handleCodesCSV sends codes shown on the page as a CSV file: the page
// posts back the codes it shows, which the server does not keep.
func (s *Server) handleCodesCSV(w http.ResponseWriter, r *http.Request) {
	g, ok := s.loadGroup(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	var codes []string
	for _, c := range r.PostForm["code"] {
		if c = strings.TrimSpace(c); c != "" && len(c) <= 64 {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 || len(codes) > roster.MaxCodesPerRequest {
		s.error(w, r, roster.Errorf(roster.EINVALID, "There are no codes to download."))
		return
	}
	writeCodesCSV(w, g, codes)
}

func writeCodesCSV(w http.ResponseWriter, g *roster.Group, codes []string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="group-%d-codes.csv"`, g.ID))
	w.Header().Set("Cache-Control", "no-store")
	// The status is sent: a write error is the client gone away, and
	// csv.Writer keeps it for Flush, which has nowhere to report it.
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"group_id", "group", "code"})
	for _, c := range codes {
		_ = cw.Write([]string{strconv.FormatInt(g.ID, 10), g.Name, c})
	}
	cw.Flush()
}

func (s *Server) handleCodeDelete(w http.ResponseWriter, r *http.Request) {
	g, ok := s.loadGroup(w, r)
	if !ok {
		return
	}
	codeID, err := strconv.ParseInt(r.PathValue("code"), 10, 64)
	if err != nil {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no such code."))
		return
	}
	if err := s.Groups.DeleteCode(r.Context(), g.ID, codeID); err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Code revoked.")
	http.Redirect(w, r, fmt.Sprintf("/groups/%d#codes", g.ID), http.StatusSeeOther)
}

// userOrg is what the profile shows of a user's groups, smart type and
// months as Member of the Month.
type userOrg struct {
	Memberships []membershipRow
	Addable     []roster.Group
	SmartType   string
	Months      []roster.MemberOfMonth
	Error       string
}

type membershipRow struct {
	roster.Membership
	Name string
}

// userOrg loads the profile's groups section. A failure shows as a note in
// that section rather than losing the whole profile.
func (s *Server) userOrg(r *http.Request, u *roster.User, reg *roster.Registry) *userOrg {
	ctx := r.Context()
	org := &userOrg{}
	ms, err := s.Groups.Memberships(ctx, u.PublicID)
	if err == nil {
		org.Months, err = s.Months.UserMonths(ctx, u.PublicID)
	}
	if err != nil {
		s.Logger.Error("profile groups", "user_id", u.PublicID, "err", err)
		org.Error = "The groups could not be loaded."
		return org
	}
	in := map[int64]bool{}
	for _, m := range ms {
		g, _ := reg.Catalog.Group(m.GroupID)
		name := g.Name
		if name == "" {
			name = fmt.Sprintf("#%d", m.GroupID)
		}
		org.Memberships = append(org.Memberships, membershipRow{m, name})
		in[m.GroupID] = true
	}
	if reg.Catalog != nil {
		for _, g := range reg.Catalog.Groups {
			if !in[g.ID] {
				org.Addable = append(org.Addable, g)
			}
		}
	}
	if g, ok := reg.Catalog.SmartType(u.Groups); ok {
		org.SmartType = g.Name
	}
	return org
}

func (s *Server) handleMemberAdd(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("id")
	gid, err := strconv.ParseInt(r.PostFormValue("group_id"), 10, 64)
	if err != nil {
		s.error(w, r, roster.Errorf(roster.EINVALID, "Choose a group."))
		return
	}
	if err := s.Groups.AddMember(r.Context(), gid, uid); err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Added to the group.")
	http.Redirect(w, r, "/users/"+url.PathEscape(uid)+"#groups", http.StatusSeeOther)
}

func (s *Server) handleMemberRemove(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("id")
	gid, err := pathID(r, "group", "group")
	if err == nil {
		err = s.Groups.RemoveMember(r.Context(), gid, uid)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Removed from the group.")
	http.Redirect(w, r, "/users/"+url.PathEscape(uid)+"#groups", http.StatusSeeOther)
}

// orgCell renders the values the catalog names: group ids as group names,
// the derived smart type as its group's name; and the computed access
// state. ok is false for other fields.
func orgCell(reg *roster.Registry, f roster.Field, u *roster.User) (cell, bool) {
	switch f.Type {
	case roster.TypeGroups:
		var names []string
		for _, id := range u.Groups {
			if g, ok := reg.Catalog.Group(id); ok {
				names = append(names, g.Name)
			}
		}
		if len(names) == 0 {
			return cell{Kind: "empty"}, true
		}
		return cell{Kind: "set", Items: names}, true
	case roster.TypeSmartType:
		if g, ok := reg.Catalog.SmartType(u.Groups); ok {
			return cell{Text: g.Name}, true
		}
		return cell{Kind: "empty"}, true
	case roster.TypeAccess:
		return cell{Text: string(reg.Access.Of(u))}, true
	}
	return cell{}, false
}

// smartTypeRow is a group of the smart type settings.
type smartTypeRow struct {
	Group roster.Group
	On    bool
	Order int
}

type smartTypesView struct {
	Rows  []smartTypeRow
	Error string
}

func (s *Server) handleSmartTypes(w http.ResponseWriter, r *http.Request) {
	s.renderSmartTypes(w, r, http.StatusOK, "")
}

func (s *Server) renderSmartTypes(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ctx := r.Context()
	groups, err := s.Groups.FindGroups(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, err := s.Groups.SmartTypes(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view := smartTypesView{Error: msg}
	// The list first, in its order; the other groups after, in display
	// order, unticked.
	for i, id := range list {
		for _, g := range groups {
			if g.ID == id {
				view.Rows = append(view.Rows, smartTypeRow{g, true, i + 1})
			}
		}
	}
	for _, g := range groups {
		if !slices.Contains(list, g.ID) {
			view.Rows = append(view.Rows, smartTypeRow{g, false, len(view.Rows) + 1})
		}
	}
	s.render(w, r, status, "settings_smart_types", "Smart types", view)
}

// handleSmartTypesSave takes the ticked groups ordered by their order
// numbers (ties keep the page's order).
func (s *Server) handleSmartTypesSave(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	type entry struct {
		id    int64
		order int
	}
	var picked []entry
	for i, v := range r.PostForm["group"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.renderSmartTypes(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		if r.PostFormValue(fmt.Sprintf("on.%d", id)) == "" {
			continue
		}
		order := i + 1
		if o := strings.TrimSpace(r.PostFormValue(fmt.Sprintf("order.%d", id))); o != "" {
			n, err := strconv.Atoi(o)
			if err != nil {
				s.renderSmartTypes(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("The order %s is not a whole number.", roster.Quote(o)))
				return
			}
			order = n
		}
		picked = append(picked, entry{id, order})
	}
	slices.SortStableFunc(picked, func(a, b entry) int { return a.order - b.order })
	ids := make([]int64, len(picked))
	for i, e := range picked {
		ids[i] = e.id
	}
	if err := s.Groups.SetSmartTypes(r.Context(), ids); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderSmartTypes(w, r, http.StatusUnprocessableEntity, roster.ErrorMessage(err))
		return
	}
	s.setFlash(w, r, "Smart types saved.")
	http.Redirect(w, r, "/settings/smart-types", http.StatusSeeOther)
}

// countFilter returns how many users the filter text selects.
func (s *Server) countFilter(r *http.Request, reg *roster.Registry, text string) (int, error) {
	f, err := query.Parse(text)
	if err != nil {
		return 0, err
	}
	plan, err := query.Compile(f, reg, staffFrom(r).Location())
	if err != nil {
		return 0, err
	}
	res, err := s.Search.Search(r.Context(), plan, query.Page{Limit: 1})
	if err != nil {
		return 0, err
	}
	return res.Total, nil
}
