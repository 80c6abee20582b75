package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"roster"
	"roster/query"
)

// Bulk invites: "Invite these users…" in the table's bulk panel leads to a
// confirmation page with the count and what will be skipped; confirming
// queues an invite job and shows its progress. Revoking an invite is on
// the profile and in the API.

// inviteView is the bulk invite's confirmation page.
type inviteView struct {
	State   tableState
	Preview roster.InvitePreview
	Back    string
}

// readInviteState reads the table's filter from a bulk invite request.
func readInviteState(r *http.Request) tableState {
	v := r.Form
	if r.Method == http.MethodGet {
		v = r.URL.Query()
	}
	return tableState{Q: strings.TrimSpace(v.Get("q")), Members: v.Get("view") == "members", Limit: query.DefaultLimit, Page: 1}
}

// handleBulkInviteConfirm is GET /users/bulk/invite: how many users the
// filter matches, how many get an invite and who is skipped.
func (s *Server) handleBulkInviteConfirm(w http.ResponseWriter, r *http.Request) {
	st := readInviteState(r)
	ids, err := s.match(r, st)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.Invites.PreviewInvites(r.Context(), ids)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "invite_bulk", "Invite users", &inviteView{State: st, Preview: p, Back: st.URL()})
}

// handleBulkInvite is POST /users/bulk/invite: queue the invite job of the
// users the filter matches now, and follow it.
func (s *Server) handleBulkInvite(w http.ResponseWriter, r *http.Request) {
	st := readInviteState(r)
	ids, err := s.match(r, st)
	if err != nil {
		s.error(w, r, err)
		return
	}
	b := bulkAction{State: st}
	j, err := s.Invites.StartInvites(r.Context(), ids, b.filterText())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.wake()
	http.Redirect(w, r, "/invites/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

// findInviteJob returns the invite job with id. ENOTFOUND for another kind.
func (s *Server) findInviteJob(ctx context.Context, id int64) (*roster.Job, error) {
	j, err := s.Jobs.FindJob(ctx, id)
	if roster.ErrorCode(err) == roster.ENOTFOUND || (err == nil && j.Kind != roster.JobInvite) {
		return nil, roster.Errorf(roster.ENOTFOUND, "There is no invite job %d.", id)
	}
	return j, err
}

// inviteJobView is the invite job's page.
type inviteJobView struct {
	Job               *roster.Job
	Status            string
	Percent           int
	Done, Sent, Total int
	Skipped           []inviteSkip
}

type inviteSkip struct {
	What  string
	Count int
}

// handleInviteJob is GET /invites/{id}: the job's progress and
// counts; it reloads itself while the job runs.
func (s *Server) handleInviteJob(w http.ResponseWriter, r *http.Request) {
	j, ok := loadByID(s, w, r, "id", "invite job", s.findInviteJob)
	if !ok {
		return
	}
	v := &inviteJobView{Job: j, Status: statusText(j.Status), Percent: int(j.Progress() * 100), Sent: int(j.Tally[roster.InviteSent]), Total: int(j.Total)}
	for _, k := range []struct{ key, what string }{
		{roster.InviteSkippedNoEmail, "without an email"},
		{roster.InviteSkippedBanned, "banned"},
		{roster.InviteSkippedAccepted, "accepted an invite already"},
		{roster.InviteSkippedDeleted, "deleted since"},
	} {
		n := int(j.Tally[k.key])
		if n > 0 {
			v.Skipped = append(v.Skipped, inviteSkip{What: k.what, Count: n})
		}
		v.Done += n
	}
	v.Done += v.Sent
	s.render(w, r, http.StatusOK, "invite_job", fmt.Sprintf("Invite job %d", j.ID), v)
}

// handleInviteJobCancel is POST /invites/{id}/cancel: the users
// invited so far stay invited.
func (s *Server) handleInviteJobCancel(w http.ResponseWriter, r *http.Request) {
	j, ok := loadByID(s, w, r, "id", "invite job", s.findInviteJob)
	if !ok {
		return
	}
	if err := s.cancelInviteJob(r.Context(), j, staffFrom(r)); err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "The invite job was canceled; the users invited before stay invited.")
	http.Redirect(w, r, "/invites/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

func (s *Server) cancelInviteJob(ctx context.Context, j *roster.Job, by *roster.Staff) error {
	if j.Status.Finished() {
		return roster.Errorf(roster.ECONFLICT, "Invite job %d is %s already.", j.ID, statusText(j.Status))
	}
	return s.Jobs.FinishJob(ctx, j.ID, roster.JobCanceled, "canceled by "+by.Email)
}

// handleUserInviteRevoke is POST /users/{id}/invite/revoke from the
// profile.
func (s *Server) handleUserInviteRevoke(w http.ResponseWriter, r *http.Request) {
	u, reg, ok := s.loadProfile(w, r)
	if !ok {
		return
	}
	if err := s.Invites.RevokeInvite(r.Context(), u.PublicID); err != nil {
		if !refusal(err) {
			s.error(w, r, err)
			return
		}
		view := s.profile(r, u, reg, nil, nil)
		view.Error = roster.ErrorMessage(err)
		s.render(w, r, errorStatus(err), "user", view.Name, view)
		return
	}
	s.setFlash(w, r, "The invitation was revoked: its link no longer works.")
	http.Redirect(w, r, "/users/"+u.PublicID, http.StatusSeeOther)
}

// inviteJobBody is an invite job as the API shows it.
type inviteJobBody struct {
	*roster.Job
	Params   any     `json:"params,omitempty"` // not the ids
	Progress float64 `json:"progress"`
	URL      string  `json:"url"`
}

func inviteJobJSON(j *roster.Job) inviteJobBody {
	return inviteJobBody{Job: j, Progress: j.Progress(), URL: "/api/v1/invites/" + strconv.FormatInt(j.ID, 10)}
}

// apiBulkInvite is POST /api/v1/users/invite with {"q": FILTER} (or
// {"all": true}): 202 with the queued invite job.
func (s *Server) apiBulkInvite(w http.ResponseWriter, r *http.Request) {
	ids, q, err := s.bulkTargets(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if q == "" {
		q = "(all users)"
	}
	j, err := s.Invites.StartInvites(r.Context(), ids, q)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.wake()
	writeJSON(w, http.StatusAccepted, inviteJobJSON(j))
}

// apiGetInviteJob is GET /api/v1/invites/{id}.
func (s *Server) apiGetInviteJob(w http.ResponseWriter, r *http.Request) {
	j, ok := loadByID(s, w, r, "id", "invite job", s.findInviteJob)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, inviteJobJSON(j))
}

// apiCancelInviteJob is POST /api/v1/invites/{id}/cancel.
func (s *Server) apiCancelInviteJob(w http.ResponseWriter, r *http.Request) {
	j, ok := loadByID(s, w, r, "id", "invite job", s.findInviteJob)
	if !ok {
		return
	}
	if err := s.cancelInviteJob(r.Context(), j, staffFrom(r)); err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.Jobs.FindJob(r.Context(), j.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inviteJobJSON(j))
}

// apiRevokeInvite is DELETE /api/v1/users/{id}/invite: the user's status
// after the revoke.
func (s *Server) apiRevokeInvite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.Invites.RevokeInvite(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.Users.FindUserByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": string(u.Status)})
}
