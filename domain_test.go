package roster_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"roster"
)

// wantField checks that err is EINVALID with msg on key, or nil when key
// is "".
func wantField(t *testing.T, what string, err error, key, msg string) {
	t.Helper()
	if key == "" {
		if err != nil {
			t.Errorf("%s: %v, want nil", what, err)
		}
		return
	}
	if roster.ErrorCode(err) != roster.EINVALID || roster.ErrorFields(err)[key] != msg {
		t.Errorf("%s: %v, want %s: %q", what, err, key, msg)
	}
}

func TestErrors(t *testing.T) {
	e := roster.Errorf(roster.ENOTFOUND, "user %s not found", "u_1")
	if e.Error() != "roster error: code=not_found message=user u_1 not found" || e.Position != -1 {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := fmt.Errorf("load: %w", e)
	if roster.ErrorCode(wrapped) != roster.ENOTFOUND || roster.ErrorMessage(wrapped) != "user u_1 not found" {
		t.Errorf("code %q message %q", roster.ErrorCode(wrapped), roster.ErrorMessage(wrapped))
	}
	plain := errors.New("disk on fire")
	if roster.ErrorCode(plain) != roster.EINTERNAL || roster.ErrorMessage(plain) != "Internal error." || roster.ErrorFields(plain) != nil {
		t.Errorf("a plain error is internal and says nothing")
	}
	if roster.ErrorCode(nil) != "" || roster.ErrorMessage(nil) != "" {
		t.Errorf("nil has a code or message")
	}
	if roster.ErrorMessageOr(plain) != "disk on fire" || roster.ErrorMessageOr(e) != "user u_1 not found" {
		t.Errorf("ErrorMessageOr: %q, %q", roster.ErrorMessageOr(plain), roster.ErrorMessageOr(e))
	}

	fe := roster.FieldErrors{}
	if fe.Err() != nil {
		t.Errorf("no field errors is no error")
	}
	fe.Add("email", "is required")
	fe.Add("email", "is not valid") // the first message stays
	if err := fe.Err(); roster.ErrorMessage(err) != "email: is required" {
		t.Errorf("one field: %q", roster.ErrorMessage(err))
	}
	fe.Add("city", "is too long")
	err := fe.Err()
	if roster.ErrorMessage(err) != "Some fields are not valid." || roster.ErrorMessageOr(err) != "city is too long; email is required" {
		t.Errorf("two fields: %q, %q", roster.ErrorMessage(err), roster.ErrorMessageOr(err))
	}
	if err.Error() != "roster error: code=invalid message=Some fields are not valid. fields=[city: is too long; email: is required]" {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestGroup(t *testing.T) {
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		g        roster.Group
		key, msg string
	}{
		{"ok", roster.Group{Name: " Gold ", Properties: map[string]any{"tier": "a", "rank": 2.0, "vip": true}}, "", ""},
		{"no name", roster.Group{Name: " "}, "name", "is required"},
		{"long name", roster.Group{Name: strings.Repeat("x", 101)}, "name", "is longer than 100 characters"},
		{"control", roster.Group{Name: "a\tb"}, "name", "must not hold control characters"},
		{"description", roster.Group{Name: "G", Description: strings.Repeat("x", 2001)}, "description", "is longer than 2000 characters"},
		{"window", roster.Group{Name: "G", StartsAt: now, StopsAt: now}, "stops_at", "must be after starts_at"},
		{"join type", roster.Group{Name: "G", JoinType: "invite"}, "join_type", `must be "open" or "code"`},
		{"order", roster.Group{Name: "G", Order: 2_000_000}, "order", "must be between -1000000 and 1000000"},
		{"property key", roster.Group{Name: "G", Properties: map[string]any{"Bad": "x"}}, "properties", `"Bad" is not a property name (a-z, 0-9 and _, starting with a letter, at most 40)`},
		{"property length", roster.Group{Name: "G", Properties: map[string]any{"a": strings.Repeat("x", 1001)}}, "properties", `"a" is longer than 1000 characters`},
		{"property control", roster.Group{Name: "G", Properties: map[string]any{"a": "x\x07"}}, "properties", `"a" must not hold control characters`},
		{"property number", roster.Group{Name: "G", Properties: map[string]any{"a": math.Inf(1)}}, "properties", `"a" is not a finite number`},
		{"property type", roster.Group{Name: "G", Properties: map[string]any{"a": []any{}}}, "properties", `"a" must be text, a number or true/false`},
		{"many properties", roster.Group{Name: "G", Properties: manyProperties(51)}, "properties", "at most 50 properties"},
	} {
		g := tc.g
		wantField(t, tc.name, g.Validate(), tc.key, tc.msg)
		if tc.key == "" && (g.Name != "Gold" || g.JoinType != roster.JoinOpen) {
			t.Errorf("%s: not normalised: %+v", tc.name, g)
		}
	}

	g := roster.Group{StartsAt: now, StopsAt: now.Add(time.Hour)}
	if g.Active(now.Add(-time.Second)) || !g.Active(now) || g.Active(now.Add(time.Hour)) || !(&roster.Group{}).Active(now) {
		t.Errorf("Active")
	}
	name, desc, start, stop, view, join, order := "N", "D", now, now.Add(time.Hour), true, roster.JoinCode, 3
	roster.GroupUpdate{Name: &name, Description: &desc, StartsAt: &start, StopsAt: &stop, UserViewable: &view,
		JoinType: &join, Order: &order, Properties: map[string]any{"a": "b"}}.Apply(&g)
	if g.Name != "N" || g.Description != "D" || !g.StopsAt.Equal(stop) || !g.UserViewable || g.JoinType != roster.JoinCode || g.Order != 3 || g.Properties["a"] != "b" {
		t.Errorf("Apply: %+v", g)
	}
	roster.GroupUpdate{}.Apply(&g)
	if g.Name != "N" {
		t.Errorf("an empty update changed the group")
	}

	if got := roster.NormalizeCode(" ab-cd ef "); got != "ABCDEF" {
		t.Errorf("NormalizeCode = %q", got)
	}
	for _, tc := range []struct {
		name     string
		req      roster.CodeRequest
		key, msg string
	}{
		{"defaults", roster.CodeRequest{}, "", ""},
		{"chosen", roster.CodeRequest{Code: "summer-2025"}, "", ""},
		{"count", roster.CodeRequest{Count: 10001}, "count", "must be between 1 and 10000"},
		{"chosen many", roster.CodeRequest{Code: "SUMMER", Count: 2}, "code", "a chosen code is one code: leave count at 1"},
		{"short", roster.CodeRequest{Code: "ab"}, "code", "must have 4 to 40 letters or digits"},
		{"symbols", roster.CodeRequest{Code: "ab!cd"}, "code", "may hold only letters and digits (dashes and spaces are ignored)"},
		{"uses", roster.CodeRequest{MaxUses: -1}, "max_uses", "must be between 1 and 1000000000 (for codes without a limit, ask for unlimited)"},
		{"unlimited and uses", roster.CodeRequest{MaxUses: 3, Unlimited: true}, "unlimited", "cannot be combined with max_uses"},
		{"expired", roster.CodeRequest{ExpiresAt: now}, "expires_at", "is in the past"},
		{"window", roster.CodeRequest{StartsAt: now.Add(2 * time.Hour), ExpiresAt: now.Add(time.Hour)}, "expires_at", "must be after starts_at"},
	} {
		req := tc.req
		wantField(t, tc.name, req.Validate(now), tc.key, tc.msg)
	}
}

func manyProperties(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("p%d", i)] = true
	}
	return m
}

func TestImportOptionsAndJob(t *testing.T) {
	o := roster.ImportOptions{}
	o.Normalize()
	if o.Mode != roster.ImportUpsert || o.Key != "email" || o.Validate() != nil {
		t.Errorf("defaults: %+v", o)
	}
	bad := roster.ImportOptions{Mode: "merge", Key: "city"}
	err := bad.Validate()
	wantField(t, "mode", err, "mode", `"merge" is not one of create, update, upsert`)
	wantField(t, "key", err, "key", `"city" is not one of email, client_id, id`)

	for s, done := range map[roster.JobStatus]bool{roster.JobQueued: false, roster.JobRunning: false, roster.JobNeedsMapping: false,
		roster.JobDone: true, roster.JobFailed: true, roster.JobCanceled: true} {
		if s.Finished() != done {
			t.Errorf("%s.Finished() = %v", s, !done)
		}
	}
	c := roster.ImportCounts{Read: 1, Created: 1}
	c.Add(roster.ImportCounts{Read: 3, Updated: 1, Unchanged: 1, Failed: 1})
	if c != (roster.ImportCounts{Read: 4, Created: 1, Updated: 1, Unchanged: 1, Failed: 1}) {
		t.Errorf("Add: %+v", c)
	}
	for _, tc := range []struct {
		j    roster.Job
		want float64
	}{
		{roster.Job{Status: roster.JobDone}, 1},
		{roster.Job{Status: roster.JobRunning}, 0},
		{roster.Job{Status: roster.JobRunning, FileSize: 200, Offset: 50}, 0.25},
		{roster.Job{Status: roster.JobRunning, FileSize: 200, Offset: 400}, 1},
	} {
		if got := tc.j.Progress(); got != tc.want {
			t.Errorf("Progress(%+v) = %v, want %v", tc.j, got, tc.want)
		}
	}
	r := roster.FailedRow{Errors: []roster.CellError{{Column: "Email", Message: "is required"}, {Message: "the row is short"}}}
	if got := r.Reason(); got != "Email: is required; the row is short" {
		t.Errorf("Reason = %q", got)
	}
	if roster.UniqueValue("email", " Ada@X.io ") != "ada@x.io" || roster.UniqueValue("client_id", " SSO ") != "SSO" || roster.UniqueValue("id", nil) != "" {
		t.Errorf("UniqueValue")
	}
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1500: "1.5 kB", 2_000_000: "2.0 MB", 3_100_000_000: "3.1 GB"} {
		if got := roster.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestStaff(t *testing.T) {
	if r, err := roster.ParseRole("admin"); err != nil || r != roster.RoleAdmin {
		t.Errorf("ParseRole(admin) = %v, %v", r, err)
	}
	if _, err := roster.ParseRole("root"); roster.ErrorCode(err) != roster.EINVALID {
		t.Errorf("ParseRole(root) = %v", err)
	}
	if !roster.RoleOwner.Can(roster.PermManageOwners) || roster.RoleAdmin.Can(roster.PermManageOwners) ||
		!roster.RoleViewer.Can(roster.PermViewUsers) || roster.RoleViewer.Can(roster.PermEditUsers) || roster.Role("x").Can(roster.PermSelf) {
		t.Errorf("role permissions")
	}
	s := &roster.Staff{Email: "ada@example.com", Role: roster.RoleSupport, Active: true, TimeZone: "Europe/Paris"}
	if !s.Can(roster.PermEditUsers) || (&roster.Staff{Role: roster.RoleOwner}).Can(roster.PermSelf) || (*roster.Staff)(nil).Can(roster.PermSelf) {
		t.Errorf("staff permissions: inactive and nil staff can do nothing")
	}
	if s.Location().String() != "Europe/Paris" || (&roster.Staff{TimeZone: "Mars/Olympus"}).Location() != time.UTC || (*roster.Staff)(nil).Location() != time.UTC {
		t.Errorf("Location")
	}
	wantField(t, "ok", s.Validate(), "", "")
	wantField(t, "email", (&roster.Staff{Email: "x", Role: roster.RoleAdmin}).Validate(), "email", "is not a valid email address")
	wantField(t, "role", (&roster.Staff{Email: "a@x.io", Role: "root"}).Validate(), "role", "must be one of owner, admin, manager, support, viewer")
	wantField(t, "name", (&roster.Staff{Email: "a@x.io", Role: roster.RoleAdmin, Name: strings.Repeat("x", 101)}).Validate(), "name", "is longer than 100 characters")
	wantField(t, "zone", (&roster.Staff{Email: "a@x.io", Role: roster.RoleAdmin, TimeZone: "Mars/Olympus"}).Validate(), "time_zone", "is not a known time zone")

	wantField(t, "password", roster.CheckImportedPassword("correct horse"), "", "")
	wantField(t, "short password", roster.CheckImportedPassword("short"), "password", "must have at least 10 characters")
	wantField(t, "long password", roster.CheckImportedPassword(strings.Repeat("x", 1025)), "password", "is longer than 1024 bytes")

	ctx := context.Background()
	if a := roster.ActorFromContext(ctx); a.Label != "system" {
		t.Errorf("actor of a bare context: %+v", a)
	}
	staff := &roster.Staff{ID: 7, Email: "ada@example.com", Role: roster.RoleAdmin}
	if a := roster.ActorFromContext(roster.NewContextWithActor(ctx, roster.StaffActor(staff))); a != (roster.Actor{StaffID: 7, Label: "ada@example.com", Role: roster.RoleAdmin}) {
		t.Errorf("actor: %+v", a)
	}
}

func TestTagSegmentMonth(t *testing.T) {
	tag := roster.Tag{Name: " VIP ", Color: " #B42318 "}
	if err := tag.Validate(); err != nil || tag.Name != "VIP" || tag.Color != "#b42318" {
		t.Errorf("tag: %+v, %v", tag, err)
	}
	wantField(t, "tag colour", (&roster.Tag{Name: "x", Color: "red"}).Validate(), "color", "must be a colour in the form #rrggbb")
	wantField(t, "tag name", (&roster.Tag{}).Validate(), "name", "is required")

	sg := roster.Segment{ID: 3, Name: " Fans ", Include: []roster.SegmentRef{{Type: roster.RefGroup, ID: 1}}}
	wantField(t, "segment", sg.Validate(), "", "")
	for _, tc := range []struct {
		s        roster.Segment
		key, msg string
	}{
		{roster.Segment{Name: "S", Q: strings.Repeat("x", 4001)}, "q", "is longer than 4000 bytes"},
		{roster.Segment{Name: "S", Include: []roster.SegmentRef{{Type: "tag", ID: 1}}}, "include", `each entry's type must be "group" or "segment"`},
		{roster.Segment{Name: "S", Exclude: []roster.SegmentRef{{Type: roster.RefGroup}}}, "exclude", "each entry needs an id"},
		{roster.Segment{ID: 3, Name: "S", Include: []roster.SegmentRef{{Type: roster.RefSegment, ID: 3}}}, "include", "a segment cannot include or exclude itself"},
		{roster.Segment{Name: "S", Include: make([]roster.SegmentRef, 101)}, "include", "at most 100 groups and segments"},
	} {
		wantField(t, "segment", tc.s.Validate(), tc.key, tc.msg)
	}

	m := roster.MemberOfMonth{Month: " 2025-03 ", UserID: "u_1", Citation: " Helped everyone. "}
	if err := m.Validate(); err != nil || m.Month != "2025-03" || m.Citation != "Helped everyone." {
		t.Errorf("month: %+v, %v", m, err)
	}
	wantField(t, "month", (&roster.MemberOfMonth{Month: "March", UserID: "u"}).Validate(), "month", "must be a month in the form YYYY-MM")
	wantField(t, "user", (&roster.MemberOfMonth{Month: "2025-03"}).Validate(), "user_id", "is required")
	wantField(t, "citation", (&roster.MemberOfMonth{Month: "2025-03", UserID: "u", Citation: strings.Repeat("x", 501)}).Validate(), "citation", "is longer than 500 characters")
	wantField(t, "citation control", (&roster.MemberOfMonth{Month: "2025-03", UserID: "u", Citation: "a\x07"}).Validate(), "citation", "must not hold control characters")
	if _, err := roster.ParseMonth("1999-12"); roster.ErrorCode(err) != roster.EINVALID {
		t.Errorf("ParseMonth(1999-12) = %v", err)
	}
}

func TestPublicID(t *testing.T) {
	a, b := roster.NewPublicID(), roster.NewPublicID()
	if a == b || !roster.ValidPublicID(a) || !roster.ValidPublicID(b) {
		t.Errorf("ids %q %q", a, b)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if x, y := roster.PublicIDAt(at, 1), roster.PublicIDAt(at.Add(time.Second), 0); x >= y {
		t.Errorf("ids are not ordered by time: %q >= %q", x, y)
	}
	for s, valid := range map[string]bool{
		"u_0123456789abcdef": true, "": false, "u_0123456789abcde": false, "v_0123456789abcdef": false,
		"u_0123456789abcdei": false, // i is not in the alphabet
	} {
		if roster.ValidPublicID(s) != valid {
			t.Errorf("ValidPublicID(%q) = %v", s, !valid)
		}
	}
}

func TestCatalog(t *testing.T) {
	c := &roster.Catalog{
		Tags:       []roster.Tag{{ID: 1, Name: "VIP"}},
		Groups:     []roster.Group{{ID: 10, Name: "Gold"}, {ID: 11, Name: "Silver"}},
		Segments:   []roster.Segment{{ID: 5, Name: "Fans"}},
		SmartTypes: []int64{11, 10},
	}
	if tag, ok := c.Tag(1); !ok || tag.Name != "VIP" {
		t.Errorf("Tag(1)")
	}
	if _, ok := c.Tag(2); ok {
		t.Errorf("Tag(2)")
	}
	if g, ok := c.Group(11); !ok || g.Name != "Silver" {
		t.Errorf("Group(11)")
	}
	if s, ok := c.Segment(5); !ok || s.Name != "Fans" {
		t.Errorf("Segment(5)")
	}
	if _, ok := c.Segment(6); ok {
		t.Errorf("Segment(6)")
	}
	if g, ok := c.SmartType([]int64{10, 11}); !ok || g.Name != "Silver" {
		t.Errorf("SmartType: the first of the smart type list wins, got %v", g.Name)
	}
	if _, ok := c.SmartType([]int64{12}); ok {
		t.Errorf("SmartType of no listed group")
	}
	var none *roster.Catalog
	if _, ok := none.Tag(1); ok {
		t.Errorf("nil catalog has a tag")
	}
	if _, ok := none.Group(1); ok {
		t.Errorf("nil catalog has a group")
	}
	if _, ok := none.Segment(1); ok {
		t.Errorf("nil catalog has a segment")
	}
	if _, ok := none.SmartType([]int64{1}); ok {
		t.Errorf("nil catalog has a smart type")
	}
	if roster.RefValue(42) != "42" {
		t.Errorf("RefValue")
	}
}
