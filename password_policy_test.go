package roster_test

import (
	"runtime"
	"strings"
	"testing"

	"roster"
)

func TestPasswordPolicy_Check(t *testing.T) {
	long := strings.Repeat("x", roster.MaxPasswordLen-4)
	for _, tt := range []struct {
		name   string
		policy roster.PasswordPolicy
		pw     string
		email  string
		want   string // part of the message; "" when accepted
	}{
		{"user, 8 characters", roster.UserPasswords, "tarn-gib", "ada@example.com", ""},
		{"user, 7 characters", roster.UserPasswords, "tarn-gi", "ada@example.com", "at least 8 characters"},
		{"user, empty", roster.UserPasswords, "", "ada@example.com", "at least 8 characters"},
		{"staff, 12 characters", roster.StaffPasswords, "tarn-gib-hox", "ada@example.com", ""},
		{"staff, 11 characters", roster.StaffPasswords, "tarn-gib-ho", "ada@example.com", "at least 12 characters"},
		{"128 characters", roster.UserPasswords, long + "-mol", "", ""},
		{"129 characters", roster.UserPasswords, long + "-molt", "", "at most 128 characters"},
		// Characters are runes, not bytes: 8 runes of 2 or 3 bytes each.
		{"8 runes, 16 bytes", roster.UserPasswords, "ñøßüéåçð", "", ""},
		{"7 runes, 21 bytes", roster.UserPasswords, "日本語のパスワ", "", "at least 8 characters"},
		{"128 runes, 384 bytes", roster.UserPasswords, strings.Repeat("語", 128), "", ""},
		{"129 runes", roster.UserPasswords, strings.Repeat("語", 129), "", "at most 128 characters"},
		{"spaces and emoji", roster.UserPasswords, "🙂 my 🐈 naps 🙂", "", ""},
		{"common", roster.UserPasswords, "baseball", "", "most common passwords"},
		{"common, other case", roster.UserPasswords, "BaseBall", "", "most common passwords"},
		{"common for staff too", roster.StaffPasswords, "QAZwsxEDCrfv", "", "most common passwords"},
		{"common but too short says the length", roster.UserPasswords, "dragon", "", "at least 8 characters"},
		{"contains the local part", roster.UserPasswords, "my-ada-rocks", "ada@example.com", "part before the @"},
		{"contains it in another case", roster.UserPasswords, "MY-ADA-ROCKS", "Ada@Example.com", "part before the @"},
		{"unicode local part", roster.UserPasswords, "ZOË!-and-me", "zoë@example.com", "part before the @"},
		{"local part of 2 characters is allowed", roster.UserPasswords, "al-is-here-ok", "al@example.com", ""},
		{"local part of 3 characters", roster.UserPasswords, "bob-is-here-ok", "bob@example.com", "part before the @"},
		{"no email", roster.UserPasswords, "ada-rocks-on", "", ""},
		{"the domain may appear", roster.UserPasswords, "example-rocks", "ada@example.com", ""},
	} {
		err := tt.policy.Check(tt.pw, tt.email)
		msg := roster.ErrorFields(err)["password"]
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.name, err)
		case tt.want != "" && (roster.ErrorCode(err) != roster.EINVALID || !strings.Contains(msg, tt.want)):
			t.Errorf("%s: %v, want EINVALID naming password with %q", tt.name, err, tt.want)
		case tt.want != "" && tt.pw != "" && strings.Contains(strings.ToLower(roster.ErrorMessage(err)+msg), strings.ToLower(tt.pw)):
			t.Errorf("%s: the error %q echoes the password", tt.name, msg)
		}
	}
}

func TestCommonPasswords(t *testing.T) {
	if n := roster.CommonPasswordCount(); n < 10000 {
		t.Errorf("the bundled list has %d passwords of a usable length, want at least 10,000", n)
	}
	for _, pw := range []string{"password", "12345678", "iloveyou", "trustno1", "PASSWORD1"} {
		if !roster.CommonPassword(pw) {
			t.Errorf("%q is not found in the common passwords", pw)
		}
	}
	for _, pw := range []string{"correct horse battery staple", "tarn-gib-hox", ""} {
		if roster.CommonPassword(pw) {
			t.Errorf("%q is found in the common passwords", pw)
		}
	}
}

// BenchmarkPasswordPolicy measures one check against the loaded list, and
// reports what the list costs in memory once loaded (heap-bytes, measured
// around its first load in a fresh process: run with -count=1).
func BenchmarkPasswordPolicy(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := roster.CommonPasswordCount()
	runtime.GC()
	runtime.ReadMemStats(&after)
	pws := []string{"correct horse battery staple", "Baseball1234", "my-ada-rocks", "zz-not-common-zz"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = roster.UserPasswords.Check(pws[i%len(pws)], "ada@example.com")
	}
	b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "heap-bytes")
	b.ReportMetric(float64(n), "passwords")
}
