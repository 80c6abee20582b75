package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/sqldb"
	"roster/sqldb/sqldbtest"
)

// enrol turns two-factor sign-in on for s at the clock's time and returns
// its secret and recovery codes.
func enrol(t *testing.T, ss *sqldb.StaffService, s *roster.Staff, now time.Time) ([]byte, []string) {
	t.Helper()
	ctx := roster.NewContextWithActor(context.Background(), roster.StaffActor(s))
	b32, err := ss.BeginTwoFactor(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := roster.ParseTOTPSecret(b32)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := ss.ConfirmTwoFactor(ctx, s.ID, roster.TOTP(secret, now))
	if err != nil {
		t.Fatal(err)
	}
	return secret, codes
}

func TestTwoFactor_EnrolAndSignIn(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		clock := useTestClock(db)
		ss := sqldb.NewStaffService(db)
		s := mustCreateStaffAccount(t, db, "ada@example.com", roster.RoleAdmin)
		ctx := roster.NewContextWithActor(context.Background(), roster.StaffActor(s))

		b32, err := ss.BeginTwoFactor(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tf, _ := ss.TwoFactor(ctx, s.ID); tf.Enabled {
			t.Fatal("two-factor on before the first code")
		}
		if _, err := ss.ConfirmTwoFactor(ctx, s.ID, "000000x"); roster.ErrorFields(err)["code"] == "" {
			t.Fatalf("a wrong confirmation code: %v, want an error naming code", err)
		}
		secret, _ := roster.ParseTOTPSecret(b32)
		codes, err := ss.ConfirmTwoFactor(ctx, s.ID, roster.TOTP(secret, clock.now()))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(codes))
		}
		if tf, _ := ss.TwoFactor(ctx, s.ID); !tf.Enabled || tf.RecoveryLeft != 10 {
			t.Fatalf("after confirming: %+v", tf)
		}
		if _, err := ss.BeginTwoFactor(ctx, s.ID); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("enrolling again while on: %v, want ECONFLICT", err)
		}
		// The secret is stored encrypted, and neither it nor a recovery
		// code reaches the audit log.
		var stored string
		pool := db.Pools()["main"]
		if pool == nil {
			pool = db.Pools()["write"]
		}
		q := "SELECT secret FROM staff_two_factor WHERE staff_id = $1"
		if db.Dialect == sqldb.SQLite {
			q = strings.Replace(q, "$1", "?", 1)
		}
		if err := pool.QueryRowContext(ctx, q, s.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, b32) || strings.Contains(stored, string(secret)) {
			t.Error("the TOTP secret is stored in the clear")
		}
		for _, e := range auditFor(t, db, "", "staff", s.ID) {
			line := e.Note + " " + e.Action
			for k, c := range e.Changes {
				line += fmt.Sprint(" ", k, " ", c.Before, c.After)
			}
			if strings.Contains(line, b32) || strings.Contains(line, codes[0]) {
				t.Errorf("audit entry %s holds a secret", e.Action)
			}
		}
		if n := len(auditFor(t, db, "staff.two_factor.enable", "staff", s.ID)); n != 1 {
			t.Errorf("%d staff.two_factor.enable entries, want 1", n)
		}

		// The code just used for enrolment does not sign in; the next one
		// does, once.
		clock.advance(roster.TOTPPeriod)
		signIn := func(code string) error {
			tok, err := ss.StartSignInChallenge(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ss.CompleteSignInChallenge(ctx, tok, code, "192.0.2.1")
			if err == nil && got.ID != s.ID {
				t.Fatalf("signed in as %d", got.ID)
			}
			return err
		}
		code := roster.TOTP(secret, clock.now())
		if err := signIn(code); err != nil {
			t.Fatalf("sign in with the current code: %v", err)
		}
		if err := signIn(code); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Errorf("the same code again: %v, want EUNAUTHORIZED", err)
		}
		if err := signIn(codes[0]); err != nil {
			t.Fatalf("sign in with a recovery code: %v", err)
		}
		if err := signIn(strings.ToUpper(codes[0])); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Errorf("the recovery code again: %v, want EUNAUTHORIZED", err)
		}
		if tf, _ := ss.TwoFactor(ctx, s.ID); tf.RecoveryLeft != 9 {
			t.Errorf("%d recovery codes left, want 9", tf.RecoveryLeft)
		}
		// A wrong code keeps the challenge for another try; an old one
		// has expired.
		tok, _ := ss.StartSignInChallenge(ctx, s.ID)
		if _, err := ss.CompleteSignInChallenge(ctx, tok, "abcde-fghjk", "192.0.2.1"); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Fatalf("a wrong recovery code: %v", err)
		}
		clock.advance(roster.TOTPPeriod)
		if _, err := ss.CompleteSignInChallenge(ctx, tok, roster.TOTP(secret, clock.now()), "192.0.2.1"); err != nil {
			t.Fatalf("the right code after a wrong one: %v", err)
		}
		tok, _ = ss.StartSignInChallenge(ctx, s.ID)
		clock.advance(roster.SignInChallengeTTL + time.Second)
		if _, err := ss.CompleteSignInChallenge(ctx, tok, roster.TOTP(secret, clock.now()), "192.0.2.1"); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Errorf("an expired challenge: %v", err)
		}

		// Turning it off needs the password and a code.
		clock.advance(roster.TOTPPeriod)
		if err := ss.DisableTwoFactor(ctx, s.ID, "wrong password", roster.TOTP(secret, clock.now())); roster.ErrorFields(err)["current_password"] == "" {
			t.Errorf("disable with a wrong password: %v", err)
		}
		if err := ss.DisableTwoFactor(ctx, s.ID, staffPassword, "123456x"); roster.ErrorFields(err)["code"] == "" {
			t.Errorf("disable with a wrong code: %v", err)
		}
		if err := ss.DisableTwoFactor(ctx, s.ID, staffPassword, roster.TOTP(secret, clock.now())); err != nil {
			t.Fatalf("disable: %v", err)
		}
		if tf, _ := ss.TwoFactor(ctx, s.ID); tf.Enabled || tf.RecoveryLeft != 0 {
			t.Errorf("after disabling: %+v", tf)
		}
	})
}

// TestTwoFactor_SecondStepThrottled: wrong codes are counted like wrong
// passwords, so that six digits cannot be guessed.
func TestTwoFactor_SecondStepThrottled(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		clock := useTestClock(db)
		ss := sqldb.NewStaffService(db)
		s := mustCreateStaffAccount(t, db, "ada@example.com", roster.RoleAdmin)
		secret, _ := enrol(t, ss, s, clock.now())
		clock.advance(roster.TOTPPeriod)
		tok, _ := ss.StartSignInChallenge(context.Background(), s.ID)
		var err error
		for i := 0; i < 5; i++ {
			_, err = ss.CompleteSignInChallenge(context.Background(), tok, "abcde-fghjk", "192.0.2.1")
		}
		if roster.ErrorCode(err) != roster.ETOOMANY {
			t.Fatalf("the fifth wrong code in a row: %v, want ETOOMANY", err)
		}
		if _, err := ss.CompleteSignInChallenge(context.Background(), tok, roster.TOTP(secret, clock.now()), "192.0.2.1"); roster.ErrorCode(err) != roster.ETOOMANY {
			t.Fatalf("the right code while throttled: %v, want ETOOMANY", err)
		}
	})
}

// TestTwoFactor_RecoveryCodeOnceUnderConcurrency: sixteen sign-ins bring
// the same recovery code at once; exactly one gets in.
func TestTwoFactor_RecoveryCodeOnceUnderConcurrency(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ss := sqldb.NewStaffService(db)
		s := mustCreateStaffAccount(t, db, "ada@example.com", roster.RoleAdmin)
		_, codes := enrol(t, ss, s, time.Now())
		const n = 16
		tokens := make([]string, n)
		for i := range tokens {
			tok, err := ss.StartSignInChallenge(context.Background(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			tokens[i] = tok
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, other := 0, []error{}
		for i := range n {
			wg.Go(func() {
				// Each from its own address: the test is about the code,
				// not the throttle.
				_, err := ss.CompleteSignInChallenge(context.Background(), tokens[i], codes[3], "192.0.2."+string(rune('a'+i)))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if roster.ErrorCode(err) != roster.EUNAUTHORIZED {
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || len(other) > 0 {
			t.Fatalf("%d sign-ins succeeded with one recovery code (want 1); other errors: %v", ok, other)
		}
	})
}

func TestTwoFactor_ResetAndRequire(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ss := sqldb.NewStaffService(db)
		owner := mustCreateStaffAccount(t, db, "own@example.com", roster.RoleOwner)
		admin := mustCreateStaffAccount(t, db, "adm@example.com", roster.RoleAdmin)
		viewer := mustCreateStaffAccount(t, db, "view@example.com", roster.RoleViewer)
		enrol(t, ss, viewer, time.Now())
		adminCtx := roster.NewContextWithActor(context.Background(), roster.StaffActor(admin))
		ownerCtx := roster.NewContextWithActor(context.Background(), roster.StaffActor(owner))
		if err := ss.ResetTwoFactor(adminCtx, viewer.ID); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("an admin resets a second factor: %v, want EFORBIDDEN", err)
		}
		if err := ss.ResetTwoFactor(ownerCtx, viewer.ID); err != nil {
			t.Fatal(err)
		}
		if tf, _ := ss.TwoFactor(ownerCtx, viewer.ID); tf.Enabled {
			t.Error("still on after the reset")
		}
		if n := len(auditFor(t, db, "staff.two_factor.reset", "staff", viewer.ID)); n != 1 {
			t.Errorf("%d reset entries, want 1", n)
		}
		if on, _ := ss.TwoFactorRequired(ownerCtx); on {
			t.Error("required by default")
		}
		if err := ss.SetTwoFactorRequired(adminCtx, true); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("an admin requires two-factor: %v", err)
		}
		if err := ss.SetTwoFactorRequired(ownerCtx, true); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Fatalf("an owner without two-factor requires it: %v, want ECONFLICT", err)
		}
		enrol(t, ss, owner, time.Now())
		if err := ss.SetTwoFactorRequired(ownerCtx, true); err != nil {
			t.Fatal(err)
		}
		if on, _ := ss.TwoFactorRequired(ownerCtx); !on {
			t.Error("not required after setting it")
		}
	})
}

func TestDevices_EndSessions(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		ss := sqldb.NewStaffService(db)
		owner := mustCreateStaffAccount(t, db, "own@example.com", roster.RoleOwner)
		admin := mustCreateStaffAccount(t, db, "adm@example.com", roster.RoleAdmin)
		support := mustCreateStaffAccount(t, db, "sup@example.com", roster.RoleSupport)
		ctx := context.Background()
		var tokens []string
		for _, ua := range []string{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "curl/8.5.0", "other"} {
			tok, err := ss.CreateSession(ctx, support.ID, "192.0.2.7", ua)
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tok)
		}
		ownerTok, _ := ss.CreateSession(ctx, owner.ID, "192.0.2.8", "x")
		sessions, err := ss.FindSessions(ctx, support.ID)
		if err != nil || len(sessions) != 3 {
			t.Fatalf("FindSessions: %d, %v", len(sessions), err)
		}
		if sessions[2].UserAgent == "" || sessions[2].IP != "192.0.2.7" {
			t.Errorf("oldest session: %+v", sessions[2])
		}
		self := roster.NewContextWithActor(ctx, roster.StaffActor(support))
		mine, _, _ := ss.FindSession(ctx, tokens[0])
		// Their own: end one, not audited.
		if err := ss.EndSession(self, support.ID, sessions[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := ss.EndSession(self, support.ID, sessions[0].ID); roster.ErrorCode(err) != roster.ENOTFOUND {
			t.Errorf("ending it twice: %v", err)
		}
		// An admin ends the rest but none: audited.
		adminCtx := roster.NewContextWithActor(ctx, roster.StaffActor(admin))
		if n, err := ss.EndOtherSessions(adminCtx, support.ID, mine.ID); err != nil || n != 1 {
			t.Fatalf("EndOtherSessions: %d, %v", n, err)
		}
		if _, _, err := ss.FindSession(ctx, tokens[1]); roster.ErrorCode(err) != roster.EUNAUTHORIZED {
			t.Errorf("an ended session still works: %v", err)
		}
		if _, _, err := ss.FindSession(ctx, tokens[0]); err != nil {
			t.Errorf("the kept session ended: %v", err)
		}
		if n := len(auditFor(t, db, "staff.session.end_all", "staff", support.ID)); n != 1 {
			t.Errorf("%d end_all entries, want 1", n)
		}
		// An admin cannot end an owner's sessions.
		if _, err := ss.EndOtherSessions(adminCtx, owner.ID, 0); roster.ErrorCode(err) != roster.EFORBIDDEN {
			t.Errorf("an admin ends an owner's sessions: %v", err)
		}
		if _, _, err := ss.FindSession(ctx, ownerTok); err != nil {
			t.Errorf("the owner's session ended: %v", err)
		}
	})
}

// TestPush_NotificationsWithTheirCause: alerts are queued in the cause's
// transaction, only to the browsers that chose them.
func TestPush_NotificationsWithTheirCause(t *testing.T) {
	sqldbtest.ForEachDB(t, func(t *testing.T, db *sqldb.DB) {
		push := sqldb.NewPushService(db)
		s := mustCreateStaffAccount(t, db, "ada@example.com", roster.RoleAdmin)
		ctx := roster.NewContextWithActor(context.Background(), roster.StaffActor(s))
		key := "B" + strings.Repeat("A", 86)
		sub := &roster.PushSubscription{StaffID: s.ID, Endpoint: "https://push.example.com/a", P256DH: key, Auth: "AAAAAAAAAAAAAAAAAAAAAA",
			Alerts: []roster.PushAlert{roster.AlertBulkDone, roster.AlertSignInFailures}}
		if err := push.SavePushSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
		other := &roster.PushSubscription{StaffID: s.ID, Endpoint: "https://push.example.com/b", P256DH: key, Auth: "AAAAAAAAAAAAAAAAAAAAAA",
			Alerts: []roster.PushAlert{roster.AlertImportDone}}
		if err := push.SavePushSubscription(ctx, other); err != nil {
			t.Fatal(err)
		}
		bad := &roster.PushSubscription{StaffID: s.ID, Endpoint: "http://push.example.com/c", P256DH: "x", Auth: "y", Alerts: []roster.PushAlert{"nope"}}
		if fe := roster.ErrorFields(push.SavePushSubscription(ctx, bad)); fe["endpoint"] == "" || fe["p256dh"] == "" || fe["auth"] == "" {
			t.Errorf("a bad subscription: %v", fe)
		}
		tags := sqldb.NewTagService(db)
		tag := &roster.Tag{Name: "vip", Color: "#3366ff"}
		if err := tags.CreateTag(ctx, tag); err != nil {
			t.Fatal(err)
		}
		if _, err := tags.TagUsers(ctx, tag.ID, nil, "country:FR"); err != nil {
			t.Fatal(err)
		}
		// Five wrong passwords: the account's owner is alerted.
		for i := range 5 {
			sqldb.NewStaffService(db).Authenticate(context.Background(), s.Email, "wrong", fmt.Sprint("192.0.2.", 10+i))
		}
		msgs, err := push.ClaimPush(context.Background(), "w1", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 {
			t.Fatalf("%d notifications queued, want 2 (the bulk action, the failed sign-ins)", len(msgs))
		}
		if m := msgs[0]; m.Alert != roster.AlertBulkDone || m.Subscription.ID != sub.ID || !strings.Contains(m.Body, "country:FR") {
			t.Errorf("first notification: %+v", m)
		}
		if m := msgs[1]; m.Alert != roster.AlertSignInFailures || m.Subscription.Endpoint != sub.Endpoint {
			t.Errorf("second notification: %+v", m)
		}
		if again, _ := push.ClaimPush(context.Background(), "w2", 10, time.Minute); len(again) != 0 {
			t.Errorf("leased notifications claimed again: %d", len(again))
		}
		if err := push.RecordPushSent(context.Background(), msgs[0].ID, "w2"); roster.ErrorCode(err) != roster.ECONFLICT {
			t.Errorf("another worker records a result: %v", err)
		}
		if err := push.RecordPushSent(context.Background(), msgs[0].ID, "w1"); err != nil {
			t.Fatal(err)
		}
		if err := push.RecordPushGone(context.Background(), msgs[1].ID, "w1"); err != nil {
			t.Fatal(err)
		}
		left, _ := push.FindPushSubscriptions(ctx, s.ID)
		if len(left) != 1 || left[0].ID != other.ID {
			t.Errorf("after the push service said gone: %d subscriptions left", len(left))
		}
		k1, err := push.VAPIDKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k2, _ := push.VAPIDKey(ctx); string(k1) != string(k2) {
			t.Error("the VAPID key changed between calls")
		}
	})
}
