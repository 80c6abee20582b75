package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"roster"
)

// Staff security pages: the second step of a sign-in, two-factor
// enrolment, and the Devices pages (sessions and web notifications). The
// TOTP secret is shown only while enrolling, in the answer itself; recovery
// codes only in the answer that confirms the enrolment.

// challengeCookie carries the pending second step of a sign-in; it is sent
// only to /signin.
const challengeCookie = "roster_2fa"

type sessionKey struct{}

// sessionFrom returns the id of the session r was authorized with (0 for
// API tokens).
func sessionFrom(r *http.Request) int64 {
	id, _ := r.Context().Value(sessionKey{}).(int64)
	return id
}

// mustEnrol reports whether staff must enrol in two-factor sign-in before
// using Roster: the setting requires it of their role and they have not.
func (s *Server) mustEnrol(ctx context.Context, staff *roster.Staff) (bool, error) {
	if s.TwoFactor == nil || !roster.RequiresTwoFactor(staff.Role) {
		return false, nil
	}
	on, err := s.TwoFactor.TwoFactorRequired(ctx)
	if err != nil || !on {
		return false, err
	}
	tf, err := s.TwoFactor.TwoFactor(ctx, staff.ID)
	return !tf.Enabled, err
}

// enrolExempt are the pages a staff member who must enrol may still use.
func enrolExempt(path string) bool {
	return path == "/account/two-factor" || path == "/signout"
}

// startSecondStep sends a staff member whose password was right to the
// second step when their account has one; false when it has none.
func (s *Server) startSecondStep(w http.ResponseWriter, r *http.Request, staff *roster.Staff, next string) (bool, error) {
	if s.TwoFactor == nil {
		return false, nil
	}
	tf, err := s.TwoFactor.TwoFactor(r.Context(), staff.ID)
	if err != nil || !tf.Enabled {
		return false, err
	}
	token, err := s.TwoFactor.StartSignInChallenge(r.Context(), staff.ID)
	if err != nil {
		return false, err
	}
	http.SetCookie(w, &http.Cookie{Name: challengeCookie, Value: token, Path: "/signin", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies || r.TLS != nil, MaxAge: int(roster.SignInChallengeTTL.Seconds())})
	http.Redirect(w, r, "/signin/code?next="+url.QueryEscape(next), http.StatusSeeOther)
	return true, nil
}

type signInCodeView struct {
	Email, Next, Error string
}

func (s *Server) handleSignInCodePage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	c, err := r.Cookie(challengeCookie)
	var staff *roster.Staff
	if err == nil && s.TwoFactor != nil {
		staff, err = s.TwoFactor.FindSignInChallenge(r.Context(), c.Value)
	}
	if err != nil || staff == nil {
		s.render(w, r, http.StatusUnauthorized, "signin", "Sign in", signInView{Next: next, Error: "This sign-in has expired. Please sign in again."})
		return
	}
	s.render(w, r, http.StatusOK, "signin_code", "Sign in", signInCodeView{Email: staff.Email, Next: next})
}

func (s *Server) handleSignInCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	c, err := r.Cookie(challengeCookie)
	if err != nil || s.TwoFactor == nil {
		s.render(w, r, http.StatusUnauthorized, "signin", "Sign in", signInView{Next: next, Error: "This sign-in has expired. Please sign in again."})
		return
	}
	staff, err := s.TwoFactor.CompleteSignInChallenge(r.Context(), c.Value, r.PostFormValue("code"), s.clientAddr(r))
	if err != nil {
		code := roster.ErrorCode(err)
		if code != roster.EUNAUTHORIZED && code != roster.ETOOMANY {
			s.error(w, r, err)
			return
		}
		pending, ferr := s.TwoFactor.FindSignInChallenge(r.Context(), c.Value)
		if ferr != nil {
			s.render(w, r, http.StatusUnauthorized, "signin", "Sign in", signInView{Next: next, Error: roster.ErrorMessage(ferr)})
			return
		}
		s.render(w, r, errorStatus(err), "signin_code", "Sign in", signInCodeView{Email: pending.Email, Next: next, Error: roster.ErrorMessage(err)})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: challengeCookie, Value: "", Path: "/signin", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.SecureCookies || r.TLS != nil})
	if err := s.startSession(w, r, staff.ID); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// Two-factor enrolment

type twoFactorView struct {
	roster.TwoFactor
	// Required says that the setting requires it of this account.
	Required bool
	// Secret, URI and QR are shown while enrolling, RecoveryCodes once
	// after confirming.
	Secret        string
	URI           template.URL // otpauth://, which templates would refuse as a link otherwise
	QR            template.HTML
	RecoveryCodes []string
	Errors        formErrors
}

func (s *Server) handleTwoFactorPage(w http.ResponseWriter, r *http.Request) {
	s.renderTwoFactor(w, r, http.StatusOK, twoFactorView{})
}

func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int, view twoFactorView) {
	me := staffFrom(r)
	tf, err := s.TwoFactor.TwoFactor(r.Context(), me.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view.TwoFactor = tf
	if view.Required, err = s.mustEnrol(r.Context(), me); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, status, "account_two_factor", "Two-factor sign-in", view)
}

// qrSVG renders text as a QR code in SVG, one path of dark modules.
func qrSVG(text string) (template.HTML, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bits := q.Bitmap()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="220" height="220" shape-rendering="crispEdges" role="img" aria-label="QR code for your authenticator app"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`, len(bits), len(bits))
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil //nolint:gosec // made here of numbers only
}

// handleTwoFactorUpdate takes op=begin (a new secret, shown with its QR
// code), op=confirm (the first code: recovery codes shown once) and
// op=disable (password and a code).
func (s *Server) handleTwoFactorUpdate(w http.ResponseWriter, r *http.Request) {
	ctx, me := r.Context(), staffFrom(r)
	switch r.PostFormValue("op") {
	case "begin":
		secret, err := s.TwoFactor.BeginTwoFactor(ctx, me.ID)
		if err != nil {
			s.formError(w, r, err, func(fe formErrors) { s.renderTwoFactor(w, r, errorStatus(err), twoFactorView{Errors: fe}) })
			return
		}
		s.renderEnrol(w, r, http.StatusOK, secret, nil)
	case "confirm":
		codes, err := s.TwoFactor.ConfirmTwoFactor(ctx, me.ID, r.PostFormValue("code"))
		if err != nil {
			if roster.ErrorCode(err) == roster.EINVALID || roster.ErrorCode(err) == roster.ETOOMANY {
				// Show the same secret again: the one pending, as typed
				// back by the form (never read from the store).
				s.renderEnrol(w, r, errorStatus(err), r.PostFormValue("secret"), formErrors{"code": roster.ErrorMessage(err)})
				return
			}
			s.formError(w, r, err, func(fe formErrors) { s.renderTwoFactor(w, r, errorStatus(err), twoFactorView{Errors: fe}) })
			return
		}
		s.renderTwoFactor(w, r, http.StatusOK, twoFactorView{RecoveryCodes: codes})
	case "disable":
		err := s.TwoFactor.DisableTwoFactor(ctx, me.ID, r.PostFormValue("current_password"), r.PostFormValue("code"))
		if err != nil {
			s.formError(w, r, err, func(fe formErrors) { s.renderTwoFactor(w, r, errorStatus(err), twoFactorView{Errors: fe}) })
			return
		}
		s.setFlash(w, r, "Two-factor sign-in is off.")
		http.Redirect(w, r, "/account/two-factor", http.StatusSeeOther)
	default:
		s.error(w, r, roster.Errorf(roster.EINVALID, "This form is not one Roster knows."))
	}
}

// renderEnrol shows the enrolment form for secret (base32).
func (s *Server) renderEnrol(w http.ResponseWriter, r *http.Request, status int, secret string, fe formErrors) {
	if _, err := roster.ParseTOTPSecret(secret); err != nil {
		s.error(w, r, err)
		return
	}
	uri := roster.TOTPURI("Roster", staffFrom(r).Email, secret)
	qr, err := qrSVG(uri)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.renderTwoFactor(w, r, status, twoFactorView{Secret: secret, URI: template.URL(uri), QR: qr, Errors: fe}) //nolint:gosec // made here from a checked base32 secret
}

// formError shows err next to the inputs (render) when it is about them,
// and as an error page otherwise.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, render func(formErrors)) {
	switch roster.ErrorCode(err) {
	case roster.EINVALID, roster.ECONFLICT, roster.ETOOMANY:
		fe := fieldErrorsOf(err)
		if fe == nil {
			fe = formErrors{"form": roster.ErrorMessage(err)}
		}
		render(fe)
	default:
		s.error(w, r, err)
	}
}

// ---------------------------------------------------------------------------
// Devices

type deviceRow struct {
	*roster.Session
	Device        string
	Created, Seen string
	ThisDevice    bool
	EndURL        string
}

type devicesView struct {
	// Account is whose devices these are; Own when the viewer's.
	Account *roster.Staff
	Own     bool
	Devices []deviceRow
	// EndAllURL ends every session but this browser's (own) or all.
	EndAllURL string
	// Subscriptions, Alerts and VAPIDKey: web notifications (own only).
	Subscriptions []pushRow
	Alerts        []alertOption
	VAPIDKey      string
	// MayResetTwoFactor: an owner viewing another account with a second
	// factor.
	TwoFactor         roster.TwoFactor
	MayResetTwoFactor bool
	Errors            formErrors
}

type pushRow struct {
	*roster.PushSubscription
	Device, Created, LastSent string
	Alerts                    []string
}

type alertOption struct {
	Value, Label string
}

func (s *Server) devicesOf(r *http.Request, account *roster.Staff, own bool) (devicesView, error) {
	ctx, me := r.Context(), staffFrom(r)
	loc := me.Location()
	view := devicesView{Account: account, Own: own}
	sessions, err := s.Devices.FindSessions(ctx, account.ID)
	if err != nil {
		return view, err
	}
	base := fmt.Sprintf("/settings/staff/%d/devices", account.ID)
	if own {
		base = "/account/devices"
	}
	view.EndAllURL = base + "/end-all"
	for _, sess := range sessions {
		view.Devices = append(view.Devices, deviceRow{Session: sess, Device: roster.ParseUserAgent(sess.UserAgent).String(),
			Created: formatWhen(sess.CreatedAt, loc), Seen: formatWhen(sess.LastSeenAt, loc),
			ThisDevice: sess.ID == sessionFrom(r), EndURL: fmt.Sprintf("%s/%d/end", base, sess.ID)})
	}
	if own && s.Push != nil {
		subs, err := s.Push.FindPushSubscriptions(ctx, account.ID)
		if err != nil {
			return view, err
		}
		for _, p := range subs {
			row := pushRow{PushSubscription: p, Device: roster.ParseUserAgent(p.UserAgent).String(),
				Created: formatWhen(p.CreatedAt, loc), LastSent: formatWhen(p.LastSentAt, loc)}
			for _, a := range roster.PushAlerts {
				if p.Wants(a.Alert) {
					row.Alerts = append(row.Alerts, a.Label)
				}
			}
			view.Subscriptions = append(view.Subscriptions, row)
		}
		for _, a := range roster.PushAlerts {
			view.Alerts = append(view.Alerts, alertOption{Value: string(a.Alert), Label: a.Label})
		}
		view.VAPIDKey = s.VAPIDPublicKey
	}
	if !own && s.TwoFactor != nil {
		if view.TwoFactor, err = s.TwoFactor.TwoFactor(ctx, account.ID); err != nil {
			return view, err
		}
		view.MayResetTwoFactor = view.TwoFactor.Enabled && me.Can(roster.PermManageOwners)
	}
	return view, nil
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) {
	s.renderDevices(w, r, http.StatusOK, staffFrom(r), true, nil)
}

func (s *Server) renderDevices(w http.ResponseWriter, r *http.Request, status int, account *roster.Staff, own bool, fe formErrors) {
	view, err := s.devicesOf(r, account, own)
	if err != nil {
		s.error(w, r, err)
		return
	}
	view.Errors = fe
	title := "Your devices"
	if !own {
		title = "Devices of " + account.Email
	}
	s.render(w, r, status, "devices", title, view)
}

func (s *Server) handleDeviceEnd(w http.ResponseWriter, r *http.Request) {
	me := staffFrom(r)
	id, err := pathID(r, "session", "session")
	if err == nil {
		err = s.Devices.EndSession(r.Context(), me.ID, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	if id == sessionFrom(r) {
		s.clearSessionCookie(w, r)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	s.setFlash(w, r, "That device is signed out.")
	http.Redirect(w, r, "/account/devices", http.StatusSeeOther)
}

func (s *Server) handleDevicesEndOthers(w http.ResponseWriter, r *http.Request) {
	n, err := s.Devices.EndOtherSessions(r.Context(), staffFrom(r).ID, sessionFrom(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Signed out %d other %s.", n, plural(n, "device", "devices")))
	http.Redirect(w, r, "/account/devices", http.StatusSeeOther)
}

// staffAccount reads the {id} of a staff path.
func (s *Server) staffAccount(r *http.Request) (*roster.Staff, error) {
	id, err := pathID(r, "id", "staff account")
	if err != nil {
		return nil, err
	}
	return s.Staff.FindStaffByID(r.Context(), id)
}

func (s *Server) handleStaffDevices(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.renderDevices(w, r, http.StatusOK, account, false, nil)
}

func (s *Server) handleStaffDeviceEnd(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id, err := pathID(r, "session", "session")
	if err == nil {
		err = s.Devices.EndSession(r.Context(), account.ID, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "That device of "+account.Email+" is signed out.")
	http.Redirect(w, r, fmt.Sprintf("/settings/staff/%d/devices", account.ID), http.StatusSeeOther)
}

func (s *Server) handleStaffDevicesEndAll(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	keep := int64(0)
	if account.ID == staffFrom(r).ID {
		keep = sessionFrom(r) // never the browser asking
	}
	n, err := s.Devices.EndOtherSessions(r.Context(), account.ID, keep)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, fmt.Sprintf("Signed %s out of %d %s.", account.Email, n, plural(n, "device", "devices")))
	http.Redirect(w, r, fmt.Sprintf("/settings/staff/%d/devices", account.ID), http.StatusSeeOther)
}

func (s *Server) handleStaffTwoFactorReset(w http.ResponseWriter, r *http.Request) {
	account, err := s.staffAccount(r)
	if err == nil {
		err = s.TwoFactor.ResetTwoFactor(r.Context(), account.ID)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Two-factor sign-in of "+account.Email+" is reset: they sign in with their password alone until they enrol again.")
	http.Redirect(w, r, fmt.Sprintf("/settings/staff/%d/devices", account.ID), http.StatusSeeOther)
}

func (s *Server) handleTwoFactorRequired(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("required") == "true"
	if err := s.TwoFactor.SetTwoFactorRequired(r.Context(), on); err != nil {
		s.error(w, r, err)
		return
	}
	msg := "Two-factor sign-in is no longer required."
	if on {
		msg = "Owners and admins must now use two-factor sign-in: those without it are sent to enrol."
	}
	s.setFlash(w, r, msg)
	http.Redirect(w, r, "/settings/staff", http.StatusSeeOther)
}

// ---------------------------------------------------------------------------
// Web notifications

// handlePushSubscribe stores this browser's subscription, posted by
// push.js as a form: endpoint, p256dh, auth and the alerts chosen.
func (s *Server) handlePushSubscribe(w http.ResponseWriter, r *http.Request) {
	me := staffFrom(r)
	alerts, err := roster.ParsePushAlerts(r.PostForm["alerts"])
	if err == nil {
		err = s.Push.SavePushSubscription(r.Context(), &roster.PushSubscription{StaffID: me.ID, Endpoint: r.PostFormValue("endpoint"),
			P256DH: r.PostFormValue("p256dh"), Auth: r.PostFormValue("auth"), Alerts: alerts, UserAgent: r.UserAgent()})
	}
	if err != nil {
		s.formError(w, r, err, func(fe formErrors) { s.renderDevices(w, r, errorStatus(err), me, true, fe) })
		return
	}
	s.setFlash(w, r, "This browser will show the notifications you chose.")
	http.Redirect(w, r, "/account/devices", http.StatusSeeOther)
}

func (s *Server) handlePushDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "subscription")
	if err == nil {
		err = s.Push.DeletePushSubscription(r.Context(), staffFrom(r).ID, id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.setFlash(w, r, "Notifications to that browser are off.")
	http.Redirect(w, r, "/account/devices", http.StatusSeeOther)
}
