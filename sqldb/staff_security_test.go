package sqldb_test

import (
	"testing"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestStaffService_OwnerTokens: the rule that only an owner acts on an
// owner's access holds for API tokens too, in the store, whatever route
// calls it: an admin can neither make a token acting as an owner nor revoke
// one, nor set an owner's password; an owner can.
func TestStaffService_OwnerTokens(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ss := sqldb.NewStaffService(db)
		owner := mustCreateStaffAccount(t, db, "owner@example.com", roster.RoleOwner)
		admin := mustCreateStaffAccount(t, db, "admin@example.com", roster.RoleAdmin)
		support := mustCreateStaffAccount(t, db, "support@example.com", roster.RoleSupport)
		asAdmin := roster.NewContextWithActor(t.Context(), roster.StaffActor(admin))
		asOwner := roster.NewContextWithActor(t.Context(), roster.StaffActor(owner))

		ownerTok, secret, err := ss.CreateToken(asOwner, owner.ID, "owner script")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ss.CreateToken(asAdmin, owner.ID, "escalate"); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("admin makes an owner's token: err = %v, want EFORBIDDEN", err)
		}
		if err := ss.RevokeToken(asAdmin, ownerTok.ID); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("admin revokes an owner's token: err = %v, want EFORBIDDEN", err)
		}
		if _, err := ss.FindStaffByToken(t.Context(), secret); err != nil {
			t.Errorf("the owner's token stopped working: %v", err)
		}
		pw := "a new password for them"
		if _, err := ss.UpdateStaff(asAdmin, owner.ID, roster.StaffUpdate{Password: &pw}); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("admin sets an owner's password: err = %v, want EFORBIDDEN", err)
		}
		if _, err := ss.Authenticate(t.Context(), owner.Email, staffPassword, "test"); err != nil {
			t.Errorf("the owner's password changed: %v", err)
		}

		// What an admin may do on other accounts, and an owner on owners.
		tok, _, err := ss.CreateToken(asAdmin, support.ID, "crm")
		if err != nil {
			t.Fatalf("admin makes a support token: %v", err)
		}
		if err := ss.RevokeToken(asAdmin, tok.ID); err != nil {
			t.Errorf("admin revokes a support token: %v", err)
		}
		if err := ss.RevokeToken(asOwner, ownerTok.ID); err != nil {
			t.Errorf("owner revokes an owner's token: %v", err)
		}
		if err := ss.RevokeToken(asAdmin, 999999); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("revoke an unknown token: err = %v, want ENOTFOUND", err)
		}
	})
}

// TestStaffService_DeactivationIsForGood: deactivating an account revokes
// its API tokens and ends its sessions in the same transaction, so that
// reactivating it brings none of them back.
func TestStaffService_DeactivationIsForGood(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ss := sqldb.NewStaffService(db)
		ctx := ownerCtx()
		s := mustCreateStaffAccount(t, db, "leaver@example.com", roster.RoleManager)
		tok, secret, err := ss.CreateToken(ctx, s.ID, "nightly sync")
		if err != nil {
			t.Fatal(err)
		}
		session, err := ss.CreateSession(ctx, s.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		off, on := false, true
		if _, err := ss.UpdateStaff(ctx, s.ID, roster.StaffUpdate{Active: &off}); err != nil {
			t.Fatal(err)
		}
		list, err := ss.FindTokens(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != tok.ID || list[0].RevokedAt.IsZero() {
			t.Errorf("after deactivation the token is not revoked: %+v", list[0])
		}
		if _, err := ss.UpdateStaff(ctx, s.ID, roster.StaffUpdate{Active: &on}); err != nil {
			t.Fatal(err)
		}
		if _, err := ss.FindStaffByToken(ctx, secret); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Errorf("token after reactivation: err = %v, want EUNAUTHORIZED", err)
		}
		if _, _, err := ss.FindSession(ctx, session); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Errorf("session after reactivation: err = %v, want EUNAUTHORIZED", err)
		}
		if entries := auditFor(t, db, "token.revoke", "token", tok.ID); len(entries) != 1 {
			t.Errorf("token.revoke audit entries = %d, want 1", len(entries))
		}
		// A new token works again.
		_, secret2, err := ss.CreateToken(ctx, s.ID, "new sync")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ss.FindStaffByToken(ctx, secret2); err != nil {
			t.Errorf("new token after reactivation: %v", err)
		}
	})
}
