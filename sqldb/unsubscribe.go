package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"

	"roster"
)

// Unsubscribe links: /u/unsubscribe/{token}, where the token is the
// user's public id and an HMAC-SHA256, under a secret shared by every
// node, of the purpose and that id. Nothing is stored: the link works as
// long as the user exists, as often as it is clicked (a mail client's
// one-click POST, then the person's own click), and only unsubscribes.

// unsubscribePurpose binds the MAC to this use of the secret.
const unsubscribePurpose = "unsubscribe"

// unsubscribeKey caches the shared secret of unsubscribe links.
type unsubscribeKey struct {
	mu  sync.Mutex
	key []byte
}

func (k *unsubscribeKey) get(ctx context.Context, db *DB) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.key == nil {
		key, err := db.Secret(ctx, "unsubscribe")
		if err != nil {
			return nil, err
		}
		k.key = key
	}
	return k.key, nil
}

func unsubscribeMAC(key []byte, publicID string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(unsubscribePurpose + "\x00" + publicID))
	return m.Sum(nil)
}

// UnsubscribeToken returns the token of the user publicID's unsubscribe
// link.
func (s *SubscriberService) UnsubscribeToken(ctx context.Context, publicID string) (string, error) {
	key, err := s.key.get(ctx, s.db)
	if err != nil {
		return "", err
	}
	return unsubscribeToken(key, publicID), nil
}

func unsubscribeToken(key []byte, publicID string) string {
	return publicID + "." + base64.RawURLEncoding.EncodeToString(unsubscribeMAC(key, publicID))
}

// UnsubscribePath is the path of an unsubscribe link with token.
func UnsubscribePath(token string) string { return "/u/unsubscribe/" + token }

// FindUnsubscribe checks token in constant time and returns its user.
func (s *SubscriberService) FindUnsubscribe(ctx context.Context, token string) (*roster.Subscriber, error) {
	notFound := roster.LinkError(roster.LinkUnknown)
	id, mac, ok := strings.Cut(token, ".")
	if !ok || !roster.ValidPublicID(id) {
		return nil, notFound
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return nil, notFound
	}
	key, err := s.key.get(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(got, unsubscribeMAC(key, id)) {
		return nil, notFound
	}
	sub := &roster.Subscriber{}
	err = s.db.queryRow(ctx, "SELECT id, public_id, COALESCE(email, ''), newsletter FROM users WHERE public_id = ?", id).
		Scan(&sub.ID, &sub.PublicID, &sub.Email, &sub.Newsletter)
	if err != nil {
		if roster.ErrorCode(formatError(err, "")) == roster.ENOTFOUND {
			return nil, notFound
		}
		return nil, formatError(err, "find unsubscribe")
	}
	return sub, nil
}

// QueueListMail queues a message that is not transactional, with the
// user's unsubscribe link, in one transaction with the check that the
// user is subscribed.
func (s *SubscriberService) QueueListMail(ctx context.Context, userID int64, template string, d roster.MailData) (*roster.OutboxMessage, error) {
	// The secret first: on SQLite, reading it needs the one writer
	// connection the transaction would hold.
	key, err := s.key.get(ctx, s.db)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var publicID, email string
	var subscribed bool
	err = tx.queryRow(ctx, "SELECT public_id, COALESCE(email, ''), newsletter FROM users WHERE id = ?"+s.db.forUpdate(), userID).
		Scan(&publicID, &email, &subscribed)
	if err != nil {
		return nil, formatError(err, "queue list mail")
	}
	switch {
	case email == "":
		return nil, roster.Errorf(roster.EINVALID, "This user has no email address.")
	case !subscribed:
		return nil, roster.Errorf(roster.ECONFLICT, "This user is not subscribed.")
	}
	d.UnsubscribePath = UnsubscribePath(unsubscribeToken(key, publicID))
	m, err := tx.enqueue(ctx, s.mail, userID, email, template, d)
	if err != nil {
		return nil, err
	}
	if err := tx.commit(); err != nil {
		return nil, err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return m, nil
}
