package roster

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tt := range []struct {
		name   string
		t      Throttle
		n      int
		last   time.Time
		wait   time.Duration // Wait, where > 0 means refused
		failed int           // Failed after one more failure now
		msg    string        // Check's message, "" when allowed; waits round up past the second
	}{
		{"account, first attempt", LoginThrottle, 0, now, 0, 1, ""},
		{"account, 2 failures are free", LoginThrottle, 2, now, 0, 3, ""},
		{"account, 3rd failure waits 1 s", LoginThrottle, 3, now, time.Second, 4, "Too many failed sign-ins. Try again in 2 seconds."},
		{"account, wait partly served", LoginThrottle, 3, ago(400 * time.Millisecond), 600 * time.Millisecond, 4, "Too many failed sign-ins. Try again in 1 second."},
		{"account, wait served", LoginThrottle, 3, ago(time.Second), 0, 4, ""},
		{"account, doubling", LoginThrottle, 6, now, 8 * time.Second, 7, "Too many failed sign-ins. Try again in 9 seconds."},
		{"account, last before the lock", LoginThrottle, 9, now, 64 * time.Second, 10, "Too many failed sign-ins. Try again in 2 minutes."},
		{"account, locked", LoginThrottle, 10, ago(time.Minute), 14 * time.Minute, 11, "Too many failed sign-ins. Try again in 15 minutes."},
		{"account, lock at its last second", LoginThrottle, 12, ago(15*time.Minute - time.Second), time.Second, 13, "Too many failed sign-ins. Try again in 2 seconds."},
		{"account, quiet for the window", LoginThrottle, 12, ago(15 * time.Minute), 0, 13, ""},
		{"account, quiet longer: starts afresh", LoginThrottle, 12, ago(16 * time.Minute), 0, 1, ""},
		{"client, 9 failures are free", ClientThrottle, 9, now, 0, 10, ""},
		{"client, 10th waits", ClientThrottle, 10, now, time.Second, 11, "Too many failed sign-ins. Try again in 2 seconds."},
		{"client, doubling stops at 1024 s", ClientThrottle, 49, now, 1024 * time.Second, 50, "Too many failed sign-ins. Try again in 18 minutes."},
		{"client, locked at 50", ClientThrottle, 50, now, 15 * time.Minute, 51, "Too many failed sign-ins. Try again in 16 minutes."},
		{"pair, as a login", PairThrottle, 10, now, 15 * time.Minute, 11, "Too many failed sign-ins. Try again in 16 minutes."},
		{"account, 10 failures are free", AccountThrottle, 9, now, 0, 10, ""},
		{"account, then waits", AccountThrottle, 11, now, 2 * time.Second, 12, "Too many failed sign-ins. Try again in 3 seconds."},
		{"account, waits stop at 30 s", AccountThrottle, 20, now, 30 * time.Second, 21, "Too many failed sign-ins. Try again in 31 seconds."},
		{"account, never locked", AccountThrottle, 500, ago(31 * time.Second), 0, 501, ""},
	} {
		if got := tt.t.Wait(tt.n, tt.last, now); max(got, 0) != tt.wait {
			t.Errorf("%s: wait %v, want %v", tt.name, got, tt.wait)
		}
		if got := tt.t.Failed(tt.n, tt.last, now); got != tt.failed {
			t.Errorf("%s: %d failures after one more, want %d", tt.name, got, tt.failed)
		}
		err := tt.t.Check(tt.n, tt.last, now)
		switch {
		case tt.msg == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.msg != "" && (ErrorCode(err) != ETOOMANY || ErrorMessage(err) != tt.msg):
			t.Errorf("%s: %v, want ETOOMANY %q", tt.name, err, tt.msg)
		}
	}
	if !LoginThrottle.ForgetOnSuccess || !PairThrottle.ForgetOnSuccess || ClientThrottle.ForgetOnSuccess || AccountThrottle.ForgetOnSuccess {
		t.Error("a success must forget a login's and a pair's failures, and only take its own attempt back from a client's and from the account's (whose count its owner is shown)")
	}
}

func TestNotifyFailures(t *testing.T) {
	for n := 0; n <= 2*NotifyAt; n++ {
		if got := NotifyFailures(n); got != (n == NotifyAt) {
			t.Errorf("NotifyFailures(%d) = %v", n, got)
		}
	}
}

func TestCheckStaffSignIn(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	none := Failures{}
	for _, tt := range []struct {
		name                  string
		pair, client, account Failures
		refused               bool
	}{
		{"a first attempt", none, none, none, false},
		{"the pair's free failures", Failures{2, now}, Failures{2, now}, Failures{2, now}, false},
		{"the pair slowed", Failures{3, now}, Failures{3, now}, Failures{3, now}, true},
		{"the pair locked", Failures{10, ago(10 * time.Minute)}, Failures{10, ago(10 * time.Minute)}, Failures{10, ago(10 * time.Minute)}, true},
		{"the client slowed across accounts", none, Failures{10, now}, none, true},
		// An attacker paced wrong passwords from elsewhere: a client that
		// never failed on the account signs in at once, however many.
		{"the owner from a fresh client", none, none, Failures{500, now}, false},
		{"the owner after an old failure of their own", Failures{1, ago(20 * time.Minute)}, none, Failures{500, now}, false},
		// A client that did fail on it shares the account's slow-down.
		{"a client with a failure of its own", Failures{1, ago(time.Minute)}, Failures{1, ago(time.Minute)}, Failures{20, now}, true},
		{"…for at most 30 s", Failures{1, ago(time.Minute)}, Failures{1, ago(time.Minute)}, Failures{20, ago(31 * time.Second)}, false},
	} {
		err := CheckStaffSignIn(tt.pair, tt.client, tt.account, now)
		if (err != nil) != tt.refused || err != nil && ErrorCode(err) != ETOOMANY {
			t.Errorf("%s: %v, refused %v", tt.name, err, tt.refused)
		}
	}
}
