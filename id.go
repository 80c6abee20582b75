package roster

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync/atomic"
	"time"
)

// publicIDAlphabet is Crockford's base32 in lower case: no i, l, o or u, so
// ids read aloud or copied by hand survive.
const publicIDAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idEpoch is the start of public id time.
var idEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// idSeq is this process's id counter. It starts at a random value so that
// two nodes creating users in the same second almost never meet (the unique
// index catches the rare case).
var idSeq = func() *atomic.Uint64 {
	var b [8]byte
	rand.Read(b[:])
	var n atomic.Uint64
	n.Store(binary.LittleEndian.Uint64(b[:]))
	return &n
}()

// NewPublicID returns a new public user id such as "u_01h2k3m4n5p6q7r8".
// Ids are ordered by creation second, then by a counter: new rows land at
// the end of B-tree indexes instead of at random pages, which keeps bulk
// inserts fast on both databases.
func NewPublicID() string {
	return PublicIDAt(time.Now(), idSeq.Add(1))
}

// PublicIDAt formats the public id for second t and sequence number seq (its
// low 40 bits). The demo generator uses it for deterministic ids.
func PublicIDAt(t time.Time, seq uint64) string {
	secs := uint64(max(t.Unix()-idEpoch.Unix(), 0))
	var b [18]byte
	b[0], b[1] = 'u', '_'
	for i := 9; i >= 2; i-- {
		b[i] = publicIDAlphabet[secs&31]
		secs >>= 5
	}
	for i := 17; i >= 10; i-- {
		b[i] = publicIDAlphabet[seq&31]
		seq >>= 5
	}
	return string(b[:])
}

// ValidPublicID reports whether s has the form of a public user id, so that
// an import can keep the ids of users exported from another Roster.
func ValidPublicID(s string) bool {
	if len(s) != 18 || s[:2] != "u_" {
		return false
	}
	for i := 2; i < len(s); i++ {
		if strings.IndexByte(publicIDAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
