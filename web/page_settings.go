package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/password"
)

// The settings pages: custom fields, staff accounts, API tokens, and each
// staff member's own account. Forms post back to the page they are on; a
// success leaves a flash and redirects (303) so that a reload never posts
// twice, a refused form shows the page again with what was typed and the
// problems next to the inputs. Secrets shown once (a generated password, a
// new API token) are rendered in the answer to the POST itself, never put in
// a cookie or a URL.

// generatedPasswordLen is the length of passwords Roster makes up.
const generatedPasswordLen = 20

// formErrors are per-input messages, keyed by the input's name.
type formErrors map[string]string

// fieldErrorsOf returns the per-field messages of err, or nil.
func fieldErrorsOf(err error) formErrors {
	if fe := roster.ErrorFields(err); len(fe) > 0 {
		return formErrors(fe)
	}
	return nil
}

// isFormError reports whether err is a problem with what was typed, to be
// shown next to the inputs rather than on an error page.
func isFormError(err error) bool {
	code := roster.ErrorCode(err)
	return code == roster.EINVALID || code == roster.ECONFLICT
}

// lines splits a textarea into trimmed, non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) {
	staff := staffFrom(r)
	target := "/account"
	switch {
	case staff.Can(roster.PermViewUsers):
		target = "/settings/fields"
	case staff.Can(roster.PermManageStaff):
		target = "/settings/staff"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// Custom fields

type fieldsView struct {
	Fields []fieldRow
	Types  []typeOption
	// New holds the create form's values, NewErrors its problems.
	New       fieldForm
	NewErrors formErrors
	// Edit is the key of the field whose edit form is open, if any.
	Edit       string
	EditForm   fieldForm
	EditErrors formErrors
	// Error is a problem not tied to one input.
	Error string
	// Editable is the "Editable by the user" form (nil: no member API).
	Editable *editableFields
}

type fieldRow struct {
	roster.Field
	TypeLabel  string
	HasChoices bool
}

type typeOption struct {
	Value, Label string
}

// typeLabels name the custom field types for people.
var typeLabels = map[roster.FieldType]string{
	roster.TypeText: "Text", roster.TypeLongText: "Long text", roster.TypeNumber: "Number",
	roster.TypeDate: "Date", roster.TypeBoolean: "Yes / no", roster.TypeChoice: "Choice",
	roster.TypeMultiChoice: "Multiple choice", roster.TypeURL: "URL", roster.TypeEmail: "Email",
	roster.TypePhone: "Phone",
}

func typeLabel(t roster.FieldType) string {
	if l, ok := typeLabels[t]; ok {
		return l
	}
	return string(t)
}

type fieldForm struct {
	Key, Label, Type, Choices, AddChoices, Position string
	Required                                        bool
}

func hasChoices(t roster.FieldType) bool {
	return t == roster.TypeChoice || t == roster.TypeMultiChoice
}

func (s *Server) handleFields(w http.ResponseWriter, r *http.Request) {
	view := fieldsView{New: fieldForm{Type: string(roster.TypeText)}}
	if key := r.URL.Query().Get("edit"); key != "" && staffFrom(r).Can(roster.PermManageFields) {
		view.Edit = key
	}
	s.renderFields(w, r, http.StatusOK, view)
}

// renderFields fills in the field list and shows the page. An open edit
// form without typed values starts from the field as stored.
func (s *Server) renderFields(w http.ResponseWriter, r *http.Request, status int, view fieldsView) {
	fields, err := s.Fields.FindCustomFields(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, t := range roster.CustomFieldTypes {
		view.Types = append(view.Types, typeOption{Value: string(t), Label: typeLabel(t)})
	}
	found := false
	for _, f := range fields {
		view.Fields = append(view.Fields, fieldRow{Field: f, TypeLabel: typeLabel(f.Type), HasChoices: hasChoices(f.Type)})
		if f.Key == view.Edit {
			found = true
			if view.EditForm.Key == "" {
				view.EditForm = fieldForm{Key: f.Key, Label: f.Label, Required: f.Required, Position: strconv.Itoa(f.Position)}
			}
		}
	}
	if !found {
		view.Edit = ""
	}
	view.Editable = s.editableFieldsOf(r)
	s.render(w, r, status, "settings_fields", "Custom fields", view)
}

func (s *Server) handleFieldCreate(w http.ResponseWriter, r *http.Request) {
	form := fieldForm{
		Key:      strings.TrimSpace(r.PostFormValue("key")),
		Label:    strings.TrimSpace(r.PostFormValue("label")),
		Type:     r.PostFormValue("type"),
		Choices:  r.PostFormValue("choices"),
		Required: r.PostFormValue("required") != "",
	}
	f := &roster.Field{Key: form.Key, Label: form.Label, Type: roster.FieldType(form.Type), Required: form.Required, Choices: lines(form.Choices)}
	if err := s.Fields.CreateCustomField(r.Context(), f); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		view := fieldsView{New: form, NewErrors: fieldErrorsOf(err)}
		if view.NewErrors == nil {
			view.Error = roster.ErrorMessage(err)
		}
		s.renderFields(w, r, http.StatusUnprocessableEntity, view)
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Custom field %s (%s) created.", f.Label, f.Key))
	http.Redirect(w, r, "/settings/fields", http.StatusSeeOther)
}

// handleFieldUpdate takes the edit form (op=edit) or a retire or restore
// button (op=retire, retired=true|false).
func (s *Server) handleFieldUpdate(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	fields, err := s.Fields.FindCustomFields(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	i := slices.IndexFunc(fields, func(f roster.Field) bool { return f.Key == key })
	if i < 0 {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no custom field %s.", roster.Quote(key)))
		return
	}
	current := fields[i]
	var upd roster.CustomFieldUpdate
	var form fieldForm
	var msg string
	switch r.PostFormValue("op") {
	case "retire":
		retired := r.PostFormValue("retired") == "true"
		upd.Retired = &retired
		msg = fmt.Sprintf("Custom field %s retired: it is hidden everywhere, and its values are kept in case you restore it.", key)
		if !retired {
			msg = fmt.Sprintf("Custom field %s restored.", key)
		}
	case "edit":
		form = fieldForm{
			Key:        key,
			Label:      strings.TrimSpace(r.PostFormValue("label")),
			Required:   r.PostFormValue("required") != "",
			Position:   strings.TrimSpace(r.PostFormValue("position")),
			AddChoices: r.PostFormValue("add_choices"),
		}
		upd.Label, upd.Required = &form.Label, &form.Required
		pos, err := strconv.Atoi(form.Position)
		if err != nil || pos < 0 || pos > 1_000_000 {
			view := fieldsView{Edit: key, EditForm: form, EditErrors: formErrors{"position": "must be a whole number from 0 to 1000000"}}
			s.renderFields(w, r, http.StatusUnprocessableEntity, view)
			return
		}
		upd.Position = &pos
		if add := lines(form.AddChoices); len(add) > 0 && hasChoices(current.Type) {
			// Choices may only be added: stored values depend on the
			// ones there are.
			upd.Choices = append(slices.Clone(current.Choices), add...)
		}
		msg = fmt.Sprintf("Custom field %s saved.", key)
	default:
		s.error(w, r, roster.Errorf(roster.EINVALID, "This form is not one Roster knows."))
		return
	}
	if _, err := s.Fields.UpdateCustomField(r.Context(), key, upd); err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		view := fieldsView{Error: roster.ErrorMessage(err)}
		if form.Key != "" {
			// The edit form: its problems go next to its inputs. Choice
			// problems concern the choices being added.
			view.Edit, view.EditForm, view.EditErrors = key, form, fieldErrorsOf(err)
			if msg, ok := view.EditErrors["choices"]; ok {
				view.EditErrors["add_choices"] = msg
			}
			if e := view.EditErrors; e["label"] != "" || e["position"] != "" || e["add_choices"] != "" {
				view.Error = "" // shown next to the inputs
			}
		}
		s.renderFields(w, r, http.StatusUnprocessableEntity, view)
		return
	}
	s.setFlash(w, r, msg)
	http.Redirect(w, r, "/settings/fields", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// Staff accounts

type staffView struct {
	Accounts []staffRow
	// Roles are those the signed-in staff may give.
	Roles     []roster.Role
	New       staffForm
	NewErrors formErrors
	// Created is shown once, after an account was made with a generated
	// password.
	Created *shownSecret
	// Error is a refused change of the account ErrorID.
	Error   string
	ErrorID int64
	// TwoFactorRequired: owners and admins must use two-factor sign-in.
	TwoFactorRequired bool
}

type staffRow struct {
	*roster.Staff
	LastLogin string
	Created   string
	// Self is the signed-in staff's own account; Locked an owner's that
	// only an owner may change.
	Self, Locked bool
}

type staffForm struct {
	Email, Name, Role string
	Generate          bool
}

// shownSecret is a secret shown once, right after it was made.
type shownSecret struct {
	For, Label, Secret string
}

func (s *Server) handleStaffList(w http.ResponseWriter, r *http.Request) {
	s.renderStaff(w, r, http.StatusOK, staffView{New: staffForm{Role: string(roster.RoleViewer), Generate: true}})
}

func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, status int, view staffView) {
	me := staffFrom(r)
	accounts, err := s.Staff.FindStaff(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	loc := me.Location()
	for _, a := range accounts {
		view.Accounts = append(view.Accounts, staffRow{
			Staff:     a,
			LastLogin: formatWhen(a.LastLoginAt, loc),
			Created:   formatWhen(a.CreatedAt, loc),
			Self:      a.ID == me.ID,
			Locked:    a.Role == roster.RoleOwner && !me.Can(roster.PermManageOwners),
		})
	}
	for _, role := range roster.Roles {
		if role != roster.RoleOwner || me.Can(roster.PermManageOwners) {
			view.Roles = append(view.Roles, role)
		}
	}
	if s.TwoFactor != nil {
		if view.TwoFactorRequired, err = s.TwoFactor.TwoFactorRequired(r.Context()); err != nil {
			s.error(w, r, err)
			return
		}
	}
	s.render(w, r, status, "settings_staff", "Staff accounts", view)
}

func (s *Server) handleStaffCreate(w http.ResponseWriter, r *http.Request) {
	form := staffForm{
		Email:    strings.TrimSpace(r.PostFormValue("email")),
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		Role:     r.PostFormValue("role"),
		Generate: r.PostFormValue("generate") != "",
	}
	pw := r.PostFormValue("password")
	if form.Generate {
		pw = password.GenerateChecked(generatedPasswordLen, func(pw string) error { return roster.StaffPasswords.Check(pw, form.Email) })
	}
	st := &roster.Staff{Email: form.Email, Name: form.Name, Role: roster.Role(form.Role)}
	var err error
	if !form.Generate && pw == "" {
		err = roster.FieldErrors{"password": "is required, unless Roster generates one"}.Err()
	} else {
		err = s.Staff.CreateStaff(r.Context(), st, pw)
	}
	if err != nil {
		code := roster.ErrorCode(err)
		if !isFormError(err) && code != roster.EFORBIDDEN {
			s.error(w, r, err)
			return
		}
		view := staffView{New: form, NewErrors: fieldErrorsOf(err)}
		status := http.StatusUnprocessableEntity
		if code == roster.EFORBIDDEN {
			status = http.StatusForbidden
			view.NewErrors = formErrors{"role": roster.ErrorMessage(err)}
		} else if view.NewErrors == nil {
			view.NewErrors = formErrors{"email": roster.ErrorMessage(err)}
		}
		s.renderStaff(w, r, status, view)
		return
	}
	if !form.Generate {
		s.setFlash(w, r, fmt.Sprintf("Staff account %s (%s) created.", st.Email, st.Role))
		http.Redirect(w, r, "/settings/staff", http.StatusSeeOther)
		return
	}
	// The password is shown in this answer and never again: no redirect,
	// no cookie, no URL holds it.
	view := staffView{
		New:     staffForm{Role: string(roster.RoleViewer), Generate: true},
		Created: &shownSecret{For: st.Email, Label: "Password", Secret: pw},
	}
	s.renderStaff(w, r, http.StatusCreated, view)
}

// handleStaffUpdate takes a role change (op=role) or an activation switch
// (op=active, active=true|false) for one account.
func (s *Server) handleStaffUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no staff account %s.", roster.Quote(r.PathValue("id"))))
		return
	}
	target, err := s.Staff.FindStaffByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	me := staffFrom(r)
	var upd roster.StaffUpdate
	var msg string
	switch r.PostFormValue("op") {
	case "role":
		role, perr := roster.ParseRole(r.PostFormValue("role"))
		if perr != nil {
			err = perr
			break
		}
		upd.Role = &role
		msg = fmt.Sprintf("%s is now %s.", target.Email, role)
	case "active":
		active := r.PostFormValue("active") == "true"
		if !active && id == me.ID {
			err = roster.Errorf(roster.ECONFLICT, "You cannot deactivate your own account.")
			break
		}
		upd.Active = &active
		msg = fmt.Sprintf("%s can sign in again.", target.Email)
		if !active {
			msg = fmt.Sprintf("%s is deactivated: their sessions have ended and their API tokens are revoked for good.", target.Email)
		}
	default:
		err = roster.Errorf(roster.EINVALID, "This form is not one Roster knows.")
	}
	if err == nil {
		_, err = s.Staff.UpdateStaff(r.Context(), id, upd)
	}
	if err != nil {
		switch roster.ErrorCode(err) {
		case roster.EINVALID, roster.ECONFLICT, roster.EFORBIDDEN:
			status := errorStatus(err)
			if status == http.StatusBadRequest {
				status = http.StatusUnprocessableEntity
			}
			s.renderStaff(w, r, status, staffView{
				New:   staffForm{Role: string(roster.RoleViewer), Generate: true},
				Error: roster.ErrorMessage(err), ErrorID: id,
			})
		default:
			s.error(w, r, err)
		}
		return
	}
	s.setFlash(w, r, msg)
	http.Redirect(w, r, "/settings/staff", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// API tokens

type tokensView struct {
	Tokens []tokenRow
	// Staff are the accounts a token may be made for.
	Staff     []*roster.Staff
	New       tokenForm
	NewErrors formErrors
	Created   *shownSecret
	Error     string
}

type tokenRow struct {
	*roster.Token
	Email                      string
	Created, LastUsed, Revoked string
	Active                     bool
	// MayRevoke: active, and not an owner's token unless the viewer is an
	// owner (the store refuses it anyway).
	MayRevoke bool
}

type tokenForm struct {
	StaffID int64
	Name    string
}

func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	s.renderTokens(w, r, http.StatusOK, tokensView{})
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, view tokensView) {
	ctx := r.Context()
	me := staffFrom(r)
	accounts, err := s.Staff.FindStaff(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	tokens, err := s.Staff.FindTokens(ctx, 0)
	if err != nil {
		s.error(w, r, err)
		return
	}
	emails := map[int64]string{}
	owners := map[int64]bool{}
	for _, a := range accounts {
		emails[a.ID] = a.Email
		owners[a.ID] = a.Role == roster.RoleOwner
		if mayIssueToken(me, a) {
			view.Staff = append(view.Staff, a)
		}
	}
	if view.New.StaffID == 0 {
		view.New.StaffID = me.ID
	}
	loc := me.Location()
	for _, t := range tokens {
		view.Tokens = append(view.Tokens, tokenRow{
			Token: t, Email: emails[t.StaffID],
			Created: formatWhen(t.CreatedAt, loc), LastUsed: formatWhen(t.LastUsedAt, loc), Revoked: formatWhen(t.RevokedAt, loc),
			Active:    t.RevokedAt.IsZero(),
			MayRevoke: t.RevokedAt.IsZero() && (!owners[t.StaffID] || me.Can(roster.PermManageOwners)),
		})
	}
	s.render(w, r, status, "settings_tokens", "API tokens", view)
}

// mayIssueToken reports whether me may make an API token that acts as
// account: an active one, and an owner's only for an owner, or an admin
// could act with an owner's powers through the API.
func mayIssueToken(me, account *roster.Staff) bool {
	return account.Active && (account.Role != roster.RoleOwner || me.Can(roster.PermManageOwners))
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := tokenForm{Name: strings.TrimSpace(r.PostFormValue("name"))}
	staffID, err := strconv.ParseInt(r.PostFormValue("staff_id"), 10, 64)
	if err != nil {
		s.renderTokens(w, r, http.StatusUnprocessableEntity, tokensView{New: form, NewErrors: formErrors{"staff_id": "choose a staff account"}})
		return
	}
	form.StaffID = staffID
	account, err := s.Staff.FindStaffByID(ctx, staffID)
	if err != nil {
		if roster.ErrorCode(err) != roster.ENOTFOUND {
			s.error(w, r, err)
			return
		}
		s.renderTokens(w, r, http.StatusUnprocessableEntity, tokensView{New: form, NewErrors: formErrors{"staff_id": "choose a staff account"}})
		return
	}
	if !account.Active {
		s.renderTokens(w, r, http.StatusUnprocessableEntity, tokensView{New: form, NewErrors: formErrors{"staff_id": "This account is deactivated: its tokens would not work."}})
		return
	}
	if !mayIssueToken(staffFrom(r), account) {
		s.renderTokens(w, r, http.StatusForbidden, tokensView{New: form, NewErrors: formErrors{"staff_id": "Only an owner can make a token for an owner."}})
		return
	}
	t, secret, err := s.Staff.CreateToken(ctx, staffID, form.Name)
	if err != nil {
		if !isFormError(err) {
			s.error(w, r, err)
			return
		}
		view := tokensView{New: form, NewErrors: fieldErrorsOf(err)}
		if view.NewErrors == nil {
			view.Error = roster.ErrorMessage(err)
		}
		s.renderTokens(w, r, http.StatusUnprocessableEntity, view)
		return
	}
	// Shown in this answer only; Roster keeps a hash.
	s.renderTokens(w, r, http.StatusCreated, tokensView{Created: &shownSecret{For: account.Email, Label: t.Name, Secret: secret}})
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "There is no token %s.", roster.Quote(r.PathValue("id"))))
		return
	}
	if err := s.Staff.RevokeToken(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Token revoked: requests made with it are refused from now on.")
	http.Redirect(w, r, "/settings/tokens", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// Own account

type accountView struct {
	Zones []zoneOption
	// Zone is the staff's time zone; Other the free-text input's value,
	// set when the zone is not among Zones.
	Zone, Other    string
	Now            string
	PasswordErrors formErrors
	ZoneErrors     formErrors
}

type zoneOption struct {
	Name, Label string
}

// commonZones are offered in the time zone select; any other IANA name can
// be typed.
var commonZones = []string{
	"UTC",
	"Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Phoenix",
	"America/Chicago", "America/Mexico_City", "America/New_York", "America/Toronto", "America/Bogota",
	"America/Lima", "America/Halifax", "America/Santiago", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"Atlantic/Reykjavik", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Africa/Lagos",
	"Europe/Paris", "Europe/Brussels", "Europe/Amsterdam", "Europe/Berlin", "Europe/Zurich",
	"Europe/Madrid", "Europe/Rome", "Europe/Vienna", "Europe/Prague", "Europe/Warsaw",
	"Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen", "Africa/Johannesburg", "Africa/Cairo",
	"Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Istanbul", "Africa/Nairobi",
	"Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka",
	"Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Hong_Kong", "Asia/Shanghai",
	"Asia/Taipei", "Australia/Perth", "Asia/Seoul", "Asia/Tokyo", "Australia/Adelaide",
	"Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
}

// zoneOffset describes loc's current offset from UTC: "UTC+05:30".
func zoneOffset(loc *time.Location, now time.Time) string {
	_, off := now.In(loc).Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, accountView{})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, view accountView) {
	me := staffFrom(r)
	now := time.Now()
	for _, name := range commonZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue // no zone database entry on this host
		}
		view.Zones = append(view.Zones, zoneOption{Name: name, Label: strings.ReplaceAll(name, "_", " ") + " (" + zoneOffset(loc, now) + ")"})
	}
	view.Zone = me.TimeZone
	if view.Zone == "" {
		view.Zone = "UTC"
	}
	if view.Other == "" && !slices.Contains(commonZones, view.Zone) {
		view.Other = view.Zone
	}
	view.Now = now.In(me.Location()).Format("Mon 2 Jan 2006 15:04") + " " + zoneOffset(me.Location(), now)
	s.render(w, r, status, "account", "Your account", view)
}

// handleAccountUpdate takes the password form (op=password) or the time
// zone form (op=time_zone).
//
// A password change ends every session of the account, this one included
// (see ChangeOwnPassword); the browser that made it gets a fresh session at
// once, so the staff member stays signed in here and nowhere else.
func (s *Server) handleAccountUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := staffFrom(r)
	switch r.PostFormValue("op") {
	case "password":
		current, next := r.PostFormValue("current_password"), r.PostFormValue("new_password")
		if next != r.PostFormValue("confirm_password") {
			s.renderAccount(w, r, http.StatusUnprocessableEntity, accountView{PasswordErrors: formErrors{"confirm_password": "does not match the new password"}})
			return
		}
		if err := s.Staff.ChangeOwnPassword(ctx, me.ID, current, next); err != nil {
			switch roster.ErrorCode(err) {
			case roster.EINVALID:
				fe := formErrors{}
				for k, v := range roster.ErrorFields(err) {
					if k == "password" {
						k = "new_password"
					}
					fe[k] = v
				}
				if len(fe) == 0 {
					fe["new_password"] = roster.ErrorMessage(err)
				}
				s.renderAccount(w, r, http.StatusUnprocessableEntity, accountView{PasswordErrors: fe})
			case roster.ETOOMANY, roster.ECONFLICT:
				s.renderAccount(w, r, errorStatus(err), accountView{PasswordErrors: formErrors{"current_password": roster.ErrorMessage(err)}})
			default:
				s.error(w, r, err)
			}
			return
		}
		if err := s.startSession(w, r, me.ID); err != nil {
			s.error(w, r, err)
			return
		}
		s.setFlash(w, r, "Password changed. You were signed out everywhere else.")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	case "time_zone":
		zone := strings.TrimSpace(r.PostFormValue("other_time_zone"))
		other := zone
		if zone == "" {
			zone = r.PostFormValue("time_zone")
		}
		bad := func(msg string) {
			s.renderAccount(w, r, http.StatusUnprocessableEntity, accountView{Other: other, ZoneErrors: formErrors{"other_time_zone": msg}})
		}
		if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" {
			bad("is not a known IANA time zone, such as Europe/Paris or America/New_York")
			return
		}
		if _, err := s.Staff.UpdateStaff(ctx, me.ID, roster.StaffUpdate{TimeZone: &zone}); err != nil {
			if roster.ErrorCode(err) == roster.EINVALID {
				bad(roster.ErrorMessage(err))
				return
			}
			s.error(w, r, err)
			return
		}
		s.setFlash(w, r, "Time zone set to "+zone+".")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	default:
		s.error(w, r, roster.Errorf(roster.EINVALID, "This form is not one Roster knows."))
	}
}
