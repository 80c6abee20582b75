package web

import (
	"context"
	"net/http"

	"roster"
)

func (s *Server) apiListTags(w http.ResponseWriter, r *http.Request) {
	tags, err := s.findTags(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if tags == nil {
		tags = []roster.Tag{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": tags})
}

// findTags returns every tag with its user count.
func (s *Server) findTags(ctx context.Context) ([]roster.Tag, error) {
	tags, err := s.Tags.FindTags(ctx)
	if err != nil || s.Members == nil {
		return tags, err
	}
	n, err := s.Members.MemberCounts(ctx, "tags")
	for i := range tags {
		tags[i].Users = n[tags[i].ID]
	}
	return tags, err
}

func (s *Server) apiGetTag(w http.ResponseWriter, r *http.Request) {
	if t, ok := loadByID(s, w, r, "id", "tag", s.Tags.FindTag); ok {
		writeJSON(w, http.StatusOK, t)
	}
}

func (s *Server) apiCreateTag(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name  string `json:"name"`
		Color string `json:"color"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t := &roster.Tag{Name: in.Name, Color: in.Color}
	if err := s.Tags.CreateTag(r.Context(), t); err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tags/"+roster.RefValue(t.ID))
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiUpdateTag(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "tag")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var upd roster.TagUpdate
	if err := decodeInto(w, r, &upd); err != nil {
		s.error(w, r, err)
		return
	}
	t, err := s.Tags.UpdateTag(r.Context(), id, upd)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiDeleteTag(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "tag")
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := s.Tags.DeleteTag(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"removed_from": n})
}

// apiTagUser is POST /api/v1/users/{id}/tags with {"tag_id": N}; it
// answers with the user, the tag first in their list.
func (s *Server) apiTagUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TagID int64 `json:"tag_id"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.TagID <= 0 {
		s.error(w, r, roster.FieldErrors{"tag_id": "is required"}.Err())
		return
	}
	// The tag is named by the body: its absence is a bad value (422); the
	// user is named by the URL: their absence is a 404.
	if _, err := s.Tags.FindTag(r.Context(), in.TagID); err != nil {
		s.error(w, r, notFoundAs(err, "tag_id", "there is no such tag"))
		return
	}
	if err := s.Tags.TagUser(r.Context(), r.PathValue("id"), in.TagID); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK)
}

// apiUntagUser is DELETE /api/v1/users/{id}/tags/{tag_id}; it answers
// with the user.
func (s *Server) apiUntagUser(w http.ResponseWriter, r *http.Request) {
	tagID, err := pathID(r, "tag_id", "tag")
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.Tags.UntagUser(r.Context(), r.PathValue("id"), tagID); err != nil {
		s.error(w, r, err)
		return
	}
	s.writeUser(w, r, http.StatusOK)
}

// apiApplyTag is POST /api/v1/tags/{id}/apply with {"q": FILTER}: the tag
// goes on every matching user.
func (s *Server) apiApplyTag(w http.ResponseWriter, r *http.Request) {
	s.bulkTag(w, r, true)
}

// apiRemoveTag is POST /api/v1/tags/{id}/remove with {"q": FILTER}.
func (s *Server) apiRemoveTag(w http.ResponseWriter, r *http.Request) {
	s.bulkTag(w, r, false)
}

func (s *Server) bulkTag(w http.ResponseWriter, r *http.Request, add bool) {
	apply := s.Tags.TagUsers
	if !add {
		apply = s.Tags.UntagUsers
	}
	s.bulkAPI(w, r, "tag", func(ctx context.Context, id int64) error { _, err := s.Tags.FindTag(ctx, id); return err }, apply)
}

// bulkAPI runs a bulk action on the tag or group named by the path: the
// users the body's filter selects, applied in one call; it answers with
// how many changed and how many matched.
func (s *Server) bulkAPI(w http.ResponseWriter, r *http.Request, what string, find func(context.Context, int64) error,
	apply func(ctx context.Context, id int64, ids []int64, filter string) (int, error)) {
	id, err := pathID(r, "id", what)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := find(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	ids, q, err := s.bulkTargets(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	n, err := apply(r.Context(), id, ids, q)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bulkResult{Count: n, Matched: len(ids)})
}
