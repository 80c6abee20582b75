package web

import (
	"net/http"

	"roster"
)

// segmentJSON is a segment as the API shows it; Count, its live number of
// members, is given for one segment at a time.
type segmentJSON struct {
	roster.Segment
	Count *int `json:"count,omitempty"`
}

// segmentInput is the body of POST and PUT /api/v1/segments.
type segmentInput struct {
	Name    string              `json:"name"`
	Q       string              `json:"q"`
	Include []roster.SegmentRef `json:"include"`
	Exclude []roster.SegmentRef `json:"exclude"`
}

func (in segmentInput) segment(id int64) *roster.Segment {
	return &roster.Segment{ID: id, Name: in.Name, Q: in.Q, Include: in.Include, Exclude: in.Exclude}
}

// countSegment counts the members of segment id as the filter segment:#ID
// selects them, so the number is the one a search shows.
func (s *Server) countSegment(r *http.Request, id int64) (int, error) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		return 0, err
	}
	return s.countFilter(r, reg, "segment:#"+roster.RefValue(id))
}

// writeSegment answers with sg and its count.
func (s *Server) writeSegment(w http.ResponseWriter, r *http.Request, status int, sg *roster.Segment) {
	n, err := s.countSegment(r, sg.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, status, segmentJSON{Segment: normalSegment(*sg), Count: &n})
}

// normalSegment lists no references as [], not null.
func normalSegment(sg roster.Segment) roster.Segment {
	if sg.Include == nil {
		sg.Include = []roster.SegmentRef{}
	}
	if sg.Exclude == nil {
		sg.Exclude = []roster.SegmentRef{}
	}
	if sg.AddedUsers == nil {
		sg.AddedUsers = []string{}
	}
	if sg.RemovedUsers == nil {
		sg.RemovedUsers = []string{}
	}
	return sg
}

func (s *Server) apiListSegments(w http.ResponseWriter, r *http.Request) {
	segs, err := s.Segments.FindSegments(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]segmentJSON, len(segs))
	for i, sg := range segs {
		out[i] = segmentJSON{Segment: normalSegment(sg)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"segments": out})
}

func (s *Server) apiGetSegment(w http.ResponseWriter, r *http.Request) {
	if sg, ok := s.loadSegment(w, r); ok {
		s.writeSegment(w, r, http.StatusOK, sg)
	}
}

func (s *Server) apiCreateSegment(w http.ResponseWriter, r *http.Request) {
	var in segmentInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	sg := in.segment(0)
	if err := s.Segments.CreateSegment(r.Context(), sg); err != nil {
		s.error(w, r, asField(err, "q"))
		return
	}
	w.Header().Set("Location", "/api/v1/segments/"+roster.RefValue(sg.ID))
	s.writeSegment(w, r, http.StatusCreated, sg)
}

// apiReplaceSegment is PUT /api/v1/segments/{id}: the body replaces the
// segment's name, filter and references.
func (s *Server) apiReplaceSegment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "segment")
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in segmentInput
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	sg := in.segment(id)
	if err := s.Segments.UpdateSegment(r.Context(), sg); err != nil {
		s.error(w, r, asField(err, "q"))
		return
	}
	s.writeSegment(w, r, http.StatusOK, sg)
}

func (s *Server) apiDeleteSegment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "segment")
	if err == nil {
		err = s.Segments.DeleteSegment(r.Context(), id)
	}
	s.noContent(w, r, err)
}
