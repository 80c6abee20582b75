package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestPages_OwnerTokens: an admin cannot revoke an owner's API token (every
// other action on an owner's access is refused to admins too); the page
// offers no revoke button for it, and an owner can revoke it.
func TestPages_OwnerTokens(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		staff := sqldb.NewStaffService(db)
		ctx := context.Background()
		owner, _ := staff.FindStaffByEmail(ctx, "owner@staff.example.com")
		tokens, err := staff.FindTokens(ctx, owner.ID)
		if err != nil || len(tokens) != 1 {
			t.Fatalf("owner tokens: %v %v", tokens, err)
		}
		revoke := fmt.Sprintf("/settings/tokens/%d/revoke", tokens[0].ID)

		admin := newBrowser(t, ts)
		admin.signIn(roster.RoleAdmin, "/")
		page := admin.get("/settings/tokens")
		wantLacks(t, "admin's tokens page", page.Body, `action="`+revoke+`"`)
		wantStatus(t, "admin revokes the owner's token", admin.postForm("/settings/tokens", revoke, url.Values{}), http.StatusForbidden)
		if st, body := ts.do(t, roster.RoleOwner, "GET", "/api/v1/fields", ""); st != http.StatusOK {
			t.Fatalf("the owner's token stopped working: %d %s", st, body)
		}

		own := newBrowser(t, ts)
		own.signIn(roster.RoleOwner, "/")
		wantContains(t, "owner's tokens page", own.get("/settings/tokens").Body, `action="`+revoke+`"`)
		wantRedirect(t, "owner revokes", own.postForm("/settings/tokens", revoke, url.Values{}), "/settings/tokens")
		if st, _ := ts.do(t, roster.RoleOwner, "GET", "/api/v1/fields", ""); st != http.StatusUnauthorized {
			t.Errorf("revoked owner token: %d, want 401", st)
		}
	})
}
