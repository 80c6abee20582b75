package roster

import (
	"fmt"
	"time"
)

// Throttle is the policy that slows repeated failed sign-ins under one
// kind of key (an account from one client, a client address, an account
// from anywhere): after Free recent failures a key must wait before its
// next attempt, doubling with each failure (at most MaxWait when set), and
// from LockAt on (when set) it is locked for Window. A key quiet for
// Window starts afresh. The store only records and counts the attempts;
// what they mean is decided here, in one place.
type Throttle struct {
	// Free is how many recent failures cost no wait.
	Free int
	// LockAt is how many recent failures lock the key for Window; 0
	// never locks it.
	LockAt int
	// Window is how long a failure counts, and how long a lock lasts.
	Window time.Duration
	// MaxWait, when set, caps the doubling waits.
	MaxWait time.Duration
	// ForgetOnSuccess says what a successful attempt does: forget every
	// failure of its key (an account), or only take the attempt itself
	// back (a client, which one valid account must not reset while it
	// sprays passwords at the others).
	ForgetOnSuccess bool
}

// The sign-in throttles, after the model of Keycloak's brute-force
// detection with permanent lockout off and OWASP ASVS 5.0 V6.3: a staff
// sign-in counts under three keys (CheckStaffSignIn):
//
//   - PairThrottle, the account from one client: the guesses of one
//     attacker at one account, slowed and then locked for that client only;
//   - ClientThrottle, the client across accounts: one address spraying
//     passwords over many accounts;
//   - AccountThrottle, the account from every client: never a lock, only
//     a wait of at most 30 s, and only for clients that have failed on the
//     account themselves, so that failures paced from elsewhere never keep
//     the owner of the account out. Its count is what the account's owner
//     is told about (NotifyAt).
//
// LoginThrottle is a single key's policy: an end user's login, whose
// client is the operator's backend, and a staff member's own password
// check when changing it.
var (
	PairThrottle    = Throttle{Free: 3, LockAt: 10, Window: 15 * time.Minute, ForgetOnSuccess: true}
	ClientThrottle  = Throttle{Free: 10, LockAt: 50, Window: 15 * time.Minute}
	AccountThrottle = Throttle{Free: 10, Window: 15 * time.Minute, MaxWait: 30 * time.Second}
	LoginThrottle   = Throttle{Free: 3, LockAt: 10, Window: 15 * time.Minute, ForgetOnSuccess: true}
)

// NotifyAt is how many failed sign-ins on an account within the window
// are recorded in the audit log and shown to its owner on the dashboard.
const NotifyAt = 5

// NotifyFailures reports whether an account's count of failures, n, just
// reached NotifyAt: the audit log records it once per window.
func NotifyFailures(n int) bool { return n == NotifyAt }

// Failures are a throttle key's recent failures: how many, and when the
// last was.
type Failures struct {
	N    int
	Last time.Time
}

// CheckStaffSignIn returns an ETOOMANY error when a staff sign-in with the
// failures of its three keys may not be tried at now: the account from
// this client (pair), this client across accounts, and the account from
// every client, which slows only a client that has failed on the account
// itself within the window.
func CheckStaffSignIn(pair, client, account Failures, now time.Time) error {
	if err := PairThrottle.Check(pair.N, pair.Last, now); err != nil {
		return err
	}
	if err := ClientThrottle.Check(client.N, client.Last, now); err != nil {
		return err
	}
	if pair.N > 0 && PairThrottle.recent(pair.Last, now) {
		return AccountThrottle.Check(account.N, account.Last, now)
	}
	return nil
}

// recent reports whether failures whose last was at last still count at
// now.
func (t Throttle) recent(last, now time.Time) bool { return now.Sub(last) < t.Window }

// Wait returns how long a key with n failures, the last at last, must
// still wait at now before its next attempt; zero or less when it may try.
func (t Throttle) Wait(n int, last, now time.Time) time.Duration {
	if n < t.Free || !t.recent(last, now) {
		return 0
	}
	d := time.Second << min(n-t.Free, 10)
	if t.MaxWait > 0 {
		d = min(d, t.MaxWait)
	}
	if t.LockAt > 0 && n >= t.LockAt {
		d = t.Window
	}
	return last.Add(d).Sub(now)
}

// Failed returns how many failures a key with n, the last at last, has
// after one more at now: failures older than the window are forgotten.
func (t Throttle) Failed(n int, last, now time.Time) int {
	if now.Sub(last) > t.Window {
		return 1
	}
	return n + 1
}

// Check returns an ETOOMANY error saying how long to wait when a key with
// n failures, the last at last, may not try at now.
func (t Throttle) Check(n int, last, now time.Time) error {
	if w := t.Wait(n, last, now); w > 0 {
		return Errorf(ETOOMANY, "Too many failed sign-ins. Try again in %s.", roundWait(w))
	}
	return nil
}

// roundWait writes a wait for people, rounded up.
func roundWait(d time.Duration) string {
	if d > time.Minute {
		return fmt.Sprintf("%d minutes", int(d.Minutes())+1)
	}
	if n := int(d.Seconds()) + 1; n > 1 {
		return fmt.Sprintf("%d seconds", n)
	}
	return "1 second"
}
