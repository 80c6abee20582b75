package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"roster"
	"roster/password"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// TestAPI_AuthenticateUser drives POST /api/v1/users/authenticate: an app
// signs its users in with their imported passwords, which are replaced by
// Roster's own hash at the first success.
func TestAPI_AuthenticateUser(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ts := mustOpenServer(t, db)
		ctx := roster.NewContextWithActor(context.Background(), roster.Actor{Label: "import"})
		users := sqldb.NewUserService(db)
		const pw = "correct horse battery staple"
		bc, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
		if err != nil {
			t.Fatal(err)
		}
		// As an import stores them: a bcrypt hash from another product, a
		// Django PBKDF2 one (made with Python's hashlib) and a banned user.
		create := func(email, clientID, hash string, status roster.UserStatus) *roster.User {
			t.Helper()
			if err := password.CheckImported(hash); err != nil {
				t.Fatal(err)
			}
			u := &roster.User{Email: email, ClientID: clientID, PasswordHash: hash, Status: status, FirstName: "Imported"}
			if err := users.CreateUser(ctx, u, ""); err != nil {
				t.Fatal(err)
			}
			return u
		}
		ann := create("ann@example.com", "", string(bc), roster.StatusActive)
		bob := create("bob@example.com", "app-bob", "pbkdf2_sha256$870000$Qx3vD9kLm2Pz8RtY1uWcAb$w0lNG3xkO3curPQSCxg5cBTNMCREoUJ12oMIMJ9Ag0Y=", roster.StatusActive)
		create("banned@example.com", "", string(bc), roster.StatusBanned)
		create("tim@example.com", "", string(bc), roster.StatusActive)

		const path = "/api/v1/users/authenticate"
		body := func(login, password string) string {
			return `{"login":"` + login + `","password":"` + password + `"}`
		}
		const badLogin = `{"error":{"code":"unauthorized","message":"Invalid login or password."}}`

		t.Run("Permission", func(t *testing.T) {
			ts.fails(t, "", "POST", path, body("ann@example.com", pw), 401, `API token is required`)
			ts.fails(t, roster.RoleViewer, "POST", path, body("ann@example.com", pw), 403, `"code":"forbidden"`)
		})
		t.Run("WrongPassword", func(t *testing.T) {
			out := ts.call(t, roster.RoleSupport, "POST", path, body("ann@example.com", "not the password"), 401)
			if strings.TrimSpace(out) != badLogin {
				t.Errorf("body = %s, want %s", out, badLogin)
			}
			// An unknown login gets the very same answer.
			out = ts.call(t, roster.RoleSupport, "POST", path, body("nobody@example.com", pw), 401)
			if strings.TrimSpace(out) != badLogin {
				t.Errorf("unknown login: body = %s, want %s", out, badLogin)
			}
		})
		t.Run("OK", func(t *testing.T) {
			out := ts.call(t, roster.RoleSupport, "POST", path, body("Ann@Example.com", pw), 200)
			got := decode[struct {
				ID        string  `json:"id"`
				Email     string  `json:"email"`
				FirstName string  `json:"first_name"`
				LastLogin *string `json:"last_login"`
			}](t, out)
			if got.ID != ann.PublicID || got.Email != "ann@example.com" || got.FirstName != "Imported" || got.LastLogin == nil {
				t.Errorf("user = %+v, want %s with a last_login", got, ann.PublicID)
			}
			if strings.Contains(out, "password") || strings.Contains(out, "$2a$") || strings.Contains(out, "argon2") {
				t.Errorf("the answer shows a password or a hash: %s", out)
			}
			// By client id, with a hash in Django's format.
			ts.call(t, roster.RoleManager, "POST", path, body("app-bob", pw), 200)
			for _, u := range []*roster.User{ann, bob} {
				stored, err := users.FindUserByID(context.Background(), u.PublicID)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || password.Verify(pw, stored.PasswordHash) != nil {
					t.Errorf("%s: stored hash %.30q… is not a working hash of ours", u.Email, stored.PasswordHash)
				}
			}
		})
		t.Run("Banned", func(t *testing.T) {
			ts.fails(t, roster.RoleSupport, "POST", path, body("banned@example.com", "not the password"), 401, `"code":"unauthorized"`)
			// The code names the reason (it was "forbidden" before the
			// access rule; the status and message are the same).
			ts.fails(t, roster.RoleSupport, "POST", path, body("banned@example.com", pw), 403, `"code":"access_banned"`, `"reason":"banned"`, `This account is banned.`)
		})
		t.Run("Throttled", func(t *testing.T) {
			for range 3 {
				ts.call(t, roster.RoleSupport, "POST", path, body("tim@example.com", "guess"), 401)
			}
			ts.fails(t, roster.RoleSupport, "POST", path, body("tim@example.com", pw), 429, `"code":"too_many"`, `Try again in`)
		})
		t.Run("BadRequests", func(t *testing.T) {
			ts.fails(t, roster.RoleSupport, "POST", path, `{"login":"ann@example.com","password":"x","remember":true}`, 400, `remember`)
			ts.fails(t, roster.RoleSupport, "POST", path, `{"login":"ann@example.com","password":42}`, 422, `"password":"must be text"`)
			ts.fails(t, roster.RoleSupport, "POST", path, `{"login":" "}`, 422, `"login":"is required`, `"password":"is required"`)
			ts.fails(t, roster.RoleSupport, "POST", path, body("ann@example.com", strings.Repeat("x", 5000)), 422, `"password":"is longer than 4096 bytes"`)
			ts.fails(t, roster.RoleSupport, "POST", path, `{"login":`, 400, `"code":"invalid"`)
			ts.fails(t, roster.RoleSupport, "POST", path, ``, 400, `"code":"invalid"`)
		})
		t.Run("NotActive", func(t *testing.T) {
			// A right password for an account that is not active is refused
			// with the reason; a wrong one gets the answer any wrong one
			// gets. Expired: no activity for 15 months.
			old := db.Now().AddDate(-2, 0, 0).Truncate(time.Millisecond)
			for _, tt := range []struct {
				email  string
				status roster.UserStatus
				old    bool
				reason string
			}{
				{"invited@example.com", roster.StatusInvited, false, "invited"},
				{"pending@example.com", roster.StatusPending, false, "pending"},
				{"expired@example.com", roster.StatusActive, true, "expired"},
				{"unconfirmed@example.com", roster.StatusActive, false, "unconfirmed"},
			} {
				u := &roster.User{Email: tt.email, PasswordHash: string(bc), Status: tt.status}
				if tt.old {
					u.CreatedAt, u.PasswordSetAt, u.LastLogin = old, old, old
				}
				if err := users.CreateUser(ctx, u, ""); err != nil {
					t.Fatal(err)
				}
				if tt.reason == "unconfirmed" {
					p := roster.DefaultAccountPolicy()
					p.ConfirmationRequired = true
					if err := db.SetAccountPolicy(ctx, p); err != nil {
						t.Fatal(err)
					}
				}
				out := ts.call(t, roster.RoleSupport, "POST", path, body(tt.email, "not the password"), 401)
				if strings.TrimSpace(out) != badLogin {
					t.Errorf("%s, wrong password: %s, want %s", tt.email, out, badLogin)
				}
				ts.fails(t, roster.RoleSupport, "POST", path, body(tt.email, pw), 403, `"code":"access_`+tt.reason+`"`, `"reason":"`+tt.reason+`"`)
				stored, err := users.FindUserByID(ctx, u.PublicID)
				if err != nil {
					t.Fatal(err)
				}
				if !stored.LastLogin.Equal(u.LastLogin) {
					t.Errorf("%s: a refused sign-in recorded last_login %v", tt.email, stored.LastLogin)
				}
			}
			if err := db.SetAccountPolicy(ctx, roster.DefaultAccountPolicy()); err != nil {
				t.Fatal(err)
			}
			// An expired user whose password is set again is active, and
			// signing in records when.
			var expired *roster.User
			if err := users.ScanUsers(ctx, 0, 100, func(u *roster.User) error {
				if u.Email == "expired@example.com" {
					expired = u
				}
				return nil
			}); err != nil || expired == nil {
				t.Fatal(err)
			}
			newPw := "a brand new password"
			if _, err := users.UpdateUser(ctx, expired.PublicID, roster.UserUpdate{Password: &newPw}); err != nil {
				t.Fatal(err)
			}
			out := ts.call(t, roster.RoleSupport, "POST", path, body("expired@example.com", newPw), 200)
			if !strings.Contains(out, `"access":"active"`) {
				t.Errorf("after the new password: %s", out)
			}
			stored, err := users.FindUserByID(ctx, expired.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			if d := db.Now().Sub(stored.LastLogin); d < 0 || d > time.Minute {
				t.Errorf("last_login after the sign-in: %v", stored.LastLogin)
			}
		})
	})
}
