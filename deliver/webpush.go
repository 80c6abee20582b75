package deliver

import (
	"bytes"
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"roster"
)

// Web Push for staff: the payload is encrypted for the browser (RFC 8291,
// aes128gcm of RFC 8188) and the request is signed with the server's VAPID
// key (RFC 8292). Written with the standard library only.

// VAPIDPublicKey returns the uncompressed P-256 public key of a VAPID
// private key (PKCS #8 DER), base64url: the applicationServerKey a browser
// subscribes with.
func VAPIDPublicKey(der []byte) (string, error) {
	k, err := parseVAPID(der)
	if err != nil {
		return "", err
	}
	pub, err := k.PublicKey.ECDH()
	if err != nil {
		return "", fmt.Errorf("vapid key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(pub.Bytes()), nil
}

func parseVAPID(der []byte) (*ecdsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("vapid key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("vapid key: not an ECDSA key")
	}
	return ek, nil
}

// b64 decodes base64url with or without padding, as browsers give keys.
func b64(s string) ([]byte, error) {
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}

// EncryptPush encrypts plaintext for the browser with public key p256dh and
// auth secret (both base64url, as the subscription gives them), per RFC
// 8291: one aes128gcm record whose header carries the salt and the
// server's ephemeral public key.
func EncryptPush(p256dh, auth string, plaintext []byte) ([]byte, error) {
	uaPubBytes, err := b64(p256dh)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	authSecret, err := b64(auth)
	if err != nil || len(authSecret) != 16 {
		return nil, errors.New("auth: want a 16-byte secret, base64url")
	}
	uaPub, err := ecdh.P256().NewPublicKey(uaPubBytes)
	if err != nil {
		return nil, fmt.Errorf("p256dh: %w", err)
	}
	asPriv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	shared, err := asPriv.ECDH(uaPub)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	asPub := asPriv.PublicKey().Bytes()
	cek, nonce, err := pushKeys(shared, authSecret, salt, uaPubBytes, asPub)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// One record: the text, then the last-record delimiter 0x02.
	record := append(append([]byte{}, plaintext...), 0x02)
	var out bytes.Buffer
	out.Write(salt)
	_ = binary.Write(&out, binary.BigEndian, uint32(4096))
	out.WriteByte(byte(len(asPub)))
	out.Write(asPub)
	out.Write(gcm.Seal(nil, nonce, record, nil))
	return out.Bytes(), nil
}

// pushKeys derives the content-encryption key and nonce of RFC 8291 from
// the ECDH secret, the browser's auth secret, the record's salt and both
// public keys (browser's, then server's): what the sender and a receiver
// (a test's push service) compute alike.
func pushKeys(shared, authSecret, salt, uaPub, asPub []byte) (cek, nonce []byte, err error) {
	keyInfo := append(append([]byte("WebPush: info\x00"), uaPub...), asPub...)
	ikm, err := hkdf.Key(sha256.New, shared, authSecret, string(keyInfo), 32)
	if err != nil {
		return nil, nil, err
	}
	if cek, err = hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, err
	}
	nonce, err = hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	return cek, nonce, err
}

// vapidAuth returns the Authorization header of RFC 8292 for a request to
// endpoint: a JWT (ES256) for the push service's origin, valid 12 hours,
// and the server's public key.
func vapidAuth(key *ecdsa.PrivateKey, endpoint, subject string, now time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(map[string]any{"aud": u.Scheme + "://" + u.Host, "exp": now.Add(12 * time.Hour).Unix(), "sub": subject})
	if err != nil {
		return "", err
	}
	signing := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return "", err
	}
	return "vapid t=" + signing + "." + enc.EncodeToString(sig) + ", k=" + enc.EncodeToString(pub.Bytes()), nil
}

// PushConfig is how the push worker sends. Zero fields take the defaults
// of Config (Batch, Lease, Poll, Backoff, MaxBackoff, MaxAttempts).
type PushConfig struct {
	Config
	// Subject is the VAPID contact, "mailto:…" or an https URL, that
	// push services may use to reach the operator.
	Subject string
	// Client sends the requests; default one with a 30-second timeout.
	Client *http.Client
}

// PushWorker delivers the push outbox to the browsers' push services, with
// the mail worker's lease and retry rules.
type PushWorker struct {
	store  roster.PushService
	cfg    PushConfig
	key    *ecdsa.PrivateKey
	log    *slog.Logger
	wake   chan struct{}
	client *http.Client
}

// NewPushWorker returns a push worker over store, signing with the VAPID
// key the store keeps (made now if it has none).
func NewPushWorker(ctx context.Context, store roster.PushService, cfg PushConfig, log *slog.Logger) (*PushWorker, error) {
	if log == nil {
		log = slog.Default()
	}
	der, err := store.VAPIDKey(ctx)
	if err != nil {
		return nil, err
	}
	key, err := parseVAPID(der)
	if err != nil {
		return nil, err
	}
	c := &cfg.Config
	c.Batch, c.Lease, c.Poll = cmp.Or(c.Batch, 20), cmp.Or(c.Lease, 5*time.Minute), cmp.Or(c.Poll, 2*time.Second)
	c.Backoff, c.MaxBackoff, c.MaxAttempts = cmp.Or(c.Backoff, 30*time.Second), cmp.Or(c.MaxBackoff, time.Hour), cmp.Or(c.MaxAttempts, 10)
	if c.Owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		c.Owner = fmt.Sprintf("push:%s:%d:%x", host, os.Getpid(), b)
	}
	if cfg.Subject == "" {
		cfg.Subject = "mailto:roster@example.invalid"
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return &PushWorker{store: store, cfg: cfg, key: key, log: log, wake: make(chan struct{}, 1), client: client}, nil
}

// Wake makes the worker look at the push outbox now.
func (w *PushWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (w *PushWorker) Run(ctx context.Context) {
	for {
		batch, err := w.store.ClaimPush(ctx, w.cfg.Owner, w.cfg.Batch, w.cfg.Lease)
		if err != nil && ctx.Err() == nil {
			w.log.Error("claim push", "err", err)
		}
		claimed := time.Now()
		rctx := context.WithoutCancel(ctx)
		for i, m := range batch {
			if ctx.Err() != nil || time.Since(claimed) > w.cfg.Lease/2 {
				ids := make([]int64, 0, len(batch)-i)
				for _, r := range batch[i:] {
					ids = append(ids, r.ID)
				}
				if err := w.store.ReleasePush(rctx, ids, w.cfg.Owner); err != nil {
					w.log.Error("release push", "err", err)
				}
				break
			}
			w.deliver(rctx, m)
		}
		if ctx.Err() != nil {
			return
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-time.After(w.cfg.Poll):
		}
	}
}

// pushPayload is what the service worker (web/static/sw.js) shows.
type pushPayload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Alert string `json:"alert"`
}

// send makes one request; gone reports that the push service no longer
// knows the subscription, permanent that retrying would not help.
func (w *PushWorker) send(ctx context.Context, m *roster.PushMessage) (gone, permanent bool, err error) {
	payload, _ := json.Marshal(pushPayload{Title: m.Title, Body: m.Body, Alert: string(m.Alert)})
	body, err := EncryptPush(m.Subscription.P256DH, m.Subscription.Auth, payload)
	if err != nil {
		return false, true, err
	}
	auth, err := vapidAuth(w.key, m.Subscription.Endpoint, w.cfg.Subject, time.Now())
	if err != nil {
		return false, true, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Subscription.Endpoint, bytes.NewReader(body))
	if err != nil {
		return false, true, err
	}
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", "86400")
	req.Header.Set("Urgency", "normal")
	req.Header.Set("Authorization", auth)
	resp, err := w.client.Do(req)
	if err != nil {
		return false, false, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return false, false, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return true, true, fmt.Errorf("push service: %s", resp.Status)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return false, false, fmt.Errorf("push service: %s %s", resp.Status, bytes.TrimSpace(msg))
	default:
		return false, true, fmt.Errorf("push service: %s %s", resp.Status, bytes.TrimSpace(msg))
	}
}

func (w *PushWorker) deliver(ctx context.Context, m *roster.PushMessage) {
	gone, permanent, err := w.send(ctx, m)
	attempt := m.Attempts + 1
	var rerr error
	switch {
	case err == nil:
		rerr = w.store.RecordPushSent(ctx, m.ID, w.cfg.Owner)
	case gone:
		w.log.Info("push subscription gone", "subscription", m.Subscription.ID)
		rerr = w.store.RecordPushGone(ctx, m.ID, w.cfg.Owner)
	case permanent:
		rerr = w.store.RecordPushFailed(ctx, m.ID, w.cfg.Owner, err.Error())
	case attempt >= w.cfg.MaxAttempts:
		rerr = w.store.RecordPushFailed(ctx, m.ID, w.cfg.Owner, fmt.Sprintf("gave up after %d attempts: %v", attempt, err))
	default:
		rerr = w.store.RecordPushRetry(ctx, m.ID, w.cfg.Owner, err.Error(), time.Now().Add(w.backoff(attempt)))
	}
	if rerr != nil {
		w.log.Error("record push attempt", "notification", m.ID, "err", rerr)
	}
}

func (w *PushWorker) backoff(attempt int) time.Duration {
	d := w.cfg.Backoff
	for i := 1; i < attempt && d < w.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.cfg.MaxBackoff)
}
