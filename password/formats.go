package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-crypt/crypt/algorithm"
	cryptargon2 "github.com/go-crypt/crypt/algorithm/argon2"
	cryptbcrypt "github.com/go-crypt/crypt/algorithm/bcrypt"
	cryptpbkdf2 "github.com/go-crypt/crypt/algorithm/pbkdf2"
	cryptscrypt "github.com/go-crypt/crypt/algorithm/scrypt"

	"roster"
)

// Limits on the cost parameters of a hash, ours or imported. Verifying a
// hash costs what its parameters say, and an imported hash is data that
// someone else wrote: without limits, one row of an import file could make
// every sign-in of that user take seconds of CPU or gigabytes of memory.
// Each limit is far above what products use (in the comments, common
// settings) and keeps one verification under about 2 s and 256 MiB on our
// machines (times measured there).
const (
	// MaxHashLen bounds the whole string: salts and keys are hashed too.
	MaxHashLen = 512

	// MaxBcryptCost is 2^15 rounds, about 2 s (common: 10 to 12).
	MaxBcryptCost = 15

	// Argon2 (common: 19 to 64 MiB, 1 to 3 passes, 1 to 4 lanes). Its time
	// follows memory × passes, bounded by MaxArgon2WorkKiB: about 2 s.
	MaxArgon2MemoryKiB = 256 * 1024
	MaxArgon2Passes    = 10
	MaxArgon2Lanes     = 16
	MaxArgon2WorkKiB   = 1024 * 1024

	// Scrypt and yescrypt (common: N=2^14 to 2^17, r=8, p=1). Memory is
	// 128 × N × r bytes (256 MiB: about 0.8 s) and time follows memory × p
	// (512 MiB: about 1.6 s).
	MaxScryptLogN   = 20
	MaxScryptR      = 32
	MaxScryptP      = 16
	MaxScryptMemory = 256 << 20
	MaxScryptWork   = 512 << 20

	// PBKDF2 iterations (common: 29,000 to 1,200,000 with SHA-256),
	// counted once per digest-sized block of the key: each block costs a
	// full run. SHA-512 runs about three times slower than SHA-256 here.
	MaxPBKDF2Iterations       = 10_000_000
	MaxPBKDF2SHA512Iterations = 3_000_000
)

// Key lengths accepted for argon2, scrypt and PBKDF2: a short key would let
// many passwords match, and no product writes more than 64 bytes (argon2
// keeps the 128 that our own verifier always allowed).
const (
	minKeyLen       = 16
	maxKeyLen       = 64
	maxArgon2KeyLen = 128
	minArgon2Salt   = 8 // the argon2 specification's minimum
)

// hashError is an EINVALID error whose text is its message alone: the
// importer shows it next to a row number, through err.Error() or through
// roster.ErrorMessage, and both must read cleanly.
type hashError struct{ err *roster.Error }

func (e *hashError) Error() string { return e.err.Message }
func (e *hashError) Unwrap() error { return e.err }

func invalid(format string, args ...any) error {
	return &hashError{roster.Errorf(roster.EINVALID, format, args...)}
}

func unsupported() error {
	return invalid("not a supported hash (bcrypt, argon2id, scrypt or PBKDF2)")
}

func malformed(name, why string) error {
	return invalid("not a valid %s hash: %s", name, why)
}

// CheckImported checks a hash that comes with an imported user: it must be
// in a format Verify can check and its cost parameters must be within the
// limits above. It only parses, never hashes, so that it can run for every
// row of a large import. The error is an EINVALID whose text is fit to show
// as it is ("bcrypt cost 31 is above the limit of 15").
func CheckImported(hash string) error {
	_, err := parse(hash)
	return err
}

// parsed is a hash in a known format whose costs are within the limits,
// ready to verify: our own argon2id fields, or a go-crypt digest.
type parsed struct {
	own       bool
	m, t      uint32
	p         uint8
	salt, key []byte

	digest algorithm.Digest
}

func (h *parsed) verify(plain string) error {
	if h.own {
		return verifyArgon2id(plain, h)
	}
	ok, err := h.digest.MatchAdvanced(plain)
	if err != nil {
		return fmt.Errorf("password: %w", err)
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

// parse recognises the format of hash, checks its syntax and its limits,
// and decodes it.
func parse(hash string) (*parsed, error) {
	if hash == "" {
		return nil, unsupported()
	}
	if len(hash) > MaxHashLen {
		return nil, invalid("a password hash is at most %d characters; this one has %d", MaxHashLen, len(hash))
	}
	for i := 0; i < len(hash); i++ {
		// Every supported format is printable ASCII without spaces. This
		// also keeps base64 decoding from skipping newlines.
		if hash[i] <= ' ' || hash[i] > '~' {
			return nil, unsupported()
		}
	}
	if strings.HasPrefix(hash, "pbkdf2_") {
		return parseDjango(hash)
	}
	if hash[0] != '$' {
		return nil, unsupported()
	}
	parts := strings.Split(hash, "$")
	switch parts[1] {
	case "argon2id", "argon2i":
		return parseArgon2(hash, parts)
	case "2a", "2b", "2y":
		return parseBcrypt(hash, parts)
	case "scrypt":
		return parseScrypt(hash, parts)
	case "y":
		return parseYescrypt(hash, parts)
	case "pbkdf2", "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512":
		return parsePBKDF2(hash, parts)
	}
	return nil, unsupported()
}

func parseArgon2(hash string, parts []string) (*parsed, error) {
	const name = "argon2"
	if len(parts) != 6 {
		return nil, malformed(name, "want $"+parts[1]+"$v=19$m=…,t=…,p=…$salt$hash")
	}
	if parts[2] != "v=19" {
		return nil, malformed(name, "only version 19 (v=19) is supported")
	}
	v, ok := params(parts[3], "m", "t", "p")
	if !ok {
		return nil, malformed(name, "the parameters must be m=…,t=…,p=… with whole numbers")
	}
	m, t, p := v[0], v[1], v[2]
	if t < 1 || p < 1 || m < 8*p {
		return nil, malformed(name, "t and p must be at least 1 and m at least 8 × p")
	}
	switch {
	case m > MaxArgon2MemoryKiB:
		return nil, invalid("argon2 memory %s is above the limit of %s", kib(m), kib(MaxArgon2MemoryKiB))
	case t > MaxArgon2Passes:
		return nil, invalid("argon2 t=%d passes is above the limit of %d", t, MaxArgon2Passes)
	case p > MaxArgon2Lanes:
		return nil, invalid("argon2 p=%d lanes is above the limit of %d", p, MaxArgon2Lanes)
	case m*t > MaxArgon2WorkKiB:
		return nil, invalid("argon2 memory × passes (%s × %d) is above the limit of %s", kib(m), t, kib(MaxArgon2WorkKiB))
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minArgon2Salt {
		return nil, malformed(name, "the salt must be base64 of at least 8 bytes")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxArgon2KeyLen {
		return nil, malformed(name, "the hash must be base64 of 16 to 128 bytes")
	}
	if parts[1] == "argon2id" {
		// Our own format: verified by our own code, the sign-in fast path.
		return &parsed{own: true, m: uint32(m), t: uint32(t), p: uint8(p), salt: salt, key: key}, nil
	}
	return decoded(name, hash, cryptargon2.Decode)
}

func parseBcrypt(hash string, parts []string) (*parsed, error) {
	const name = "bcrypt"
	if len(parts) != 4 || len(parts[2]) != 2 || len(parts[3]) != 53 || !inAlphabet(parts[3], bcryptAlphabet) {
		return nil, malformed(name, "want $2b$NN$ and 53 characters of salt and hash")
	}
	cost, ok := number(parts[2])
	if !ok || cost < 4 {
		return nil, malformed(name, "the cost must be a number from 04")
	}
	if cost > MaxBcryptCost {
		return nil, invalid("bcrypt cost %d is above the limit of %d", cost, MaxBcryptCost)
	}
	return decoded(name, hash, cryptbcrypt.Decode)
}

func parseScrypt(hash string, parts []string) (*parsed, error) {
	const name = "scrypt"
	if len(parts) != 5 {
		return nil, malformed(name, "want $scrypt$ln=…,r=…,p=…$salt$hash")
	}
	v, ok := params(parts[2], "ln", "r", "p")
	if !ok || v[0] < 1 || v[1] < 1 || v[2] < 1 {
		return nil, malformed(name, "the parameters must be ln=…,r=…,p=… with whole numbers from 1")
	}
	if err := scryptLimits(name, v[0], v[1], v[2]); err != nil {
		return nil, err
	}
	if salt, err := b64.DecodeString(parts[3]); err != nil || len(salt) == 0 {
		return nil, malformed(name, "the salt must be base64")
	}
	if key, err := b64.DecodeString(parts[4]); err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return nil, malformed(name, "the hash must be base64 of 16 to 64 bytes")
	}
	return decoded(name, hash, cryptscrypt.Decode)
}

// parseYescrypt accepts the crypt(3) form that Linux systems write,
// $y$j..$salt$hash, with the plain three-character setting.
func parseYescrypt(hash string, parts []string) (*parsed, error) {
	const name = "yescrypt"
	if len(parts) != 5 || len(parts[2]) != 3 || parts[2][0] != 'j' ||
		parts[3] == "" || !inAlphabet(parts[3], cryptAlphabet) || len(parts[4]) != 43 || !inAlphabet(parts[4], cryptAlphabet) {
		return nil, malformed(name, "want $y$j..$salt$ and 43 characters of hash")
	}
	ln := strings.IndexByte(cryptAlphabet, parts[2][1]) + 1
	r := strings.IndexByte(cryptAlphabet, parts[2][2]) + 1
	if ln < 1 || r < 1 {
		return nil, malformed(name, "the setting "+parts[2]+" is not valid")
	}
	if err := scryptLimits(name, uint64(ln), uint64(r), 1); err != nil {
		return nil, err
	}
	return decoded(name, hash, cryptscrypt.Decode)
}

func scryptLimits(name string, ln, r, p uint64) error {
	switch {
	case ln > MaxScryptLogN:
		return invalid("%s N=2^%d is above the limit of 2^%d", name, ln, MaxScryptLogN)
	case r > MaxScryptR:
		return invalid("%s r=%d is above the limit of %d", name, r, MaxScryptR)
	case p > MaxScryptP:
		return invalid("%s p=%d is above the limit of %d", name, p, MaxScryptP)
	}
	mem := uint64(128) << ln * r
	if mem > MaxScryptMemory {
		return invalid("%s memory %s (N=2^%d, r=%d) is above the limit of %s", name, size(mem), ln, r, size(MaxScryptMemory))
	}
	if mem*p > MaxScryptWork {
		return invalid("%s memory × p (%s × %d) is above the limit of %s", name, size(mem), p, size(MaxScryptWork))
	}
	return nil
}

// parsePBKDF2 accepts the passlib form: $pbkdf2-sha256$iterations$salt$hash
// with salt and hash in passlib's base64 ("." for "+", no padding).
func parsePBKDF2(hash string, parts []string) (*parsed, error) {
	const name = "PBKDF2"
	if len(parts) != 5 {
		return nil, malformed(name, "want $"+parts[1]+"$iterations$salt$hash")
	}
	salt, err := ab64.DecodeString(parts[3])
	if err != nil || len(salt) == 0 {
		return nil, malformed(name, "the salt must be base64")
	}
	key, err := ab64.DecodeString(parts[4])
	if err != nil {
		return nil, malformed(name, "the hash must be base64")
	}
	digest := strings.TrimPrefix(strings.TrimPrefix(parts[1], "pbkdf2"), "-")
	if err := pbkdf2Limits(digest, parts[2], len(key)); err != nil {
		return nil, err
	}
	return decoded(name, hash, cryptpbkdf2.Decode)
}

// parseDjango accepts Django's form, pbkdf2_sha256$iterations$salt$hash,
// where the salt is used as it is written and the hash is padded base64.
// It is converted to the passlib form, which go-crypt verifies.
func parseDjango(hash string) (*parsed, error) {
	const name = "PBKDF2"
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || (parts[0] != "pbkdf2_sha256" && parts[0] != "pbkdf2_sha1") || parts[2] == "" {
		return nil, unsupported()
	}
	key, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil {
		return nil, malformed(name, "the hash must be base64")
	}
	digest := strings.TrimPrefix(parts[0], "pbkdf2_")
	if err := pbkdf2Limits(digest, parts[1], len(key)); err != nil {
		return nil, err
	}
	n, _ := number(parts[1])
	conv := "$pbkdf2-" + digest + "$" + strconv.FormatUint(n, 10) + "$" +
		ab64.EncodeToString([]byte(parts[2])) + "$" + ab64.EncodeToString(key)
	return decoded(name, conv, cryptpbkdf2.Decode)
}

// pbkdf2Limits checks the iterations (as written) and the key length of a
// PBKDF2 hash with digest sha1 (or ""), sha256 or sha512.
func pbkdf2Limits(digest, iterations string, keyLen int) error {
	const name = "PBKDF2"
	n, ok := number(iterations)
	if !ok || n < 1 {
		return malformed(name, "the iterations must be a whole number from 1")
	}
	if keyLen < minKeyLen || keyLen > maxKeyLen {
		return malformed(name, "the hash must be 16 to 64 bytes")
	}
	label, size, limit := "PBKDF2-SHA1", 20, uint64(MaxPBKDF2Iterations)
	switch digest {
	case "sha256":
		label, size = "PBKDF2-SHA256", 32
	case "sha512":
		label, size, limit = "PBKDF2-SHA512", 64, MaxPBKDF2SHA512Iterations
	}
	blocks := uint64((keyLen + size - 1) / size)
	if n*blocks > limit {
		if blocks == 1 {
			return invalid("%s with %d iterations is above the limit of %d", label, n, limit)
		}
		return invalid("%s with %d iterations for a %d-byte hash is above the limit of %d (each %d bytes cost all the iterations)",
			label, n, keyLen, limit/blocks, size)
	}
	return nil
}

// decoded finishes parsing with go-crypt's decoder for the format, which
// Verify will use. The syntax was checked already, so a failure here is a
// case our checks do not know: it is reported as malformed, with go-crypt's
// reason, so that no hash is accepted that Verify could not check.
func decoded(name, hash string, decode func(string) (algorithm.Digest, error)) (*parsed, error) {
	d, err := decode(hash)
	if err != nil {
		return nil, malformed(name, "it could not be decoded")
	}
	return &parsed{digest: d}, nil
}

// params parses "k=v,k=v,..." holding each of keys exactly once, in any
// order, with decimal values. It returns the values in the order of keys.
func params(s string, keys ...string) ([]uint64, bool) {
	vals := make([]uint64, len(keys))
	seen := 0
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, ",")
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, false
		}
		i := 0
		for i < len(keys) && keys[i] != k {
			i++
		}
		if i == len(keys) || seen&(1<<i) != 0 {
			return nil, false
		}
		seen |= 1 << i
		if vals[i], ok = number(v); !ok {
			return nil, false
		}
	}
	return vals, seen == 1<<len(keys)-1
}

// number parses a decimal number of 1 to 12 digits, without sign or
// spaces: more digits than any cost needs, and no overflow in products.
func number(s string) (uint64, bool) {
	if s == "" || len(s) > 12 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// The base64 alphabets of crypt(3) formats (bcrypt orders it differently)
// and passlib's variant of standard base64.
const (
	cryptAlphabet  = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding)

func inAlphabet(s, alphabet string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// kib formats a size in KiB for messages.
func kib(n uint64) string { return size(n << 10) }

// size formats a byte count for messages: "256 MiB", "4 GiB", "1.5 GiB".
func size(n uint64) string {
	for _, u := range []struct {
		unit string
		n    uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.n {
			if n%u.n == 0 {
				return strconv.FormatUint(n/u.n, 10) + " " + u.unit
			}
			return strconv.FormatFloat(float64(n)/float64(u.n), 'f', 1, 64) + " " + u.unit
		}
	}
	return strconv.FormatUint(n, 10) + " bytes"
}
