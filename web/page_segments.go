package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// The segments pages: saved filters with live counts. A segment's members
// are the user table filtered by segment:#ID; the user table's "Save as
// segment" form posts here.

// segmentForm is the segment form as typed.
type segmentForm struct {
	Name, Q          string
	Include, Exclude []string // "group:ID" or "segment:ID"
}

// refOption is a group or segment offered in the include and exclude
// lists.
type refOption struct {
	Value, Label string
	Include      bool
	Exclude      bool
}

type segmentRow struct {
	roster.Segment
	Count      string
	MembersURL string
}

type segmentsView struct {
	Segments []segmentRow
	New      segmentForm
	Errors   formErrors
	Error    string
}

// segmentMembersURL is the user table showing a segment's members.
func segmentMembersURL(id int64) string {
	return "/users?q=" + url.QueryEscape(fmt.Sprintf("segment:#%d", id))
}

// segmentCount counts a segment's members with the index; a segment the
// index cannot count shows why instead of failing the page.
func (s *Server) segmentCount(r *http.Request, reg *roster.Registry, id int64) string {
	n, err := s.countFilter(r, reg, fmt.Sprintf("segment:#%d", id))
	if err != nil {
		if roster.ErrorCode(err) == roster.EINTERNAL {
			s.Logger.Error("segment count", "segment_id", id, "err", err)
			return "?"
		}
		return "? (" + roster.ErrorMessage(err) + ")"
	}
	return thousands(int64(n))
}

func (s *Server) handleSegments(w http.ResponseWriter, r *http.Request) {
	s.renderSegments(w, r, http.StatusOK, segmentsView{})
}

func (s *Server) renderSegments(w http.ResponseWriter, r *http.Request, status int, view segmentsView) {
	ctx := r.Context()
	reg, err := s.Fields.Registry(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	segs, err := s.Segments.FindSegments(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, sg := range segs {
		view.Segments = append(view.Segments, segmentRow{sg, s.segmentCount(r, reg, sg.ID), segmentMembersURL(sg.ID)})
	}
	s.render(w, r, status, "segments", "Segments", view)
}

// readSegmentForm reads the segment form.
func readSegmentForm(r *http.Request) (segmentForm, *roster.Segment, formErrors) {
	_ = r.ParseForm() // the middleware has read the form (or checked the query) and refused a bad one
	form := segmentForm{Name: r.PostFormValue("name"), Q: r.PostFormValue("q"), Include: r.PostForm["include"], Exclude: r.PostForm["exclude"]}
	sg := &roster.Segment{Name: form.Name, Q: form.Q}
	fe := formErrors{}
	var ok bool
	if sg.Include, ok = parseRefs(form.Include); !ok {
		fe["include"] = "holds an entry that is not a group or a segment"
	}
	if sg.Exclude, ok = parseRefs(form.Exclude); !ok {
		fe["exclude"] = "holds an entry that is not a group or a segment"
	}
	if len(fe) == 0 {
		fe = nil
	}
	return form, sg, fe
}

func parseRefs(values []string) ([]roster.SegmentRef, bool) {
	refs := []roster.SegmentRef{}
	for _, v := range values {
		typ, id, _ := strings.Cut(v, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || (typ != roster.RefGroup && typ != roster.RefSegment) {
			return nil, false
		}
		refs = append(refs, roster.SegmentRef{Type: typ, ID: n})
	}
	return refs, true
}

func refValue(ref roster.SegmentRef) string { return fmt.Sprintf("%s:%d", ref.Type, ref.ID) }

// handleSegmentCreate saves a segment: from the segments page, or the
// current filter of the user table ("Save as segment"). A refused name is
// shown on the segments page with the form filled in.
func (s *Server) handleSegmentCreate(w http.ResponseWriter, r *http.Request) {
	form, sg, fe := readSegmentForm(r)
	if fe != nil {
		s.renderSegments(w, r, http.StatusUnprocessableEntity, segmentsView{New: form, Errors: fe, Error: "The segment was not saved: see the problems below."})
		return
	}
	if err := s.Segments.CreateSegment(r.Context(), sg); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderSegments(w, r, http.StatusUnprocessableEntity, segmentsView{New: form, Errors: fieldErrorsOf(err), Error: "The segment was not saved: " + roster.ErrorMessage(err)})
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Segment %s saved.", sg.Name))
	http.Redirect(w, r, fmt.Sprintf("/segments/%d", sg.ID), http.StatusSeeOther)
}

type segmentView struct {
	Segment    *roster.Segment
	Form       segmentForm
	Errors     formErrors
	Error      string
	Count      string
	MembersURL string
	Groups     []refOption
	Segments   []refOption
	Include    []string // names, for reading
	Exclude    []string
}

// loadSegment finds the segment of the path, or answers the request.
func (s *Server) loadSegment(w http.ResponseWriter, r *http.Request) (*roster.Segment, bool) {
	return loadByID(s, w, r, "id", "segment", s.Segments.FindSegment)
}

func (s *Server) handleSegment(w http.ResponseWriter, r *http.Request) {
	sg, ok := s.loadSegment(w, r)
	if !ok {
		return
	}
	s.renderSegment(w, r, http.StatusOK, &segmentView{Segment: sg})
}

func (s *Server) renderSegment(w http.ResponseWriter, r *http.Request, status int, view *segmentView) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	sg := view.Segment
	if view.Form.Name == "" && view.Form.Q == "" && view.Form.Include == nil && view.Form.Exclude == nil { // not a refused form
		view.Form = segmentForm{Name: sg.Name, Q: sg.Q}
		for _, ref := range sg.Include {
			view.Form.Include = append(view.Form.Include, refValue(ref))
		}
		for _, ref := range sg.Exclude {
			view.Form.Exclude = append(view.Form.Exclude, refValue(ref))
		}
	}
	for _, g := range reg.Catalog.Groups {
		v := refValue(roster.SegmentRef{Type: roster.RefGroup, ID: g.ID})
		view.Groups = append(view.Groups, refOption{v, g.Name, slices.Contains(view.Form.Include, v), slices.Contains(view.Form.Exclude, v)})
	}
	for _, o := range reg.Catalog.Segments {
		if o.ID == sg.ID {
			continue
		}
		v := refValue(roster.SegmentRef{Type: roster.RefSegment, ID: o.ID})
		view.Segments = append(view.Segments, refOption{v, o.Name, slices.Contains(view.Form.Include, v), slices.Contains(view.Form.Exclude, v)})
	}
	name := func(ref roster.SegmentRef) string {
		if ref.Type == roster.RefGroup {
			if g, ok := reg.Catalog.Group(ref.ID); ok {
				return "group " + g.Name
			}
		} else if o, ok := reg.Catalog.Segment(ref.ID); ok {
			return "segment " + o.Name
		}
		return refValue(ref)
	}
	for _, ref := range sg.Include {
		view.Include = append(view.Include, name(ref))
	}
	for _, ref := range sg.Exclude {
		view.Exclude = append(view.Exclude, name(ref))
	}
	view.Count = s.segmentCount(r, reg, sg.ID)
	view.MembersURL = segmentMembersURL(sg.ID)
	s.render(w, r, status, "segment", sg.Name, view)
}

func (s *Server) handleSegmentUpdate(w http.ResponseWriter, r *http.Request) {
	old, ok := s.loadSegment(w, r)
	if !ok {
		return
	}
	form, sg, fe := readSegmentForm(r)
	if fe != nil {
		s.renderSegment(w, r, http.StatusUnprocessableEntity, &segmentView{Segment: old, Form: form, Errors: fe, Error: "The segment was not saved: see the problems below."})
		return
	}
	sg.ID = old.ID
	if err := s.Segments.UpdateSegment(r.Context(), sg); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderSegment(w, r, http.StatusUnprocessableEntity, &segmentView{Segment: old, Form: form, Errors: fieldErrorsOf(err), Error: "The segment was not saved: " + roster.ErrorMessage(err)})
		return
	}
	s.setFlash(w, r, "Segment saved.")
	http.Redirect(w, r, fmt.Sprintf("/segments/%d", sg.ID), http.StatusSeeOther)
}

func (s *Server) handleSegmentDelete(w http.ResponseWriter, r *http.Request) {
	sg, ok := s.loadSegment(w, r)
	if !ok {
		return
	}
	if err := s.Segments.DeleteSegment(r.Context(), sg.ID); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		s.renderSegment(w, r, http.StatusConflict, &segmentView{Segment: sg, Error: "The segment was not deleted: " + roster.ErrorMessage(err)})
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Segment %s deleted.", sg.Name))
	http.Redirect(w, r, "/segments", http.StatusSeeOther)
}
