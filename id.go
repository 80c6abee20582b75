package roster

import (
	"crypto/rand"
	"encoding/binary"
)

// publicIDAlphabet is Crockford's base32 in lower case: no i, l, o or u, so
// ids read aloud or copied by hand survive.
const publicIDAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewPublicID returns a random public user id such as "u_3k9d2m7xq0ab".
func NewPublicID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return PublicIDFrom(binary.LittleEndian.Uint64(b[:]))
}

// PublicIDFrom formats the low 60 bits of n as a public id; the demo
// generator uses it to make deterministic ids.
func PublicIDFrom(n uint64) string {
	var b [14]byte
	b[0], b[1] = 'u', '_'
	for i := 13; i >= 2; i-- {
		b[i] = publicIDAlphabet[n&31]
		n >>= 5
	}
	return string(b[:])
}
