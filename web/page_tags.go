package web

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// Tags: the Tags page (create, rename, recolour, delete) and the tag chips
// of the user table and the profile, where staff put tags on one user and
// take them off. Every change is a POST form; tags.js sends the chip forms
// with fetch and asks for JSON, so that the chips change in place.

// tagChips is a user's tags as chips, newest first, with the forms that
// take each one off when Edit.
type tagChips struct {
	UserID string
	Tags   []roster.Tag
	Edit   bool
	CSRF   string
	Back   string // where the forms return without JavaScript
}

// tagPanel is the "+ Add a tag" panel: every tag to pick one from, and a
// form that creates a tag when Create. Action is the URL the forms post
// to; on the table tags.js sets it for the row the panel opens in.
type tagPanel struct {
	Tags   []roster.Tag
	Create bool
	CSRF   string
	Action string
	Back   string
}

// tagsOf returns the tags of ids from the catalog, in the order of ids.
func tagsOf(cat *roster.Catalog, ids []int64) []roster.Tag {
	out := make([]roster.Tag, 0, len(ids))
	for _, id := range ids {
		if t, ok := cat.Tag(id); ok {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) chipsFor(r *http.Request, reg *roster.Registry, u *roster.User, back string) *tagChips {
	return &tagChips{UserID: u.PublicID, Tags: tagsOf(reg.Catalog, u.Tags),
		Edit: staffFrom(r).Can(roster.PermEditUsers), CSRF: csrfFrom(r), Back: back}
}

func (s *Server) panelFor(r *http.Request, reg *roster.Registry, action, back string) *tagPanel {
	var tags []roster.Tag
	if reg.Catalog != nil {
		tags = slices.Clone(reg.Catalog.Tags)
	}
	slices.SortStableFunc(tags, func(a, b roster.Tag) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return &tagPanel{Tags: tags, Create: staffFrom(r).Can(roster.PermOrganize), CSRF: csrfFrom(r), Action: action, Back: back}
}

// tagColorClass is the CSS class of a tag's colour: one class per palette
// colour (the CSP forbids style attributes); other colours, set through
// the API, get "c-other" and tags.js paints them.
func tagColorClass(color string) string {
	if slices.Contains(roster.TagColors, color) {
		return "c-" + strings.TrimPrefix(color, "#")
	}
	return "c-other"
}

// tagNameError turns a refused tag into a message that names the input.
func tagNameError(err error) error {
	fields := roster.ErrorFields(err)
	var msgs []string
	if m, ok := fields["name"]; ok {
		msgs = append(msgs, "The tag name "+m+".")
	}
	if m, ok := fields["color"]; ok {
		msgs = append(msgs, "The colour "+m+".")
	}
	if len(msgs) == 0 {
		return err
	}
	e := roster.Errorf(roster.EINVALID, "%s", strings.Join(msgs, " "))
	e.Fields = fields
	return e
}

// parseTagID reads a tag id; anything that is not one is a tag that does
// not exist.
func parseTagID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, roster.Errorf(roster.ENOTFOUND, "There is no such tag.")
	}
	return id, nil
}

// handleUserTag puts a tag on a user: an existing one (tag) or a new one
// (name), which needs the organize permission.
func (s *Server) handleUserTag(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	userID := r.PathValue("id")
	var tag *roster.Tag
	if name := r.PostFormValue("name"); r.PostFormValue("tag") == "" {
		if !staffFrom(r).Can(roster.PermOrganize) {
			s.error(w, r, roster.Errorf(roster.EFORBIDDEN, "Your role (%s) does not allow creating tags.", staffFrom(r).Role))
			return
		}
		// Check the user first, so that a typo in the URL leaves no tag.
		if _, err := s.Users.FindUserByID(ctx, userID); err != nil {
			s.error(w, r, err)
			return
		}
		tag = &roster.Tag{Name: name}
		if err := s.Tags.CreateTag(ctx, tag); err != nil {
			s.error(w, r, tagNameError(err))
			return
		}
	} else {
		id, err := parseTagID(r.PostFormValue("tag"))
		if err == nil {
			tag, err = s.Tags.FindTag(ctx, id)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
	}
	if err := s.Tags.TagUser(ctx, userID, tag.ID); err != nil {
		s.error(w, r, err)
		return
	}
	s.tagDone(w, r, userID, tag, "Tagged with "+tag.Name+".")
}

// handleUserUntag takes a tag off a user.
func (s *Server) handleUserUntag(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := parseTagID(r.PathValue("tag"))
	var tag *roster.Tag
	if err == nil {
		tag, err = s.Tags.FindTag(ctx, id)
	}
	if err == nil {
		err = s.Tags.UntagUser(ctx, r.PathValue("id"), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.tagDone(w, r, r.PathValue("id"), tag, "Removed the tag "+tag.Name+".")
}

// tagResult is the JSON answer to tags.js: the user's chips as HTML (the
// same template as the page), the tag concerned, and a message.
type tagResult struct {
	HTML    string     `json:"html"`
	Tag     roster.Tag `json:"tag"`
	Class   string     `json:"class"`
	Message string     `json:"message"`
}

// tagDone answers a change of a user's tags: the new chips for tags.js, or
// a redirect back to the page the form was on.
func (s *Server) tagDone(w http.ResponseWriter, r *http.Request, userID string, tag *roster.Tag, msg string) {
	if !wantsJSON(r) {
		s.setFlash(w, r, msg)
		back := r.PostFormValue("back")
		if back == "" {
			back = "/users/" + userID
		}
		http.Redirect(w, r, safeNext(back), http.StatusSeeOther)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	var u *roster.User
	if err == nil {
		u, err = s.Users.FindUserByID(r.Context(), userID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := s.templates.pages["tags"].ExecuteTemplate(&buf, "tagchips", s.chipsFor(r, reg, u, r.PostFormValue("back"))); err != nil {
		s.error(w, r, fmt.Errorf("render tag chips: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, tagResult{HTML: buf.String(), Tag: *tag, Class: tagColorClass(tag.Color), Message: msg})
}

// tagsView is the Tags page.
type tagsView struct {
	Tags    []roster.Tag
	Palette []string
	Name    string // the create form's values, when refused
	Color   string
	Error   string
	EditID  int64 // the tag whose edit form was refused
}

func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) {
	s.renderTags(w, r, http.StatusOK, &tagsView{})
}

func (s *Server) renderTags(w http.ResponseWriter, r *http.Request, status int, view *tagsView) {
	tags, err := s.findTags(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	view.Tags, view.Palette = tags, roster.TagColors
	s.render(w, r, status, "tags", "Tags", view)
}

func (s *Server) handleTagCreate(w http.ResponseWriter, r *http.Request) {
	t := &roster.Tag{Name: r.PostFormValue("name"), Color: r.PostFormValue("color")}
	if err := s.Tags.CreateTag(r.Context(), t); err != nil {
		if roster.ErrorCode(err) != roster.EINVALID {
			s.error(w, r, err)
			return
		}
		s.renderTags(w, r, http.StatusUnprocessableEntity, &tagsView{Name: r.PostFormValue("name"), Color: r.PostFormValue("color"),
			Error: "Not created: " + roster.ErrorMessage(tagNameError(err))})
		return
	}
	s.setFlash(w, r, "Created the tag "+t.Name+".")
	http.Redirect(w, r, "/tags", http.StatusSeeOther)
}

func (s *Server) handleTagUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := parseTagID(r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	var upd roster.TagUpdate
	if r.PostForm.Has("name") {
		name := r.PostFormValue("name")
		upd.Name = &name
	}
	if c := r.PostFormValue("color"); c != "" {
		upd.Color = &c
	}
	t, err := s.Tags.UpdateTag(r.Context(), id, upd)
	if err != nil {
		if roster.ErrorCode(err) != roster.EINVALID {
			s.error(w, r, err)
			return
		}
		s.renderTags(w, r, http.StatusUnprocessableEntity, &tagsView{EditID: id, Error: "Not saved: " + roster.ErrorMessage(tagNameError(err))})
		return
	}
	s.setFlash(w, r, "Saved the tag "+t.Name+".")
	http.Redirect(w, r, "/tags", http.StatusSeeOther)
}

func (s *Server) handleTagDelete(w http.ResponseWriter, r *http.Request) {
	id, err := parseTagID(r.PathValue("id"))
	var t *roster.Tag
	if err == nil {
		t, err = s.Tags.FindTag(r.Context(), id)
	}
	var n int
	if err == nil {
		n, err = s.Tags.DeleteTag(r.Context(), id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Deleted the tag %s; it was on %s %s.", t.Name, thousands(int64(n)), plural(n, "user", "users")))
	http.Redirect(w, r, "/tags", http.StatusSeeOther)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// swatches is the colour picker of the Tags page: the palette as radio
// buttons, one checked.
type swatches struct {
	ID       string
	Palette  []string
	Selected string
}
