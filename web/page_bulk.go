package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"roster"
	"roster/query"
)

// Bulk actions on the user table: add a tag to, or remove one from, every
// user the table's filter matches; add them to a group or remove them from
// one. The table's form leads to a confirmation page that states the
// action and the count; only its POST changes anything.

// bulkActions names each action for the confirmation page and the flash.
var bulkActions = map[string]struct{ Ask, Done string }{
	"tag-add":      {"Add the tag %[3]s to %[1]s %[2]s?", "Tagged %[1]s %[2]s with %[3]s."},
	"tag-remove":   {"Remove the tag %[3]s from %[1]s %[2]s?", "Removed the tag %[3]s from %[1]s %[2]s."},
	"group-add":    {"Add %[1]s %[2]s to the group %[3]s?", "Added %[1]s %[2]s to the group %[3]s."},
	"group-remove": {"Remove %[1]s %[2]s from the group %[3]s?", "Removed %[1]s %[2]s from the group %[3]s."},
}

// bulkAction is a bulk action as the table's forms carry it.
type bulkAction struct {
	State  tableState // Q and Members choose the users
	Action string
	Target int64 // the tag or group id
	Name   string
}

// bulkView is the confirmation page.
type bulkView struct {
	bulkAction
	Question string
	Count    int
	Back     string
}

// readBulk reads and checks a bulk request from GET or POST values, and
// names its tag or group.
func (s *Server) readBulk(r *http.Request) (*bulkAction, error) {
	v := r.Form
	if r.Method == http.MethodGet {
		v = r.URL.Query()
	}
	b := &bulkAction{
		State:  tableState{Q: strings.TrimSpace(v.Get("q")), Members: v.Get("view") == "members", Limit: query.DefaultLimit, Page: 1},
		Action: v.Get("action"),
	}
	if _, ok := bulkActions[b.Action]; !ok {
		return nil, roster.Errorf(roster.EINVALID, "Choose what to do: add or remove a tag, or add to or remove from a group.")
	}
	target := v.Get("tag")
	if strings.HasPrefix(b.Action, "group-") {
		target = v.Get("group")
	}
	id, err := strconv.ParseInt(target, 10, 64)
	if err != nil || id <= 0 {
		if strings.HasPrefix(b.Action, "group-") {
			return nil, roster.Errorf(roster.ENOTFOUND, "There is no such group.")
		}
		return nil, roster.Errorf(roster.ENOTFOUND, "There is no such tag.")
	}
	b.Target = id
	if strings.HasPrefix(b.Action, "tag-") {
		t, err := s.Tags.FindTag(r.Context(), id)
		if err != nil {
			return nil, err
		}
		b.Name = t.Name
	} else {
		g, err := s.Groups.FindGroup(r.Context(), id)
		if err != nil {
			return nil, err
		}
		b.Name = g.Name
	}
	return b, nil
}

// match returns the store ids of every user the table's filter selects,
// compiled as handleUsers compiles it.
func (s *Server) match(r *http.Request, st tableState) ([]int64, error) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return nil, err
	}
	f, err := query.Parse(st.Q)
	if err != nil {
		return nil, err
	}
	plan, err := query.Compile(f, reg, staffFrom(r).Location())
	if err != nil {
		return nil, err
	}
	if st.Members {
		plan.Groups = append(plan.Groups, membersGroup(reg))
	}
	return s.Search.Match(r.Context(), plan)
}

// filterText says what chose the users, for the audit log.
func (b *bulkAction) filterText() string {
	text := b.State.Q
	if b.State.Members {
		text = strings.TrimSpace(text + " (community members)")
	}
	if text == "" {
		return "(all users)"
	}
	return text
}

// bulkSelection reads the bulk action of r and the users its filter matches
// now.
func (s *Server) bulkSelection(r *http.Request) (*bulkAction, []int64, error) {
	b, err := s.readBulk(r)
	if err != nil {
		return nil, nil, err
	}
	ids, err := s.match(r, b.State)
	return b, ids, err
}

func usersWord(n int) string { return plural(n, "user", "users") }

// handleBulkConfirm shows what a bulk action will do, and to how many
// users, with the button that does it.
func (s *Server) handleBulkConfirm(w http.ResponseWriter, r *http.Request) {
	b, ids, err := s.bulkSelection(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n := len(ids)
	q := fmt.Sprintf(bulkActions[b.Action].Ask, thousands(int64(n)), usersWord(n), b.Name)
	s.render(w, r, http.StatusOK, "bulk", "Bulk action", &bulkView{bulkAction: *b, Question: q, Count: n, Back: b.State.URL()})
}

// handleBulkApply does a confirmed bulk action on the users the filter
// matches now, and returns to the table with the result.
func (s *Server) handleBulkApply(w http.ResponseWriter, r *http.Request) {
	b, ids, err := s.bulkSelection(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ctx, filter := r.Context(), b.filterText()
	var n int
	switch b.Action {
	case "tag-add":
		n, err = s.Tags.TagUsers(ctx, b.Target, ids, filter)
	case "tag-remove":
		n, err = s.Tags.UntagUsers(ctx, b.Target, ids, filter)
	case "group-add":
		n, err = s.Groups.AddMembers(ctx, b.Target, ids, filter)
	case "group-remove":
		n, err = s.Groups.RemoveMembers(ctx, b.Target, ids, filter)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	msg := fmt.Sprintf(bulkActions[b.Action].Done, thousands(int64(n)), usersWord(n), b.Name)
	if skipped := len(ids) - n; skipped > 0 {
		msg += fmt.Sprintf(" %s of the %s matching %s needed no change.", thousands(int64(skipped)), thousands(int64(len(ids))), usersWord(len(ids)))
	}
	s.setFlash(w, r, msg)
	http.Redirect(w, r, b.State.URL(), http.StatusSeeOther)
}

// bulkForm is what the table's "Bulk actions" panel offers: tags and
// groups to staff who organize, invites to staff who manage users.
type bulkForm struct {
	Organize bool
	Tags     []roster.Tag
	Groups   []roster.Group
	Invite   bool
}

// bulkForm returns what the table's "Bulk actions" panel offers, or nil
// for staff who may not use it.
func (s *Server) bulkForm(r *http.Request, reg *roster.Registry) *bulkForm {
	st := staffFrom(r)
	organize, invite := st.Can(roster.PermOrganize), st.Can(roster.PermManageUsers) && s.Invites != nil
	if !organize && !invite {
		return nil
	}
	b := &bulkForm{Organize: organize, Invite: invite}
	if reg.Catalog != nil {
		b.Tags, b.Groups = reg.Catalog.Tags, reg.Catalog.Groups
	}
	return b
}

// bulkPanel is the "Bulk actions" panel's template data.
type bulkPanel struct {
	Form  *bulkForm
	State tableState
}
