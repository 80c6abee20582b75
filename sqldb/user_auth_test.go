package sqldb_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"roster"
	"roster/password"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

const (
	userPassword = "correct horse battery staple"
	ourPrefix    = "$argon2id$v=19$m=19456,t=2,p=1$"
)

// foreignHashes returns hashes of userPassword as other products write
// them. The scrypt and PBKDF2 ones were made with Python's hashlib.
func foreignHashes(tb testing.TB) map[string]string {
	tb.Helper()
	bc, err := bcrypt.GenerateFromPassword([]byte(userPassword), 4)
	if err != nil {
		tb.Fatal(err)
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	b64 := base64.RawStdEncoding
	a2 := fmt.Sprintf("$argon2id$v=19$m=12288,t=3,p=1$%s$%s", b64.EncodeToString(salt),
		b64.EncodeToString(argon2.IDKey([]byte(userPassword), salt, 3, 12288, 1, 32)))
	return map[string]string{
		"bcrypt":   string(bc),
		"scrypt":   "$scrypt$ln=14,r=8,p=1$cm9zdGVyLXNhbHQtMTIzNA$zwx7OMEZ4xjZHQUbHJS3WBqjokmHCbnU5pFFXC4G1ho",
		"pbkdf2":   "$pbkdf2-sha256$29000$cm9zdGVyLXNhbHQtMTIzNA$nrRRmiPTSJcwgCC5BX3UJjaFen37RM3N33VyrFGVGHw",
		"django":   "pbkdf2_sha256$870000$Qx3vD9kLm2Pz8RtY1uWcAb$w0lNG3xkO3curPQSCxg5cBTNMCREoUJ12oMIMJ9Ag0Y=",
		"argon2id": a2,
	}
}

// mustCreateUserWithHash creates a user whose password hash is hash, as an
// import stores it.
func mustCreateUserWithHash(tb testing.TB, db *sqldb.DB, email, clientID, hash string) *roster.User {
	tb.Helper()
	if hash != "" {
		if err := password.CheckImported(hash); err != nil {
			tb.Fatalf("CheckImported(%s): %v", email, err)
		}
	}
	u := &roster.User{Email: email, ClientID: clientID, PasswordHash: hash}
	if err := sqldb.NewUserService(db).CreateUser(staffCtx(), u, ""); err != nil {
		tb.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// storedHash reads a user's password hash as stored.
func storedHash(tb testing.TB, db *sqldb.DB, id string) string {
	tb.Helper()
	u, err := sqldb.NewUserService(db).FindUserByID(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return u.PasswordHash
}

func TestUserService_Authenticate(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewUserService(db)
		clock := useTestClock(db)
		changes := sqldb.NewChangeLog(db)
		audit := sqldb.NewAuditService(db)

		for name, hash := range foreignHashes(t) {
			t.Run("Imported/"+name, func(t *testing.T) {
				u := mustCreateUserWithHash(t, db, name+"@example.com", "", hash)
				if _, err := s.Authenticate(ctx, u.Email, "not the password"); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
					t.Fatalf("wrong password: err = %v, want EUNAUTHORIZED", err)
				}
				if got := storedHash(t, db, u.PublicID); got != hash {
					t.Fatalf("a failed sign-in changed the hash to %q", got)
				}
				entriesBefore, err := audit.FindAuditEntries(ctx, roster.AuditFilter{})
				if err != nil {
					t.Fatal(err)
				}
				seq, err := changes.LastChange(ctx)
				if err != nil {
					t.Fatal(err)
				}
				clock.advance(time.Minute)
				got, err := s.Authenticate(ctx, u.Email, userPassword)
				if err != nil {
					t.Fatalf("right password: %v", err)
				}
				want := clock.now().Truncate(time.Millisecond)
				if got.PublicID != u.PublicID || !got.LastLogin.Equal(want) {
					t.Errorf("got user %s last login %v, want %s at %v", got.PublicID, got.LastLogin, u.PublicID, want)
				}
				stored := storedHash(t, db, u.PublicID)
				if !strings.HasPrefix(stored, ourPrefix) || got.PasswordHash != stored {
					t.Fatalf("stored hash %q (returned %q) is not ours", stored, got.PasswordHash)
				}
				if err := password.Verify(userPassword, stored); err != nil {
					t.Fatalf("the new hash does not verify: %v", err)
				}
				if again, err := s.Authenticate(ctx, strings.ToUpper(u.Email), userPassword); err != nil || again.PasswordHash != stored {
					t.Fatalf("second sign-in: %v; hash %q, want it kept as %q", err, again.PasswordHash, stored)
				}
				reloaded, _ := s.FindUserByID(ctx, u.PublicID)
				if !reloaded.LastLogin.Equal(want) {
					t.Errorf("stored last_login = %v, want %v", reloaded.LastLogin, want)
				}
				chs, err := changes.ChangesSince(ctx, seq, 100)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(chs, func(c roster.UserChange) bool { return c.UserID == u.ID }) {
					t.Errorf("no change logged for the user: %v", chs)
				}
				entriesAfter, _ := audit.FindAuditEntries(ctx, roster.AuditFilter{})
				if len(entriesAfter) != len(entriesBefore) {
					t.Errorf("a user sign-in wrote %d audit entries", len(entriesAfter)-len(entriesBefore))
				}
			})
		}

		t.Run("OurHashKept", func(t *testing.T) {
			u := &roster.User{Email: "own@example.com"}
			if err := s.CreateUser(staffCtx(), u, userPassword); err != nil {
				t.Fatal(err)
			}
			before := storedHash(t, db, u.PublicID)
			if _, err := s.Authenticate(ctx, "own@example.com", userPassword); err != nil {
				t.Fatal(err)
			}
			if after := storedHash(t, db, u.PublicID); after != before {
				t.Errorf("a current hash was replaced: %q -> %q", before, after)
			}
		})

		t.Run("ClientID", func(t *testing.T) {
			u := mustCreateUserWithHash(t, db, "", "sso-42", foreignHashes(t)["bcrypt"])
			got, err := s.Authenticate(ctx, " sso-42 ", userPassword)
			if err != nil || got.PublicID != u.PublicID {
				t.Fatalf("sign-in by client id: %v, %+v", err, got)
			}
			if _, err := s.Authenticate(ctx, "SSO-42", userPassword); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
				t.Errorf("client ids are case-sensitive: err = %v", err)
			}
		})

		t.Run("SameErrorForEveryFailure", func(t *testing.T) {
			mustCreateUserWithHash(t, db, "ivy@example.com", "", foreignHashes(t)["bcrypt"])
			mustCreateUserWithHash(t, db, "nopass@example.com", "", "")
			// Stored without CheckImported, as a hand-edited database might.
			absurd := &roster.User{Email: "absurd@example.com", PasswordHash: "$2b$31$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS"}
			if err := s.CreateUser(staffCtx(), absurd, ""); err != nil {
				t.Fatal(err)
			}
			_, wrong := s.Authenticate(ctx, "ivy@example.com", "not the password")
			if wrong == nil || roster.ErrorCode(wrong) != roster.EUNAUTHORIZED {
				t.Fatalf("wrong password: err = %v, want EUNAUTHORIZED", wrong)
			}
			for _, login := range []string{"nobody@example.com", "nopass@example.com", "absurd@example.com", "", strings.Repeat("x", 400)} {
				start := time.Now()
				_, err := s.Authenticate(ctx, login, userPassword)
				if err == nil || err.Error() != wrong.Error() {
					t.Errorf("login %.20q: err = %v, want the wrong password's %v", login, err, wrong)
				}
				// No answer may be much faster than a real check (one of ours
				// takes tens of milliseconds).
				if d := time.Since(start); d < 5*time.Millisecond {
					t.Errorf("login %.20q answered in %v: faster than a password check", login, d)
				}
			}
		})

		t.Run("Banned", func(t *testing.T) {
			u := mustCreateUserWithHash(t, db, "ban@example.com", "", foreignHashes(t)["pbkdf2"])
			if _, err := s.UpdateUser(staffCtx(), u.PublicID, roster.UserUpdate{Values: map[string]any{"status": "banned"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, "ban@example.com", "not the password"); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
				t.Fatalf("banned, wrong password: err = %v, want EUNAUTHORIZED (the ban shows only after the password)", err)
			}
			_, err := s.Authenticate(ctx, "ban@example.com", userPassword)
			if roster.ErrorCode(err) != roster.EFORBIDDEN || roster.ErrorMessage(err) != "This account is banned." {
				t.Fatalf("banned, right password: err = %v, want EFORBIDDEN", err)
			}
			if got := storedHash(t, db, u.PublicID); strings.HasPrefix(got, ourPrefix) {
				t.Error("a banned user's sign-in rehashed the password")
			}
		})

		t.Run("Throttled", func(t *testing.T) {
			mustCreateUserWithHash(t, db, "tom@example.com", "", foreignHashes(t)["bcrypt"])
			for i := 1; i <= 3; i++ {
				if _, err := s.Authenticate(ctx, "tom@example.com", "guess"); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
					t.Fatalf("failure %d: err = %v", i, err)
				}
			}
			if _, err := s.Authenticate(ctx, "TOM@example.com", userPassword); roster.ErrorCode(err) != roster.ETOOMANY {
				t.Fatalf("right password at once after 3 failures: err = %v, want ETOOMANY", err)
			}
			clock.advance(2 * time.Second)
			if _, err := s.Authenticate(ctx, "tom@example.com", userPassword); err != nil {
				t.Fatalf("right password after the wait: %v", err)
			}
			// Staff and users never share a counter.
			for i := 1; i <= 3; i++ {
				s.Authenticate(ctx, "shared@example.com", "guess")
			}
			mustCreateStaffAccount(t, db, "shared@example.com", roster.RoleViewer)
			if _, err := sqldb.NewStaffService(db).Authenticate(ctx, "shared@example.com", staffPassword, "198.51.100.99"); err != nil {
				t.Errorf("staff sign-in throttled by user failures: %v", err)
			}
		})
	})
}

// TestUserService_AuthenticateConcurrentChange checks that a password set
// while a sign-in checks the old one is not overwritten by the sign-in's
// rehash of the old password: the change lands exactly between the
// sign-in's check of the old password and its writes. The sign-in, whose
// password matched when it was checked, succeeds; the new password is the
// one in force.
func TestUserService_AuthenticateConcurrentChange(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := sqldb.NewUserService(db)
		u := mustCreateUserWithHash(t, db, "race@example.com", "", foreignHashes(t)["bcrypt"]) // rehashed on sign-in
		next := "a new password set by support"
		changed := false
		sqldb.SetAfterPasswordCheck(s, func() {
			if _, err := sqldb.NewUserService(db).UpdateUser(staffCtx(), u.PublicID, roster.UserUpdate{Password: &next}); err != nil {
				t.Errorf("change the password: %v", err)
			}
			changed = true
		})
		if _, err := s.Authenticate(ctx, "race@example.com", userPassword); err != nil {
			t.Fatalf("sign-in whose password matched before the change: %v", err)
		}
		if !changed {
			t.Fatal("the sign-in never reached its writes after checking the password")
		}
		stored := storedHash(t, db, u.PublicID)
		if err := password.Verify(next, stored); err != nil {
			if errors.Is(err, password.ErrMismatch) && password.Verify(userPassword, stored) == nil {
				t.Fatal("the sign-in's rehash of the old password overwrote the password set meanwhile")
			}
			t.Fatalf("new password: %v", err)
		}
	})
}
