package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// scopeCase says how to call a nested route (/{parent}/.../{child}) with a
// child that belongs to another parent. make sets up both parents and
// returns the value of each path wildcard and state, which reads the rows
// the call could wrongly change: the test checks that they stay as they
// were. The answer must be status: 404, unless the route acts on a link
// that the parent may simply not have, which why explains.
type scopeCase struct {
	status int
	why    string
	make   func(t *testing.T, w *world) (wildcards map[string]string, state func(t *testing.T) string)
}

// scopeRoutes has a row for every route with two or more path wildcards.
// TestRoutes_NestedAreScoped fails for a route without one.
var scopeRoutes = map[string]scopeCase{
	"POST /groups/{id}/codes/{code}/delete":      {status: http.StatusNotFound, make: codeOfAnotherGroup},
	"DELETE /api/v1/groups/{id}/codes/{code_id}": {status: http.StatusNotFound, make: codeOfAnotherGroup},
	"POST /users/{id}/tags/{tag}/remove":         {status: http.StatusSeeOther, why: untagWhy, make: tagOfAnotherUser},
	"DELETE /api/v1/users/{id}/tags/{tag_id}":    {status: http.StatusOK, why: untagWhy, make: tagOfAnotherUser},
	"POST /users/{id}/groups/{group}/remove":     {status: http.StatusSeeOther, why: leaveWhy, make: groupOfAnotherUser},
	"POST /users/{id}/segments/{segment}": {status: http.StatusBadRequest, why: "segments are shared by every user: any user may be added to or removed from any segment by hand, so the pair is not refused; without member=1 or 0 the call is bad input and changes nothing",
		make: segmentOfAnotherUser},
	"DELETE /api/v1/groups/{id}/members/{user_id}": {status: http.StatusNoContent, why: leaveWhy, make: memberOfAnotherGroup},
	"POST /api/v1/groups/{id}/members/{user_id}": {status: http.StatusOK, why: "a user is not owned by a group: adding a member of another group to this one is what the route is for; the other group must keep its member",
		make: memberOfAnotherGroup},
	"POST /users/{id}/sessions/{session}/end":                   {status: http.StatusNotFound, make: sessionOfAnotherUser},
	"DELETE /api/v1/users/{id}/sessions/{session_id}":           {status: http.StatusNotFound, make: sessionOfAnotherUser},
	"POST /users/{id}/push-tokens/{token}/delete":               {status: http.StatusNotFound, make: pushTokenOfAnotherUser},
	"DELETE /api/v1/users/{id}/push-tokens/{token_id}":          {status: http.StatusNotFound, make: pushTokenOfAnotherUser},
	"POST /settings/webhooks/{id}/deliveries/{delivery}/replay": {status: http.StatusNotFound, make: deliveryOfAnotherWebhook},
	"POST /api/v1/webhooks/{id}/deliveries/{delivery}/replay":   {status: http.StatusNotFound, make: deliveryOfAnotherWebhook},
	// {op} is not a child but the action on the message: any op but
	// "retry" is refused and leaves a failed message failed.
	"POST /settings/email/{id}/{op}": {status: http.StatusNotFound, make: func(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
		u, _ := w.user(t, "op")
		m := w.failedMessage(t, u)
		return map[string]string{"id": itoa(m), "op": "delete"}, func(t *testing.T) string {
			msg, err := w.ts.Outbox.FindOutboxMessage(w.ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			return string(msg.Status)
		}
	}},
}

const (
	untagWhy = "tags are shared by every user: taking off a tag the user does not have changes nothing and answers like a removal (idempotent)"
	leaveWhy = "groups are shared by every user: removing a user from a group they are not in changes nothing and answers like a removal (idempotent)"
)

// codeOfAnotherGroup is group A with a code of its own, and a code of group B.
func codeOfAnotherGroup(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, b := w.group(t, "A", roster.JoinCode), w.group(t, "B", roster.JoinCode)
	w.code(t, a.ID)
	c := w.code(t, b.ID)
	return map[string]string{"id": itoa(a.ID), "code": itoa(c.ID), "code_id": itoa(c.ID)}, func(t *testing.T) string {
		return w.codesOf(t, a.ID) + " " + w.codesOf(t, b.ID)
	}
}

// tagOfAnotherUser is user A with a tag of its own, and a tag only user B has.
func tagOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	w.tag(t, "Mine", a)
	tag := w.tag(t, "Theirs", b)
	return map[string]string{"id": a, "tag": itoa(tag), "tag_id": itoa(tag)}, func(t *testing.T) string {
		return w.tagsOf(t, a) + " " + w.tagsOf(t, b)
	}
}

// groupOfAnotherUser is user A in a group of its own, and a group only
// user B is in.
func groupOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	w.group(t, "Mine", roster.JoinOpen, a)
	g := w.group(t, "Theirs", roster.JoinOpen, b)
	return map[string]string{"id": a, "group": itoa(g.ID)}, func(t *testing.T) string {
		return w.groupsOf(t, a) + " " + w.groupsOf(t, b)
	}
}

// segmentOfAnotherUser is user A, and a segment user B was added to by
// hand.
func segmentOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	sg := w.segment(t, "Theirs")
	if err := w.segments.SetSegmentMember(w.ctx, sg.ID, b, true); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"id": a, "segment": itoa(sg.ID)}, func(t *testing.T) string {
		got, err := w.segments.FindSegment(w.ctx, sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("added %v removed %v", got.AddedUsers, got.RemovedUsers)
	}
}

// memberOfAnotherGroup is group A with a member of its own, and a user in
// group B only.
func memberOfAnotherGroup(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	mine, _ := w.user(t, "mine")
	theirs, _ := w.user(t, "theirs")
	a := w.group(t, "A", roster.JoinOpen, mine)
	b := w.group(t, "B", roster.JoinOpen, theirs)
	return map[string]string{"id": itoa(a.ID), "user_id": theirs}, func(t *testing.T) string {
		// Group B's side: its member's place in it, and A's own member.
		ms, err := w.groups.Memberships(w.ctx, theirs)
		if err != nil {
			t.Fatal(err)
		}
		in := slices.ContainsFunc(ms, func(m roster.Membership) bool { return m.GroupID == b.ID })
		return fmt.Sprintf("in B: %v; A's own: %s", in, w.groupsOf(t, mine))
	}
}

func (w *world) codesOf(t *testing.T, group int64) string {
	t.Helper()
	cs, err := w.groups.FindCodes(w.ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%d:%d/%d", c.ID, c.Uses, c.MaxUses))
	}
	return fmt.Sprintf("group %d codes %v", group, out)
}

func (w *world) tagsOf(t *testing.T, user string) string {
	t.Helper()
	return fmt.Sprintf("user %s tags %v", user, w.ts.userRefs(t, user).Tags)
}

func (w *world) groupsOf(t *testing.T, user string) string {
	t.Helper()
	ms, err := w.groups.Memberships(w.ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%d via %s", m.GroupID, m.Via))
	}
	return fmt.Sprintf("user %s groups %v", user, out)
}

// wildcards returns the names of a path pattern's wildcards.
func wildcards(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return out
}

// TestRoutes_NestedAreScoped calls every route with two or more path
// wildcards (a child under its parent) with a child of another parent, and
// checks that it is refused with 404 (or, for a link the parent may simply
// not have, answered as the row says) and that nothing changed in either
// parent. The list of routes is the server's own: a nested route without
// a row in scopeRoutes fails here.
func TestRoutes_NestedAreScoped(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		w := newWorld(t, db)
		seen := map[string]bool{}
		covered := 0
		for _, rt := range w.ts.Web.Routes() {
			names := wildcards(rt.Path())
			if len(names) < 2 {
				continue
			}
			seen[rt.Pattern] = true
			sc, ok := scopeRoutes[rt.Pattern]
			if !ok {
				t.Errorf("route %q is nested (%v) but has no row in scopeRoutes: say how to call it with a child of another parent", rt.Pattern, names)
				continue
			}
			if sc.status != http.StatusNotFound && sc.why == "" {
				t.Errorf("route %q: a child of another parent must get 404, or the row must say why not", rt.Pattern)
			}
			covered++
			t.Run(rt.Pattern, func(t *testing.T) {
				values, state := sc.make(t, w)
				path := rt.Path()
				for _, n := range names {
					v, ok := values[n]
					if !ok {
						t.Fatalf("the row gives no value for {%s}", n)
					}
					path = strings.Replace(path, "{"+n+"}", url.PathEscape(v), 1)
				}
				before := state(t)
				var status int
				var body string
				if strings.HasPrefix(path, "/api/") {
					w.markNow(t)
					status, body = w.ts.do(t, roster.RoleAdmin, rt.Method(), path, "")
				} else {
					b := w.b.with(t)
					form := url.Values{"csrf": {b.csrf()}}
					w.markNow(t)
					resp := b.post(path, form, nil)
					status, body = resp.StatusCode, resp.Body
				}
				if status != sc.status {
					t.Errorf("%s %s: status %d, want %d; body %.300s", rt.Method(), path, status, sc.status, body)
				}
				if after := state(t); after != before {
					t.Errorf("%s %s changed another parent's rows:\n before %s\n after  %s", rt.Method(), path, before, after)
				}
				if sc.status == http.StatusNotFound {
					if got := w.since(t); len(got) > 0 {
						t.Errorf("a refused call wrote %d audit entries, the first %s", len(got), got[0].Action)
					}
				}
			})
		}
		for pattern := range scopeRoutes {
			if !seen[pattern] {
				t.Errorf("scopeRoutes has a row for %q, which is not a nested route of the server", pattern)
			}
		}
		t.Logf("%d nested routes checked", covered)
	})
}

// sessionOfAnotherUser is user A with a session of its own, and a session
// of user B.
func sessionOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	w.session(t, a)
	_, id := w.session(t, b)
	return map[string]string{"id": a, "session": itoa(id), "session_id": itoa(id)}, func(t *testing.T) string {
		return w.sessionsOf(t, a) + " " + w.sessionsOf(t, b)
	}
}

// pushTokenOfAnotherUser is user A with a push token of its own, and one
// of user B.
func pushTokenOfAnotherUser(t *testing.T, w *world) (map[string]string, func(t *testing.T) string) {
	a, _ := w.user(t, "a")
	b, _ := w.user(t, "b")
	w.pushToken(t, a, "mine")
	id := w.pushToken(t, b, "theirs")
	return map[string]string{"id": a, "token": itoa(id), "token_id": itoa(id)}, func(t *testing.T) string {
		return w.pushTokensOf(t, a) + " " + w.pushTokensOf(t, b)
	}
}
