package roster

import (
	"crypto/sha1" //nolint:gosec // RFC 6238's test vectors
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
	"testing"
	"time"
)

// TestHOTP_RFC6238Vectors checks the one-time passwords against the test
// vectors of RFC 6238, Appendix B (eight digits, 30-second steps).
func TestHOTP_RFC6238Vectors(t *testing.T) {
	seeds := map[string]struct {
		key string
		h   func() hash.Hash
	}{
		"SHA1":   {"12345678901234567890", sha1.New},
		"SHA256": {"12345678901234567890123456789012", sha256.New},
		"SHA512": {"1234567890123456789012345678901234567890123456789012345678901234", sha512.New},
	}
	tests := []struct {
		unix int64
		code string
		mode string
	}{
		{59, "94287082", "SHA1"}, {59, "46119246", "SHA256"}, {59, "90693936", "SHA512"},
		{1111111109, "07081804", "SHA1"}, {1111111109, "68084774", "SHA256"}, {1111111109, "25091201", "SHA512"},
		{1111111111, "14050471", "SHA1"}, {1111111111, "67062674", "SHA256"}, {1111111111, "99943326", "SHA512"},
		{1234567890, "89005924", "SHA1"}, {1234567890, "91819424", "SHA256"}, {1234567890, "93441116", "SHA512"},
		{2000000000, "69279037", "SHA1"}, {2000000000, "90698825", "SHA256"}, {2000000000, "38618901", "SHA512"},
		{20000000000, "65353130", "SHA1"}, {20000000000, "77737706", "SHA256"}, {20000000000, "47863826", "SHA512"},
	}
	for _, tt := range tests {
		s := seeds[tt.mode]
		if got := HOTP([]byte(s.key), TOTPStep(time.Unix(tt.unix, 0)), 8, s.h); got != tt.code {
			t.Errorf("%s at %d: %s, want %s", tt.mode, tt.unix, got, tt.code)
		}
	}
	// Six digits are the last six of the eight.
	if got := TOTP([]byte("12345678901234567890"), time.Unix(59, 0)); got != "287082" {
		t.Errorf("TOTP at 59: %s, want 287082", got)
	}
}

func TestMatchTOTP(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	step := TOTPStep(now)
	tests := []struct {
		name   string
		code   string
		last   uint64
		want   uint64
		wantOK bool
	}{
		{"now", TOTP(secret, now), 0, step, true},
		{"typed with a space", TOTP(secret, now)[:3] + " " + TOTP(secret, now)[3:], 0, step, true},
		{"one step late", TOTP(secret, now.Add(-TOTPPeriod)), 0, step - 1, true},
		{"one step early", TOTP(secret, now.Add(TOTPPeriod)), 0, step + 1, true},
		{"two steps late", TOTP(secret, now.Add(-2*TOTPPeriod)), 0, 0, false},
		{"already used", TOTP(secret, now), step, 0, false},
		{"an older step after a newer one was used", TOTP(secret, now.Add(-TOTPPeriod)), step, 0, false},
		{"wrong", "000000", 0, 0, false},
		{"too short", "12345", 0, 0, false},
		{"letters", "abcdef", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "wrong" && TOTP(secret, now) == "000000" {
				t.Skip("the real code is 000000")
			}
			got, ok := MatchTOTP(secret, tt.code, now, tt.last)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("MatchTOTP(%q, last %d) = %d, %v; want %d, %v", tt.code, tt.last, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestTOTPSecretAndURI(t *testing.T) {
	raw, b32 := NewTOTPSecret()
	if len(raw) != 20 {
		t.Fatalf("secret of %d bytes, want 20", len(raw))
	}
	back, err := ParseTOTPSecret(strings.ToLower(b32[:4]) + " " + b32[4:])
	if err != nil || string(back) != string(raw) {
		t.Fatalf("ParseTOTPSecret: %v, same %v", err, string(back) == string(raw))
	}
	if _, err := ParseTOTPSecret("not base32!"); ErrorCode(err) != EINVALID {
		t.Errorf("a bad secret: %v", err)
	}
	uri := TOTPURI("Roster", "ada@example.com", b32)
	for _, want := range []string{"otpauth://totp/Roster:ada@example.com?", "secret=" + b32, "issuer=Roster", "digits=6", "period=30"} {
		if !strings.Contains(uri, want) {
			t.Errorf("URI %s lacks %s", uri, want)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := NewRecoveryCodes(RecoveryCodes)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || !IsRecoveryCode(c) || !IsRecoveryCode(strings.ToUpper(c)) {
			t.Errorf("recovery code %q is not of the form xxxxx-xxxxx", c)
		}
		if seen[c] {
			t.Errorf("recovery code %q twice", c)
		}
		seen[c] = true
	}
	if len(codes) != 10 {
		t.Errorf("%d codes, want 10", len(codes))
	}
	for _, c := range []string{"123456", "123 456", "abcde-fghi", "abcde-fghi1"} {
		if IsRecoveryCode(c) {
			t.Errorf("%q taken for a recovery code", c)
		}
	}
}
