// Package password hashes and verifies passwords with argon2id, storing them
// in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so
// that the parameters can be raised later without breaking old hashes. It
// also verifies the hashes of users imported from other products (bcrypt,
// argon2, scrypt, yescrypt, PBKDF2), which are replaced by ours at their
// first sign-in.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters from the OWASP password storage cheat sheet: argon2id with
// 19 MiB of memory, 2 passes, 1 lane. About 40 ms per hash on our machines.
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// ErrMismatch is returned by Verify when the password does not match.
var ErrMismatch = errors.New("password: mismatch")

var b64 = base64.RawStdEncoding

// Hash returns the argon2id PHC string for plain.
func Hash(plain string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(plain), salt, passes, memoryKiB, lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports nil when plain matches hash, ErrMismatch when it does not,
// and another error when hash is not a hash this package can check: its
// format is unknown or its costs are above the limits (see CheckImported),
// so that a hash written elsewhere can never make a sign-in slow. Our own
// argon2id hashes are checked by our own code; the other formats by
// go-crypt.
func Verify(plain, hash string) error {
	h, err := parse(hash)
	if err != nil {
		return err
	}
	return h.verify(plain)
}

// verifyArgon2id checks plain against a parsed argon2id hash.
func verifyArgon2id(plain string, h *parsed) error {
	got := argon2.IDKey([]byte(plain), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	if subtle.ConstantTimeCompare(got, h.key) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash is anything but an argon2id hash with
// the parameters Hash uses today: weaker or stronger parameters, or another
// product's format. The caller stores a fresh hash after a successful
// sign-in, so imported hashes are replaced at the first one.
func NeedsRehash(hash string) bool {
	return !strings.HasPrefix(hash, fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$", argon2.Version, memoryKiB, passes, lanes))
}

// Generate returns a random password of n characters from an alphabet that
// avoids look-alike letters, for accounts whose password is shown once.
func Generate(n int) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	return string(b)
}

// GenerateChecked returns a random password of n characters (as Generate)
// that check accepts: a policy that refuses, say, the account's own name
// in it gets another draw. n must leave check room to accept.
func GenerateChecked(n int, check func(string) error) string {
	for {
		if pw := Generate(n); check(pw) == nil {
			return pw
		}
	}
}

// dummy is verified against when an account does not exist, so that an
// unknown email costs the same time as a wrong password.
var dummy = func() string {
	h, err := Hash("roster-dummy-password")
	if err != nil {
		panic(err)
	}
	return h
}()

// Waste spends the time of one verification without a real hash.
func Waste(plain string) { _ = Verify(plain, dummy) }
