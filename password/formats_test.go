package password

import (
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"roster"
)

const plain = "correct horse battery staple"

// foreign holds hashes of plain written by other implementations: Python's
// hashlib (OpenSSL) for scrypt and PBKDF2 in passlib's and Django's forms,
// and the system's crypt(3) (libxcrypt) for bcrypt and yescrypt.
var foreign = []struct{ name, hash string }{
	{"bcrypt 2a", "$2a$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS"},
	{"bcrypt 2y", "$2y$04$abcdefghijklmnopqrstuu7EJV7kdjBBQxyb0HjTh9KS7.Lah/6CG"},
	{"scrypt", "$scrypt$ln=14,r=8,p=1$cm9zdGVyLXNhbHQtMTIzNA$zwx7OMEZ4xjZHQUbHJS3WBqjokmHCbnU5pFFXC4G1ho"},
	{"yescrypt", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$y8e1eitiNDaQsFFW6d.9KbSTlk5zV3R3coZQtfcNAO5"},
	{"pbkdf2-sha1", "$pbkdf2$131000$cm9zdGVyLXNhbHQtMTIzNA$rqBkDn2CTRmmBqvHmpo/ggrDUUQ"},
	{"pbkdf2-sha256", "$pbkdf2-sha256$29000$cm9zdGVyLXNhbHQtMTIzNA$nrRRmiPTSJcwgCC5BX3UJjaFen37RM3N33VyrFGVGHw"},
	{"pbkdf2-sha512", "$pbkdf2-sha512$25000$cm9zdGVyLXNhbHQtMTIzNA$ZL0oeUpM9QRFdeSiC81Z/skYLi3Tlrvjq8TcIq5GfvrZTi/mUtFSYBPP19OQ.PtpWSpPyD6wKqMEFKL7qKGwnw"},
	{"django pbkdf2_sha256", "pbkdf2_sha256$870000$Qx3vD9kLm2Pz8RtY1uWcAb$w0lNG3xkO3curPQSCxg5cBTNMCREoUJ12oMIMJ9Ag0Y="},
	{"django pbkdf2_sha1", "pbkdf2_sha1$100000$Qx3vD9kLm2Pz8RtY1uWcAb$30cMlHS0GX2SsVizRo3BdQR8fow="},
}

// argon2PHC formats an argon2 key made by x/crypto, which go-crypt does not
// use, so that the two implementations check each other.
func argon2PHC(variant string, m, t uint32, p uint8) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.Key([]byte(plain), salt, t, m, p, 32)
	if variant == "argon2id" {
		key = argon2.IDKey([]byte(plain), salt, t, m, p, 32)
	}
	return fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestVerify_ImportedFormats(t *testing.T) {
	hashes := foreign
	bc, err := bcrypt.GenerateFromPassword([]byte(plain), 4)
	if err != nil {
		t.Fatal(err)
	}
	hashes = append(hashes,
		struct{ name, hash string }{"bcrypt 2b (x/crypto)", string(bc)},
		struct{ name, hash string }{"argon2i", argon2PHC("argon2i", 12288, 3, 1)},
		struct{ name, hash string }{"argon2id other parameters", argon2PHC("argon2id", 12288, 3, 2)},
	)
	for _, h := range hashes {
		t.Run(h.name, func(t *testing.T) {
			if err := CheckImported(h.hash); err != nil {
				t.Fatalf("CheckImported = %v", err)
			}
			if err := Verify(plain, h.hash); err != nil {
				t.Fatalf("Verify(right) = %v", err)
			}
			if err := Verify(plain+"!", h.hash); !errors.Is(err, ErrMismatch) {
				t.Fatalf("Verify(wrong) = %v, want ErrMismatch", err)
			}
			if !NeedsRehash(h.hash) {
				t.Fatal("NeedsRehash = false for a hash that is not ours")
			}
		})
	}
}

func TestCheckImported_Ours(t *testing.T) {
	h, err := Hash(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckImported(h); err != nil {
		t.Fatalf("CheckImported(our hash) = %v", err)
	}
}

// TestCheckImported_Limits checks that absurd costs are refused with a
// message that says which parameter and what the limit is, and that Verify
// refuses them at once instead of running them.
func TestCheckImported_Limits(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, tc := range []struct{ hash, want string }{
		{"$2b$31$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", "bcrypt cost 31 is above the limit of 15"},
		{"$2y$16$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", "bcrypt cost 16 is above the limit of 15"},
		{"$scrypt$ln=24,r=8,p=1$" + salt + "$" + key, "scrypt N=2^24 is above the limit of 2^20"},
		{"$scrypt$ln=20,r=8,p=1$" + salt + "$" + key, "scrypt memory 1 GiB (N=2^20, r=8) is above the limit of 256 MiB"},
		{"$scrypt$ln=14,r=64,p=1$" + salt + "$" + key, "scrypt r=64 is above the limit of 32"},
		{"$scrypt$ln=14,r=8,p=17$" + salt + "$" + key, "scrypt p=17 is above the limit of 16"},
		{"$scrypt$ln=17,r=8,p=16$" + salt + "$" + key, "scrypt memory × p (128 MiB × 16) is above the limit of 512 MiB"},
		{"$y$jET$F5Jx5fExrKuPp53xLKQ..1$y8e1eitiNDaQsFFW6d.9KbSTlk5zV3R3coZQtfcNAO5", "yescrypt memory 512 MiB (N=2^17, r=32) is above the limit of 256 MiB"},
		{"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, "argon2 memory 4 GiB is above the limit of 256 MiB"},
		{"$argon2i$v=19$m=19456,t=11,p=1$" + salt + "$" + key, "argon2 t=11 passes is above the limit of 10"},
		{"$argon2id$v=19$m=19456,t=2,p=64$" + salt + "$" + key, "argon2 p=64 lanes is above the limit of 16"},
		{"$argon2id$v=19$m=262144,t=5,p=1$" + salt + "$" + key, "argon2 memory × passes (256 MiB × 5) is above the limit of 1 GiB"},
		{"$pbkdf2-sha256$100000000$" + salt + "$" + key, "PBKDF2-SHA256 with 100000000 iterations is above the limit of 10000000"},
		{"$pbkdf2-sha512$5000000$" + salt + "$" + key, "PBKDF2-SHA512 with 5000000 iterations is above the limit of 3000000"},
		{"$pbkdf2$6000000$" + salt + "$" + key, "PBKDF2-SHA1 with 6000000 iterations for a 32-byte hash is above the limit of 5000000 (each 20 bytes cost all the iterations)"},
		{"pbkdf2_sha256$20000000$abc$w0lNG3xkO3curPQSCxg5cBTNMCREoUJ12oMIMJ9Ag0Y=", "PBKDF2-SHA256 with 20000000 iterations is above the limit of 10000000"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			err := CheckImported(tc.hash)
			checkMessage(t, err, tc.want)
			// Refusing must not hash: a memory-hard hash of these
			// parameters would allocate hundreds of MiB. Counted in
			// bytes, not timed, so a busy machine cannot fail it.
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err = Verify(plain, tc.hash)
			runtime.ReadMemStats(&after)
			checkMessage(t, err, tc.want)
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("Verify allocated %d bytes to refuse: it must not hash", n)
			}
		})
	}
}

// checkMessage checks that err is an EINVALID error reading want, both as
// err.Error() and as its user message.
func checkMessage(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %q", want)
	}
	if err.Error() != want || roster.ErrorMessage(err) != want {
		t.Errorf("err = %q (message %q), want %q", err.Error(), roster.ErrorMessage(err), want)
	}
	if roster.ErrorCode(err) != roster.EINVALID {
		t.Errorf("code = %q, want %q", roster.ErrorCode(err), roster.EINVALID)
	}
}

func TestCheckImported_Refused(t *testing.T) {
	const unsupported = "not a supported hash (bcrypt, argon2id, scrypt or PBKDF2)"
	for _, tc := range []struct{ hash, want string }{
		{"", unsupported},
		{"plain text password", unsupported},
		{"5f4dcc3b5aa765d61d8327deb882cf99", unsupported},   // unsalted MD5
		{"$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", unsupported}, // md5crypt
		{"$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/", unsupported},
		{"$2x$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", unsupported}, // buggy crypt_blowfish
		{"{SSHA}xxxx", unsupported},
		{" $2a$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", unsupported},
		{"$2a$05$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS\n", unsupported},
		{"$", unsupported},
		{"$$$$", unsupported},
		{"pbkdf2_sha512$1000$salt$aGFzaA==", unsupported},
		{"$2a$05$short", "not a valid bcrypt hash: want $2b$NN$ and 53 characters of salt and hash"},
		{"$2a$03$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", "not a valid bcrypt hash: the cost must be a number from 04"},
		{"$2a$+5$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS", "not a valid bcrypt hash: the cost must be a number from 04"},
		{"$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "not a valid argon2 hash: only version 19 (v=19) is supported"},
		{"$argon2id$v=19$m=19456,t=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "not a valid argon2 hash: the parameters must be m=…,t=…,p=… with whole numbers"},
		{"$argon2id$v=19$m=19456,t=2,p=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "not a valid argon2 hash: the parameters must be m=…,t=…,p=… with whole numbers"},
		{"$argon2id$v=19$m=4,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "not a valid argon2 hash: t and p must be at least 1 and m at least 8 × p"},
		{"$argon2id$v=19$m=19456,t=2,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5", "not a valid argon2 hash: the salt must be base64 of at least 8 bytes"},
		{"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5", "not a valid argon2 hash: the hash must be base64 of 16 to 128 bytes"},
		{"$argon2d$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", unsupported},
		{"$scrypt$ln=0,r=8,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5", "not a valid scrypt hash: the parameters must be ln=…,r=…,p=… with whole numbers from 1"},
		{"$scrypt$ln=14,r=8,p=1$c2FsdA$a2V5", "not a valid scrypt hash: the hash must be base64 of 16 to 64 bytes"},
		{"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$y8e1eitiNDaQ", "not a valid yescrypt hash: want $y$j..$salt$ and 43 characters of hash"},
		{"$pbkdf2-sha256$0$c2FsdA$nrRRmiPTSJcwgCC5BX3UJjaFen37RM3N33VyrFGVGHw", "not a valid PBKDF2 hash: the iterations must be a whole number from 1"},
		{"$pbkdf2-sha256$29000$c2FsdA$bnJS", "not a valid PBKDF2 hash: the hash must be 16 to 64 bytes"},
		{"pbkdf2_sha256$870000$salt$not base64", unsupported},
		{"pbkdf2_sha256$870000$salt$@@@@", "not a valid PBKDF2 hash: the hash must be base64"},
		{"$2a$05$" + strings.Repeat("a", 600), "a password hash is at most 512 characters; this one has 607"},
	} {
		t.Run(tc.hash, func(t *testing.T) {
			checkMessage(t, CheckImported(tc.hash), tc.want)
			if err := Verify(plain, tc.hash); err == nil || errors.Is(err, ErrMismatch) {
				t.Errorf("Verify = %v, want the CheckImported error", err)
			}
		})
	}
}

// CheckImported must not hash (an import checks every row's hash):
// BenchmarkCheckImported measures it, in nanoseconds per hash.

func BenchmarkCheckImported(b *testing.B) {
	for _, h := range foreign {
		b.Run(h.name, func(b *testing.B) {
			for b.Loop() {
				CheckImported(h.hash)
			}
		})
	}
}

// FuzzCheckImported checks that no input makes CheckImported panic, that
// every refusal is a clean EINVALID message, and that every hash it accepts
// can be verified without an error other than a mismatch (when it is cheap
// to verify: the limits allow seconds, which would stall the fuzzer).
func FuzzCheckImported(f *testing.F) {
	for _, h := range foreign {
		f.Add(h.hash)
	}
	ours, _ := Hash(plain)
	f.Add(ours)
	f.Add(argon2PHC("argon2i", 64, 1, 1))
	f.Add("$2b$04$abcdefghijklmnopqrstuuFiPhXf1sVd3pCCRO.uVh34H/qI/ZsuS")
	f.Add("$argon2id$v=19$m=64,t=1,p=8$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$scrypt$ln=1,r=1,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$pbkdf2-sha512$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("pbkdf2_sha1$1$s$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$y$j65$abcdefghijklmnop$xBquIAp1laO8W3j/MsvStG6ItdQMJevHoKwASsehR/4") // N=2^9, r=8
	f.Fuzz(func(t *testing.T, hash string) {
		err := CheckImported(hash)
		if err != nil {
			msg := roster.ErrorMessage(err)
			if roster.ErrorCode(err) != roster.EINVALID || msg == "" || err.Error() != msg {
				t.Fatalf("CheckImported(%q) = %v (code %q, message %q)", hash, err, roster.ErrorCode(err), msg)
			}
			return
		}
		if !cheap(hash) {
			return
		}
		if err := Verify("fuzz", hash); err != nil && !errors.Is(err, ErrMismatch) {
			t.Fatalf("CheckImported(%q) accepted a hash that Verify refuses: %v", hash, err)
		}
	})
}

// cheap reports whether an accepted hash takes a few milliseconds at most
// to verify, from its cost parameters.
func cheap(hash string) bool {
	parts := strings.Split(hash, "$")
	switch {
	case strings.HasPrefix(hash, "pbkdf2_"):
		n, _ := number(parts[1])
		return n <= 10_000
	case strings.HasPrefix(parts[1], "2"):
		n, _ := number(parts[2])
		return n <= 6
	case strings.HasPrefix(parts[1], "argon2"):
		v, _ := params(parts[3], "m", "t", "p")
		return v[0]*v[1] <= 1024
	case parts[1] == "scrypt":
		v, _ := params(parts[2], "ln", "r", "p")
		return v[0] <= 10 && v[1] <= 8 && v[2] <= 2
	case parts[1] == "y":
		return strings.IndexByte(cryptAlphabet, parts[2][1]) <= 9 && strings.IndexByte(cryptAlphabet, parts[2][2]) <= 7
	case strings.HasPrefix(parts[1], "pbkdf2"):
		n, _ := number(parts[2])
		return n <= 10_000
	}
	return false
}
