package roster

import (
	"fmt"
	"time"
)

// Throttle is the policy that slows repeated failed sign-ins under one
// kind of key (an account, a client address): after Free recent failures
// a key must wait before its next attempt, doubling with each failure,
// and from LockAt on it is locked for Window. A key quiet for Window
// starts afresh. The store only records and counts the attempts; what
// they mean is decided here, in one place.
type Throttle struct {
	// Free is how many recent failures cost no wait.
	Free int
	// LockAt is how many recent failures lock the key for Window.
	LockAt int
	// Window is how long a failure counts, and how long a lock lasts.
	Window time.Duration
	// ForgetOnSuccess says what a successful attempt does: forget every
	// failure of its key (an account), or only take the attempt itself
	// back (a client, which one valid account must not reset while it
	// sprays passwords at the others).
	ForgetOnSuccess bool
}

// The sign-in throttles. Staff sign-ins count under both the account and
// the client; users' sign-ins and staff password changes under the
// account (or login) only.
var (
	AccountThrottle = Throttle{Free: 3, LockAt: 10, Window: 15 * time.Minute, ForgetOnSuccess: true}
	ClientThrottle  = Throttle{Free: 10, LockAt: 50, Window: 15 * time.Minute}
)

// recent reports whether failures whose last was at last still count at
// now.
func (t Throttle) recent(last, now time.Time) bool { return now.Sub(last) < t.Window }

// Wait returns how long a key with n failures, the last at last, must
// still wait at now before its next attempt; zero or less when it may try.
func (t Throttle) Wait(n int, last, now time.Time) time.Duration {
	if n < t.Free || !t.recent(last, now) {
		return 0
	}
	d := t.Window
	if n < t.LockAt {
		d = time.Second << min(n-t.Free, 10)
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
