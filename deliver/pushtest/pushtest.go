// Package pushtest is a Web Push service for tests: an HTTPS server that
// takes notifications for the subscriptions it hands out, checks each
// request's VAPID signature (RFC 8292) and decrypts its payload with the
// subscription's private key (RFC 8291), written here from the RFCs with
// the standard library so that it checks the sender rather than repeating
// it.
package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Message is a notification the service accepted.
type Message struct {
	Subscription string // the endpoint's last path element
	VAPIDKey     string // the k= of the Authorization header, base64url
	Text         []byte // the decrypted payload
}

// Server is the push service.
type Server struct {
	*httptest.Server
	mu   sync.Mutex
	subs map[string]*sub
	got  []Message
	errs []string
	// Gone, when set, answers 410 for every subscription: the browser
	// unsubscribed.
	Gone atomic.Bool
}

type sub struct {
	priv *ecdh.PrivateKey
	auth []byte
}

// Start runs a push service until the test ends.
func Start(t testing.TB) *Server {
	s := &Server{subs: map[string]*sub{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Subscribe makes a subscription as a browser would: its endpoint, public
// key and auth secret (base64url).
func (s *Server) Subscribe(t testing.TB) (endpoint, p256dh, auth string) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]byte, 16)
	_, _ = rand.Read(a)
	id := fmt.Sprintf("s%x", a[:6])
	s.mu.Lock()
	s.subs[id] = &sub{priv: priv, auth: a}
	s.mu.Unlock()
	enc := base64.RawURLEncoding
	return s.URL + "/push/" + id, enc.EncodeToString(priv.PublicKey().Bytes()), enc.EncodeToString(a)
}

// Wait returns the messages once there are n, or fails the test after d;
// it also fails it for any request the service refused.
func (s *Server) Wait(t testing.TB, n int, d time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		got, errs := append([]Message{}, s.got...), append([]string{}, s.errs...)
		s.mu.Unlock()
		if len(errs) > 0 {
			t.Fatalf("push service refused requests: %v", errs)
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("push service: %d messages after %s, want %d", len(got), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) refuse(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
	http.Error(w, msg, status)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/push/")
	s.mu.Lock()
	sb := s.subs[id]
	s.mu.Unlock()
	if r.Method != http.MethodPost || !ok || sb == nil {
		s.refuse(w, http.StatusNotFound, "no subscription at %s %s", r.Method, r.URL.Path)
		return
	}
	if s.Gone.Load() {
		w.WriteHeader(http.StatusGone)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		s.refuse(w, http.StatusBadRequest, "Content-Encoding %q, TTL %q", r.Header.Get("Content-Encoding"), r.Header.Get("TTL"))
		return
	}
	k, err := s.checkVAPID(r)
	if err != nil {
		s.refuse(w, http.StatusUnauthorized, "VAPID: %v", err)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8192))
	text, err := decrypt(sb, body)
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "payload: %v", err)
		return
	}
	s.mu.Lock()
	s.got = append(s.got, Message{Subscription: id, VAPIDKey: k, Text: text})
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID checks "vapid t=<jwt>, k=<key>": an ES256 JWT signed by k,
// for this service's origin, not expired, with a contact.
func (s *Server) checkVAPID(r *http.Request) (string, error) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "vapid ")
	if !ok {
		return "", fmt.Errorf("the Authorization header %q is not vapid", r.Header.Get("Authorization"))
	}
	var jwt, k string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if x, ok := strings.CutPrefix(part, "t="); ok {
			jwt = x
		} else if x, ok := strings.CutPrefix(part, "k="); ok {
			k = x
		}
	}
	enc := base64.RawURLEncoding
	pub, err := enc.DecodeString(k)
	if err != nil || len(pub) != 65 || pub[0] != 4 {
		return "", fmt.Errorf("k=%q is not an uncompressed P-256 key", k)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("t= is not a JWT")
	}
	var hdr struct{ Alg string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	h, _ := enc.DecodeString(parts[0])
	c, _ := enc.DecodeString(parts[1])
	if json.Unmarshal(h, &hdr) != nil || hdr.Alg != "ES256" || json.Unmarshal(c, &claims) != nil {
		return "", fmt.Errorf("JWT header %s, claims %s", h, c)
	}
	if claims.Aud != "https://"+r.Host || claims.Exp < time.Now().Unix() || claims.Exp > time.Now().Add(24*time.Hour).Unix() || claims.Sub == "" {
		return "", fmt.Errorf("claims %s (want aud https://%s, exp within 24 h, a sub)", c, r.Host)
	}
	sig, err := enc.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", fmt.Errorf("signature of %d bytes", len(sig))
	}
	key := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(pub[1:33]), Y: new(big.Int).SetBytes(pub[33:])} //nolint:staticcheck // the key as the header gives it
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(key, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", fmt.Errorf("the JWT's signature does not verify with k")
	}
	return k, nil
}

// hkdf is RFC 5869 with SHA-256 for outputs of at most 32 bytes: one HMAC
// to extract, one to expand.
func hkdf(salt, ikm, info []byte, n int) []byte {
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write(info)
	exp.Write([]byte{1})
	return exp.Sum(nil)[:n]
}

// decrypt opens an aes128gcm body (RFC 8188) for sb as RFC 8291 says.
func decrypt(sb *sub, body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, fmt.Errorf("body of %d bytes", len(body))
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen+17 {
		return nil, fmt.Errorf("key id of %d bytes", idlen)
	}
	asPub, ct := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ct)) > rs {
		return nil, fmt.Errorf("record of %d bytes over the record size %d", len(ct), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, err
	}
	shared, err := sb.priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	uaPub := sb.priv.PublicKey().Bytes()
	ikm := hkdf(sb.auth, shared, append(append([]byte("WebPush: info\x00"), uaPub...), asPub...), 32)
	cek := hkdf(salt, ikm, []byte("Content-Encoding: aes128gcm\x00"), 16)
	nonce := hkdf(salt, ikm, []byte("Content-Encoding: nonce\x00"), 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, err
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 0x02 {
		return nil, fmt.Errorf("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}
