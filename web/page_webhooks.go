package web

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
)

// Settings → Webhooks: the endpoints with their state and last delivery,
// a form to create one (the secret is shown once, in the answer to the
// POST), and a page per endpoint to edit it, enable or disable it, rotate
// its secret, delete it and read its delivery log, newest first, with a
// Replay button per delivery. Forms post back and redirect with a flash on
// success; a refused form shows the page again with what was typed and
// the problem next to the input.

// webhookForm is what the create and edit forms hold.
type webhookForm struct {
	URL, Description string
	Events           map[roster.WebhookEvent]bool
}

// webhookFields is what the "webhook_fields" template gets: the inputs'
// id prefix, the values, their problems and the events to offer.
type webhookFields struct {
	P      string
	F      webhookForm
	E      formErrors
	Events []roster.WebhookEventInfo
}

// webhookFormOf reads the form of r: url, description and one "events"
// value per checked box.
func webhookFormOf(r *http.Request) webhookForm {
	_ = r.ParseForm()
	f := webhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Events: map[roster.WebhookEvent]bool{}}
	for _, ev := range r.PostForm["events"] {
		f.Events[roster.WebhookEvent(ev)] = true
	}
	return f
}

// events returns the checked events: those of the table in its order,
// then any unknown one (which Validate refuses, naming it).
func (f webhookForm) events() []roster.WebhookEvent {
	var out []roster.WebhookEvent
	for _, i := range roster.WebhookEvents {
		if f.Events[i.Event] {
			out = append(out, i.Event)
		}
	}
	for _, ev := range slices.Sorted(maps.Keys(f.Events)) {
		if !roster.KnownWebhookEvent(ev) {
			out = append(out, ev)
		}
	}
	return out
}

func formOfEndpoint(e *roster.WebhookEndpoint) webhookForm {
	f := webhookForm{URL: e.URL, Description: e.Description, Events: map[roster.WebhookEvent]bool{}}
	for _, ev := range e.Events {
		f.Events[ev] = true
	}
	return f
}

// webhookRow is one endpoint of the list.
type webhookRow struct {
	*roster.WebhookEndpoint
	// Last is the newest delivery (nil: none yet).
	Last *roster.WebhookDelivery
}

// webhooksView is the list page.
type webhooksView struct {
	Endpoints []webhookRow
	Events    []roster.WebhookEventInfo
	New       webhookForm
	NewErrors formErrors
	Error     string
	// Created is the endpoint just made, with its secret shown once.
	Created *shownSecret
	Loc     *time.Location
}

func (s *Server) handleWebhooks(w http.ResponseWriter, r *http.Request) {
	s.renderWebhooks(w, r, http.StatusOK, webhooksView{New: webhookForm{Events: map[roster.WebhookEvent]bool{}}})
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, view webhooksView) {
	ctx := r.Context()
	list, err := s.Webhooks.FindWebhooks(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, e := range list {
		last, err := s.Webhooks.FindWebhookDeliveries(ctx, roster.WebhookDeliveryFilter{EndpointID: e.ID, Limit: 1})
		if err != nil {
			s.error(w, r, err)
			return
		}
		row := webhookRow{WebhookEndpoint: e}
		if len(last) > 0 {
			row.Last = last[0]
		}
		view.Endpoints = append(view.Endpoints, row)
	}
	view.Events, view.Loc = roster.WebhookEvents, staffFrom(r).Location()
	s.render(w, r, status, "settings_webhooks", "Webhooks", view)
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	form := webhookFormOf(r)
	e := &roster.WebhookEndpoint{URL: form.URL, Description: form.Description, Events: form.events(), Enabled: true}
	if err := s.Webhooks.CreateWebhook(r.Context(), e); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		view := webhooksView{New: form, NewErrors: fieldErrorsOf(err)}
		if view.NewErrors == nil {
			view.Error = roster.ErrorMessage(err)
		}
		s.renderWebhooks(w, r, http.StatusUnprocessableEntity, view)
		return
	}
	// Shown in this answer only: later pages never show it again.
	s.renderWebhooks(w, r, http.StatusCreated, webhooksView{New: webhookForm{Events: map[roster.WebhookEvent]bool{}},
		Created: &shownSecret{For: e.URL, Label: strconv.FormatInt(e.ID, 10), Secret: e.Secret}})
}

// webhookView is an endpoint's page.
type webhookView struct {
	Endpoint   *roster.WebhookEndpoint
	Events     []roster.WebhookEventInfo
	Edit       webhookForm
	EditErrors formErrors
	Error      string
	// Secret is a secret just rotated, shown once.
	Secret     string
	Deliveries []*roster.WebhookDelivery
	// Older is the before of the next page of the log (0: none); Paged
	// says this is not the first page.
	Older int64
	Paged bool
	Loc   *time.Location
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook)
	if !ok {
		return
	}
	s.renderWebhook(w, r, http.StatusOK, webhookView{Endpoint: e, Edit: formOfEndpoint(e)})
}

func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, status int, view webhookView) {
	before, limit, err := deliveryPageArgs(r, deliveriesPage)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if view.Deliveries, view.Older, err = s.findDeliveries(r, view.Endpoint.ID, before, limit); err != nil {
		s.error(w, r, err)
		return
	}
	view.Paged = before > 0
	view.Events, view.Loc = roster.WebhookEvents, staffFrom(r).Location()
	s.render(w, r, status, "settings_webhook", "Webhook", view)
}

// webhookPath is the page of endpoint id.
func webhookPath(id int64) string { return "/settings/webhooks/" + strconv.FormatInt(id, 10) }

func (s *Server) handleWebhookUpdate(w http.ResponseWriter, r *http.Request) {
	e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook)
	if !ok {
		return
	}
	form := webhookFormOf(r)
	upd := *e
	upd.URL, upd.Description, upd.Events = form.URL, form.Description, form.events()
	if err := s.Webhooks.UpdateWebhook(r.Context(), &upd); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		view := webhookView{Endpoint: e, Edit: form, EditErrors: fieldErrorsOf(err)}
		if view.EditErrors == nil {
			view.Error = roster.ErrorMessage(err)
		}
		s.renderWebhook(w, r, http.StatusUnprocessableEntity, view)
		return
	}
	s.setFlash(w, r, "Webhook saved.")
	http.Redirect(w, r, webhookPath(e.ID), http.StatusSeeOther)
}

// handleWebhookEnabled enables (enabled=1) or disables (enabled=0) an
// endpoint. Enabling clears its failures: what waited is sent at once.
func (s *Server) handleWebhookEnabled(w http.ResponseWriter, r *http.Request) {
	e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook)
	if !ok {
		return
	}
	switch r.PostFormValue("enabled") {
	case "1":
		e.Enabled = true
	case "0":
		e.Enabled = false
	default:
		s.error(w, r, roster.FieldErrors{"enabled": "must be 1 or 0"}.Err())
		return
	}
	if err := s.Webhooks.UpdateWebhook(r.Context(), e); err != nil {
		s.error(w, r, err)
		return
	}
	msg := "Webhook disabled: its events are kept, queued, until it is enabled again."
	if e.Enabled {
		msg = "Webhook enabled: the events that waited are being sent."
		if s.WakeWebhooks != nil {
			s.WakeWebhooks()
		}
	}
	s.setFlash(w, r, msg)
	http.Redirect(w, r, webhookPath(e.ID), http.StatusSeeOther)
}

func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request) {
	e, ok := loadByID(s, w, r, "id", "webhook", s.Webhooks.FindWebhook)
	if !ok {
		return
	}
	secret, err := s.Webhooks.RotateWebhookSecret(r.Context(), e.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	// Shown in this answer only.
	s.renderWebhook(w, r, http.StatusOK, webhookView{Endpoint: e, Edit: formOfEndpoint(e), Secret: secret})
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "webhook")
	if err == nil {
		err = s.Webhooks.DeleteWebhook(r.Context(), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Webhook deleted, with its delivery log.")
	http.Redirect(w, r, "/settings/webhooks", http.StatusSeeOther)
}

func (s *Server) handleWebhookReplay(w http.ResponseWriter, r *http.Request) {
	d, err := s.replayDelivery(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Delivery "+d.MessageID()+" queued again: it is sent with the same webhook-id.")
	http.Redirect(w, r, webhookPath(d.EndpointID), http.StatusSeeOther)
}
