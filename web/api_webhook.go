package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"roster"
)

// The webhooks API (/api/v1/webhooks) and what Settings → Webhooks shares
// with it: the JSON shapes, the id lookups and the page size of the
// delivery log.

// deliveriesPage is how many deliveries one page of the log shows.
const deliveriesPage = 50

// webhooksOn wraps a webhook handler: without a webhook store (a server
// wired without one) the routes name nothing that exists.
func (s *Server) webhooksOn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Webhooks == nil {
			s.error(w, r, roster.Errorf(roster.ENOTFOUND, "Webhooks are not available on this server."))
			return
		}
		h(w, r)
	}
}

// webhookJSON is an endpoint as the API shows it. Secret is set only in
// the answers that make one (create, rotate-secret).
type webhookJSON struct {
	ID             int64                 `json:"id"`
	URL            string                `json:"url"`
	Description    string                `json:"description"`
	Events         []roster.WebhookEvent `json:"events"`
	Enabled        bool                  `json:"enabled"`
	DisabledReason string                `json:"disabled_reason"`
	Failures       int                   `json:"failures"`
	FailingSince   *string               `json:"failing_since"`
	CreatedAt      *string               `json:"created_at"`
	UpdatedAt      *string               `json:"updated_at"`
	Secret         string                `json:"secret,omitempty"`
}

func toWebhookJSON(e *roster.WebhookEndpoint) webhookJSON {
	ev := e.Events
	if ev == nil {
		ev = []roster.WebhookEvent{}
	}
	return webhookJSON{ID: e.ID, URL: e.URL, Description: e.Description, Events: ev, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, Failures: e.Failures, FailingSince: jsonTime(e.FailingSince),
		CreatedAt: jsonTime(e.CreatedAt), UpdatedAt: jsonTime(e.UpdatedAt), Secret: e.Secret}
}

// attemptJSON is one request of a delivery.
type attemptJSON struct {
	At         *string `json:"at"`
	StatusCode int     `json:"status_code"`
	DurationMS int64   `json:"duration_ms"`
	Response   string  `json:"response"`
	Error      string  `json:"error"`
}

// deliveryJSON is one event for one endpoint, with its latest attempt.
type deliveryJSON struct {
	ID            int64                `json:"id"`
	MessageID     string               `json:"webhook_id"`
	Event         roster.WebhookEvent  `json:"event"`
	UserID        string               `json:"user_id,omitempty"`
	Data          json.RawMessage      `json:"data"`
	Status        roster.WebhookStatus `json:"status"`
	Attempts      int                  `json:"attempts"`
	LastError     string               `json:"last_error"`
	NextAttemptAt *string              `json:"next_attempt_at"`
	CreatedAt     *string              `json:"created_at"`
	DeliveredAt   *string              `json:"delivered_at"`
	LastAttempt   *attemptJSON         `json:"last_attempt"`
}

func toDeliveryJSON(d *roster.WebhookDelivery) deliveryJSON {
	data := json.RawMessage(d.Data)
	if !json.Valid(data) {
		data = json.RawMessage("{}")
	}
	out := deliveryJSON{ID: d.ID, MessageID: d.MessageID(), Event: d.Event, UserID: d.UserPublicID, Data: data, Status: d.Status,
		Attempts: d.Attempts, LastError: d.LastError, CreatedAt: jsonTime(d.CreatedAt), DeliveredAt: jsonTime(d.DeliveredAt)}
	if d.Status == roster.WebhookQueued {
		out.NextAttemptAt = jsonTime(d.NextAttemptAt)
	}
	if a := d.Last; a != nil {
		out.LastAttempt = &attemptJSON{At: jsonTime(a.At), StatusCode: a.StatusCode, DurationMS: a.Duration.Milliseconds(), Response: a.Response, Error: a.Error}
	}
	return out
}

// webhookInput is the body of a create or an update: members left out
// keep their value (on create: enabled is true, description empty).
type webhookInput struct {
	URL         *string                `json:"url"`
	Description *string                `json:"description"`
	Events      *[]roster.WebhookEvent `json:"events"`
	Enabled     *bool                  `json:"enabled"`
}

// apply sets the members present in in on e.
func (in webhookInput) apply(e *roster.WebhookEndpoint) {
	if in.URL != nil {
		e.URL = *in.URL
	}
	if in.Description != nil {
		e.Description = *in.Description
	}
	if in.Events != nil {
		e.Events = *in.Events
	}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
}

func (s *Server) apiListWebhooks(w http.ResponseWriter, r *http.Request) {
	list, err := s.Webhooks.FindWebhooks(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]webhookJSON, 0, len(list))
	for _, e := range list {
		out = append(out, toWebhookJSON(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhookInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	e := &roster.WebhookEndpoint{Enabled: true}
	in.apply(e)
	if err := s.Webhooks.CreateWebhook(r.Context(), e); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(e.ID, 10))
	// The only answer that carries the secret, with rotate-secret's.
	writeJSON(w, http.StatusCreated, toWebhookJSON(e))
}

func (s *Server) apiGetWebhook(w http.ResponseWriter, r *http.Request) {
	if e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook); ok {
		writeJSON(w, http.StatusOK, toWebhookJSON(e))
	}
}

func (s *Server) apiUpdateWebhook(w http.ResponseWriter, r *http.Request) {
	e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook)
	if !ok {
		return
	}
	var in webhookInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	in.apply(e)
	if err := s.Webhooks.UpdateWebhook(r.Context(), e); err != nil {
		s.error(w, r, err)
		return
	}
	e, err := s.Webhooks.FindWebhook(r.Context(), e.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(e))
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "webhook")
	if err == nil {
		err = s.Webhooks.DeleteWebhook(r.Context(), id)
	}
	s.noContent(w, r, err)
}

func (s *Server) apiRotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		s.error(w, r, err)
		return
	}
	secret, err := s.Webhooks.RotateWebhookSecret(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": secret})
}

// deliveryPageArgs reads a page of the delivery log from the query string:
// before (a delivery id; empty: the newest) and limit (1 to 500).
func deliveryPageArgs(r *http.Request, limit int) (before int64, n int, err error) {
	fe := roster.FieldErrors{}
	if v := r.URL.Query().Get("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			fe.Add("before", "must be a delivery id, a whole number above 0")
		}
	}
	n = limit
	if v := r.URL.Query().Get("limit"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 500 {
			fe.Add("limit", "must be a whole number from 1 to 500")
		}
	}
	return before, n, fe.Err()
}

// findDeliveries returns a page of endpoint id's log, newest first, and
// the before of the next page (0: none).
func (s *Server) findDeliveries(r *http.Request, id, before int64, limit int) ([]*roster.WebhookDelivery, int64, error) {
	list, err := s.Webhooks.FindWebhookDeliveries(r.Context(), roster.WebhookDeliveryFilter{EndpointID: id, BeforeID: before, Limit: limit + 1})
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

func (s *Server) apiListWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook)
	if !ok {
		return
	}
	before, limit, err := deliveryPageArgs(r, deliveriesPage)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list, next, err := s.findDeliveries(r, e.ID, before, limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]deliveryJSON, 0, len(list))
	for _, d := range list {
		out = append(out, toDeliveryJSON(d))
	}
	body := map[string]any{"deliveries": out, "next_before": nil}
	if next != 0 {
		body["next_before"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

// endpointDelivery loads the delivery named by the path's {delivery} of
// the endpoint named by {id}: a delivery of another endpoint is not found.
func (s *Server) endpointDelivery(r *http.Request) (*roster.WebhookDelivery, error) {
	id, err := pathID(r, "id", "webhook")
	if err != nil {
		return nil, err
	}
	if _, err := s.Webhooks.FindWebhook(r.Context(), id); err != nil {
		return nil, err
	}
	did, err := pathID(r, "delivery", "webhook delivery")
	if err != nil {
		return nil, err
	}
	d, err := s.Webhooks.FindWebhookDelivery(r.Context(), did)
	if err != nil {
		return nil, err
	}
	if d.EndpointID != id {
		return nil, roster.Errorf(roster.ENOTFOUND, "No such webhook delivery.")
	}
	return d, nil
}

// replayDelivery queues the delivery the path names again and wakes the
// worker.
func (s *Server) replayDelivery(r *http.Request) (*roster.WebhookDelivery, error) {
	d, err := s.endpointDelivery(r)
	if err != nil {
		return nil, err
	}
	if err := s.Webhooks.ReplayWebhookDelivery(r.Context(), d.ID); err != nil {
		return nil, err
	}
	if s.WakeWebhooks != nil {
		s.WakeWebhooks()
	}
	return d, nil
}

func (s *Server) apiReplayWebhookDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.replayDelivery(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if d, err = s.Webhooks.FindWebhookDelivery(r.Context(), d.ID); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
}
