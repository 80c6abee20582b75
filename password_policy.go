package roster

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // the common-password list
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// The password policy (NIST SP 800-63B): a length, any characters, and no
// password that is common or made of the account's own address. The one
// place that says which passwords people may choose: hosted reset and
// invite pages, staff creating or changing accounts, the API. Imports keep
// the older rule of CheckImportedPassword, so that operators can move
// existing accounts over.

// PasswordPolicy is the rule for the passwords of one kind of account.
type PasswordPolicy struct {
	// Min is the fewest characters (runes) a password may have.
	Min int
}

// Password policies: users choose at least 8 characters, staff at least 12;
// at most MaxPasswordLen for everyone.
var (
	UserPasswords  = PasswordPolicy{Min: 8}
	StaffPasswords = PasswordPolicy{Min: 12}
)

// MaxPasswordLen is the most characters (runes) a password may have.
const MaxPasswordLen = 128

// minLocalPart is the shortest email local part that a password may not
// contain: "al" in "al@example.com" would refuse too much.
const minLocalPart = 3

// Check returns an EINVALID error naming "password" when pw breaks the
// policy for the account whose address is email ("" when it has none): too
// short, too long, one of the common passwords, or containing the part of
// email before the @. The message says which rule failed, never the
// password.
func (p PasswordPolicy) Check(pw, email string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < p.Min:
		return passwordError(fmt.Sprintf("must have at least %d characters", p.Min))
	case n > MaxPasswordLen:
		return passwordError(fmt.Sprintf("must have at most %d characters", MaxPasswordLen))
	case CommonPassword(pw):
		return passwordError("is one of the most common passwords: choose one that is harder to guess")
	}
	local, _, _ := strings.Cut(email, "@")
	if utf8.RuneCountInString(local) >= minLocalPart && strings.Contains(strings.ToLower(pw), strings.ToLower(local)) {
		return passwordError("must not contain the email address's name (the part before the @)")
	}
	return nil
}

func passwordError(msg string) error { return FieldErrors{"password": msg}.Err() }

// Imported passwords (a CSV column of plain passwords) keep the rule that
// imports have always had: at least MinImportedPasswordLen characters and
// at most 1024 bytes. Operators move existing accounts, whose owners chose
// their passwords elsewhere; the policy applies when they next choose one.
const MinImportedPasswordLen = 10

// CheckImportedPassword returns an EINVALID error naming "password" when an
// imported plain password is too short or too long.
func CheckImportedPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinImportedPasswordLen {
		return passwordError(fmt.Sprintf("must have at least %d characters", MinImportedPasswordLen))
	}
	if len(pw) > 1024 {
		return passwordError("is longer than 1024 bytes")
	}
	return nil
}

// commonPasswordsGz is the bundled list of common passwords: one a line,
// lower-cased (data/README.md says where it comes from;
// scripts/common-passwords.sh makes it).
//
//go:embed data/common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is the list, sorted, read once on first use. Only the
// entries a policy could accept by length are kept: a shorter one is
// refused anyway.
var commonPasswords = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("common passwords: " + err.Error()) // the embedded file is part of the build
	}
	var out []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if n := utf8.RuneCount(sc.Bytes()); n >= UserPasswords.Min && n <= MaxPasswordLen {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		panic("common passwords: " + err.Error())
	}
	slices.Sort(out)
	return slices.Compact(out)
})

// CommonPasswordCount returns how many common passwords the policy refuses.
func CommonPasswordCount() int { return len(commonPasswords()) }

// CommonPassword reports whether pw, ignoring case, is one of the bundled
// common passwords.
func CommonPassword(pw string) bool {
	_, found := slices.BinarySearch(commonPasswords(), strings.ToLower(pw))
	return found
}
