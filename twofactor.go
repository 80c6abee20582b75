package roster

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238's default, what authenticator apps use; HMAC-SHA1 is not broken
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

// Two-factor sign-in for staff: a time-based one-time password (TOTP, RFC
// 6238) from an authenticator app, with single-use recovery codes for a
// lost device. The rules live here; the store keeps the encrypted secret,
// the hashed recovery codes and the last step used.

// TOTP parameters: what every authenticator app assumes when the otpauth
// URI names none.
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	// TOTPSkew is how many steps before or after now a code may come
	// from: a phone's clock a little off, a code typed as it turned.
	TOTPSkew = 1
	// RecoveryCodes is how many recovery codes an enrolment gives.
	RecoveryCodes = 10
	// SignInChallengeTTL is how long the second step of a sign-in may
	// wait after the password.
	SignInChallengeTTL = 5 * time.Minute
)

// HOTP returns the HMAC-based one-time password (RFC 4226) of key at
// counter, digits long, with hash h (sha1.New for RFC 4226 and most apps).
func HOTP(key []byte, counter uint64, digits int, h func() hash.Hash) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(h, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPStep returns the time step of t: how many periods since the Unix
// epoch.
func TOTPStep(t time.Time) uint64 { return uint64(t.Unix()) / uint64(TOTPPeriod/time.Second) }

// TOTP returns the code of secret at time t with Roster's parameters (SHA-1,
// six digits, 30 seconds): what a staff member's app shows.
func TOTP(secret []byte, t time.Time) string {
	return HOTP(secret, TOTPStep(t), TOTPDigits, sha1.New)
}

// MatchTOTP returns the step, within TOTPSkew of now, whose code is code,
// and whether there is one. Only steps after last match: a code once
// accepted never works again.
func MatchTOTP(secret []byte, code string, now time.Time, last uint64) (uint64, bool) {
	code = NormalizeCode(code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	step := TOTPStep(now)
	for d := -TOTPSkew; d <= TOTPSkew; d++ {
		s := uint64(int64(step) + int64(d))
		if s <= last {
			continue
		}
		if hmac.Equal([]byte(HOTP(secret, s, TOTPDigits, sha1.New)), []byte(code)) {
			return s, true
		}
	}
	return 0, false
}

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret (RFC 4226's recommended
// length) and its base32 form, what apps are given.
func NewTOTPSecret() ([]byte, string) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b, base32NoPad.EncodeToString(b)
}

// ParseTOTPSecret decodes a base32 secret as apps show it (any case,
// spaces allowed, padding optional). EINVALID.
func ParseTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.TrimRight(strings.ReplaceAll(s, " ", ""), "="))
	b, err := base32NoPad.DecodeString(s)
	if err != nil || len(b) < 10 {
		return nil, FieldErrors{"secret": "is not a base32 TOTP secret"}.Err()
	}
	return b, nil
}

// TOTPURI returns the otpauth:// URI of a secret for account, what the QR
// code holds (Google Authenticator's key URI format).
func TOTPURI(issuer, account, secret string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(TOTPDigits))
	v.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	label := url.PathEscape(issuer + ":" + account)
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// recoveryAlphabet leaves out letters and digits that read alike.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCodes returns n random recovery codes, "xxxxx-xxxxx" (about
// 49 bits each).
func NewRecoveryCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		var sb strings.Builder
		for j, c := range b {
			if j == 5 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)])
		}
		out[i] = sb.String()
	}
	return out
}

// IsRecoveryCode reports whether code, normalised (NormalizeCode), has the form of a
// recovery code rather than of a TOTP code.
func IsRecoveryCode(code string) bool {
	c := NormalizeCode(code)
	return len(c) == 10 && strings.Trim(c, strings.ToUpper(recoveryAlphabet)) == ""
}

// RequiresTwoFactor reports whether a staff account of role must enrol in
// two-factor sign-in when the setting that requires it is on: owners and
// admins, who can change everything.
func RequiresTwoFactor(r Role) bool { return r == RoleOwner || r == RoleAdmin }

// TwoFactor is a staff account's second factor as its pages show it.
type TwoFactor struct {
	Enabled     bool
	ConfirmedAt time.Time
	// RecoveryLeft is how many recovery codes are unused.
	RecoveryLeft int
}

// TwoFactorService keeps staff accounts' second factors and the pending
// second steps of sign-ins. The secret is stored encrypted and is shown
// only during enrolment; it is never logged or audited.
type TwoFactorService interface {
	// TwoFactor returns the second factor of staffID.
	TwoFactor(ctx context.Context, staffID int64) (TwoFactor, error)
	// BeginTwoFactor starts (or restarts) enrolment: a new secret, not
	// in force until confirmed; returned base32 for the app. ECONFLICT
	// when a confirmed one exists.
	BeginTwoFactor(ctx context.Context, staffID int64) (secret string, err error)
	// ConfirmTwoFactor puts the pending secret in force when code is its
	// current code and returns RecoveryCodes new recovery codes, shown
	// once. EINVALID naming "code". Audited as "staff.two_factor.enable".
	ConfirmTwoFactor(ctx context.Context, staffID int64, code string) ([]string, error)
	// DisableTwoFactor removes the account's second factor after checking
	// its password and a code (TOTP or recovery); both throttled like
	// sign-ins. EINVALID naming the wrong one. Audited.
	DisableTwoFactor(ctx context.Context, staffID int64, password, code string) error
	// ResetTwoFactor removes staffID's second factor for it to enrol
	// again: an owner's act (EFORBIDDEN otherwise), audited.
	ResetTwoFactor(ctx context.Context, staffID int64) error

	// StartSignInChallenge records that staffID gave the right password
	// and returns the token of the pending second step.
	StartSignInChallenge(ctx context.Context, staffID int64) (token string, err error)
	// FindSignInChallenge returns the account of a pending second step.
	// EUNAUTHORIZED when unknown or older than SignInChallengeTTL.
	FindSignInChallenge(ctx context.Context, token string) (*Staff, error)
	// CompleteSignInChallenge checks code (TOTP or a recovery code, each
	// working once) for the pending step token from client, throttled
	// like the password, and ends the step. EUNAUTHORIZED, ETOOMANY.
	CompleteSignInChallenge(ctx context.Context, token, code, client string) (*Staff, error)

	// TwoFactorRequired tells whether owners and admins must use two-factor
	// sign-in; SetTwoFactorRequired changes it (an owner's act, audited;
	// ECONFLICT when the owner turning it on has no second factor).
	TwoFactorRequired(ctx context.Context) (bool, error)
	SetTwoFactorRequired(ctx context.Context, on bool) error
}
