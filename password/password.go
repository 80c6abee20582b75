// Package password hashes and verifies passwords with argon2id, storing them
// in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash) so
// that the parameters can be raised later without breaking old hashes.
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

// Limits on the parameters we accept when verifying a stored hash, so that a
// hash written by someone else cannot make one verification take minutes or
// gigabytes.
const (
	maxMemoryKiB = 256 * 1024
	maxPasses    = 10
	maxLanes     = 16
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
// and another error when hash is not a hash this package can check.
func Verify(plain, hash string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return errors.New("password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("password: unsupported argon2 version")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return errors.New("password: bad argon2 parameters")
	}
	if m == 0 || m > maxMemoryKiB || t == 0 || t > maxPasses || p == 0 || p > maxLanes {
		return errors.New("password: argon2 parameters out of range")
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return errors.New("password: bad salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return errors.New("password: bad key")
	}
	got := argon2.IDKey([]byte(plain), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash was made with weaker parameters than Hash
// uses today, so that the caller can store a fresh hash after a sign-in.
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
