package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"roster"
)

// The profile's segments: every segment with a toggle saying whether the
// user is in it. Turning a toggle adds the user to the segment by hand, or
// removes them by hand, whatever its filter says (SetSegmentMember).

// userSegments is what the profile shows of the user's segments.
type userSegments struct {
	Rows  []userSegmentRow
	Error string
}

// userSegmentRow is one segment on the profile.
type userSegmentRow struct {
	ID     int64
	Name   string
	Member bool
	// ByHand says how a toggle set it: "added by hand", "removed by
	// hand", or empty when the filter decides.
	ByHand string
}

// userSegments loads the profile's segments section: membership is the
// table's, segment:#ID with the user's id. A failure shows as a note in
// that section rather than losing the whole profile.
func (s *Server) userSegments(r *http.Request, u *roster.User, reg *roster.Registry) *userSegments {
	out := &userSegments{}
	if reg.Catalog == nil {
		return out
	}
	for _, sg := range reg.Catalog.Segments {
		n, err := s.countFilter(r, reg, "segment:#"+roster.RefValue(sg.ID)+" id:"+u.PublicID)
		if err != nil {
			s.Logger.Error("profile segments", "user_id", u.PublicID, "segment", sg.ID, "err", err)
			out.Error = "The segments could not be loaded."
			return out
		}
		row := userSegmentRow{ID: sg.ID, Name: sg.Name, Member: n > 0}
		switch {
		case slices.Contains(sg.AddedUsers, u.PublicID):
			row.ByHand = "added by hand"
		case slices.Contains(sg.RemovedUsers, u.PublicID):
			row.ByHand = "removed by hand"
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// handleUserSegment turns a profile's segment toggle: member=1 adds the
// user to the segment by hand, member=0 removes them by hand.
func (s *Server) handleUserSegment(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("id")
	sid, err := pathID(r, "segment", "segment")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var member bool
	switch v := strings.TrimSpace(r.PostFormValue("member")); v {
	case "1":
		member = true
	case "0":
	default:
		s.error(w, r, roster.Errorf(roster.EINVALID, "member must be 1 (add to the segment) or 0 (remove from it), not %s", roster.Quote(v)))
		return
	}
	if err := s.Segments.SetSegmentMember(r.Context(), sid, uid, member); err != nil {
		s.error(w, r, err)
		return
	}
	if member {
		s.setFlash(w, r, "Added to the segment.")
	} else {
		s.setFlash(w, r, "Removed from the segment.")
	}
	http.Redirect(w, r, "/users/"+url.PathEscape(uid)+"#segments", http.StatusSeeOther)
}
