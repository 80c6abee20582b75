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
		{"account, first attempt", AccountThrottle, 0, now, 0, 1, ""},
		{"account, 2 failures are free", AccountThrottle, 2, now, 0, 3, ""},
		{"account, 3rd failure waits 1 s", AccountThrottle, 3, now, time.Second, 4, "Too many failed sign-ins. Try again in 2 seconds."},
		{"account, wait partly served", AccountThrottle, 3, ago(400 * time.Millisecond), 600 * time.Millisecond, 4, "Too many failed sign-ins. Try again in 1 second."},
		{"account, wait served", AccountThrottle, 3, ago(time.Second), 0, 4, ""},
		{"account, doubling", AccountThrottle, 6, now, 8 * time.Second, 7, "Too many failed sign-ins. Try again in 9 seconds."},
		{"account, last before the lock", AccountThrottle, 9, now, 64 * time.Second, 10, "Too many failed sign-ins. Try again in 2 minutes."},
		{"account, locked", AccountThrottle, 10, ago(time.Minute), 14 * time.Minute, 11, "Too many failed sign-ins. Try again in 15 minutes."},
		{"account, lock at its last second", AccountThrottle, 12, ago(15*time.Minute - time.Second), time.Second, 13, "Too many failed sign-ins. Try again in 2 seconds."},
		{"account, quiet for the window", AccountThrottle, 12, ago(15 * time.Minute), 0, 13, ""},
		{"account, quiet longer: starts afresh", AccountThrottle, 12, ago(16 * time.Minute), 0, 1, ""},
		{"client, 9 failures are free", ClientThrottle, 9, now, 0, 10, ""},
		{"client, 10th waits", ClientThrottle, 10, now, time.Second, 11, "Too many failed sign-ins. Try again in 2 seconds."},
		{"client, doubling stops at 1024 s", ClientThrottle, 49, now, 1024 * time.Second, 50, "Too many failed sign-ins. Try again in 18 minutes."},
		{"client, locked at 50", ClientThrottle, 50, now, 15 * time.Minute, 51, "Too many failed sign-ins. Try again in 16 minutes."},
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
	if !AccountThrottle.ForgetOnSuccess || ClientThrottle.ForgetOnSuccess {
		t.Error("a success must forget an account's failures, and only take its own attempt back from a client's")
	}
}
