package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"roster"
)

// deviceRequest is the device a sign-in or refresh names; the user agent
// and client address come from the request.
type deviceRequest struct {
	DeviceName, Platform, AppVersion string
}

// device returns the device of a request body and r.
func (s *Server) device(r *http.Request, d deviceRequest) roster.UserDevice {
	return roster.UserDevice{Name: d.DeviceName, Platform: d.Platform, AppVersion: d.AppVersion,
		UserAgent: r.UserAgent(), ClientAddr: s.clientAddr(r)}
}

// sessionJSON is a session as the member API and the staff API show it.
type sessionJSON struct {
	ID         int64   `json:"id"`
	DeviceName string  `json:"device_name"`
	Platform   string  `json:"platform"`
	AppVersion string  `json:"app_version"`
	UserAgent  string  `json:"user_agent"`
	ClientAddr string  `json:"client_addr"`
	CreatedAt  *string `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  *string `json:"expires_at"`
	Refresh    bool    `json:"refresh"`
	Current    bool    `json:"current,omitempty"`
}

func newSessionJSON(sess *roster.UserSession, current int64) sessionJSON {
	return sessionJSON{ID: sess.ID, DeviceName: sess.Device.Name, Platform: sess.Device.Platform, AppVersion: sess.Device.AppVersion,
		UserAgent: sess.Device.UserAgent, ClientAddr: sess.Device.ClientAddr,
		CreatedAt: jsonTime(sess.CreatedAt), LastUsedAt: jsonTime(sess.LastUsedAt), ExpiresAt: jsonTime(sess.Expiry()),
		Refresh: sess.Refresh, Current: sess.ID == current}
}

// sessionAnswer is the answer of a sign-in and a refresh: the user's
// fields (as GET /api/v1/users/{id} shows them) and the session's members,
// access_token, token_type, expires_at (when the session ends unless used
// again), refresh_token (when refresh tokens are on) and session.
type sessionAnswer struct {
	user userJSON
	sess *roster.UserSession
	tok  roster.SessionTokens
}

func (a sessionAnswer) MarshalJSON() ([]byte, error) {
	u, err := a.user.MarshalJSON()
	if err != nil {
		return nil, err
	}
	extra := struct {
		Access  string      `json:"access_token"`
		Type    string      `json:"token_type"`
		Expires *string     `json:"expires_at"`
		Refresh string      `json:"refresh_token,omitempty"`
		Session sessionJSON `json:"session"`
	}{a.tok.Access, "Bearer", jsonTime(a.sess.Expiry()), a.tok.Refresh, newSessionJSON(a.sess, 0)}
	e, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	// {fields...} and {session...} make one object; custom fields may not
	// take the session's member names (roster.SessionAnswerKeys).
	var b bytes.Buffer
	b.Write(e[:len(e)-1])
	if len(u) > 2 {
		b.WriteByte(',')
		b.Write(u[1:])
	} else {
		b.WriteByte('}')
	}
	return b.Bytes(), nil
}

// startUserSession starts a session for u on d and answers with it.
func (s *Server) startUserSession(w http.ResponseWriter, r *http.Request, u *roster.User, d roster.UserDevice) {
	sess, tok, err := s.Sessions.StartSession(r.Context(), u.ID, d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionAnswer{userJSON{reg, u}, sess, tok})
}

// signInRequest is the body of the member API's sign-in.
type signInRequest struct {
	Login      string `json:"login"`
	Password   string `json:"password"`
	DeviceName string `json:"device_name"`
	Platform   string `json:"platform"`
	AppVersion string `json:"app_version"`
}

// memberSignIn is POST /api/member/v1/sign-in: the app signing its user
// in directly, when the member policy allows it (off by default: 404).
// Unknown logins and wrong passwords get one answer after the same work;
// failures are throttled per login and per client address.
func (s *Server) memberSignIn(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		s.apiNotFound(w, r)
		return
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !p.SignIn {
		s.error(w, r, roster.Errorf(roster.ENOTFOUND, "Member sign-in is off: the operator turns it on in Settings → Accounts."))
		return
	}
	var req signInRequest
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	d := s.device(r, deviceRequest{req.DeviceName, req.Platform, req.AppVersion})
	fe := signInProblems(req.Login, req.Password)
	if err := d.Validate(); err != nil {
		for k, v := range roster.ErrorFields(err) {
			fe.Add(k, v)
		}
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.Users.SignIn(r.Context(), req.Login, req.Password, s.clientAddr(r))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.startUserSession(w, r, u, d)
}

// signInProblems checks a login and a password as sent.
func signInProblems(login, password string) roster.FieldErrors {
	fe := roster.FieldErrors{}
	if strings.TrimSpace(login) == "" {
		fe.Add("login", "is required (an email or a client_id)")
	}
	if password == "" {
		fe.Add("password", "is required")
	} else if len(password) > maxSignInPassword {
		fe.Add("password", "is longer than 4096 bytes")
	}
	return fe
}

// refreshRequest is the body of POST /api/member/v1/refresh.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
	AppVersion   string `json:"app_version"`
}

// memberRefresh is POST /api/member/v1/refresh: new tokens for a refresh
// token, which works once. A refresh token used twice ends its session.
func (s *Server) memberRefresh(w http.ResponseWriter, r *http.Request) {
	if s.Sessions == nil {
		s.apiNotFound(w, r)
		return
	}
	var req refreshRequest
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if req.RefreshToken == "" {
		s.error(w, r, roster.FieldErrors{"refresh_token": "is required"}.Err())
		return
	}
	sess, tok, err := s.Sessions.Refresh(r.Context(), req.RefreshToken, s.device(r, deviceRequest{AppVersion: req.AppVersion}))
	if err != nil {
		s.error(w, r, err)
		return
	}
	users, err := s.Users.FindUsersByIDs(r.Context(), []int64{sess.UserID})
	if err != nil {
		s.error(w, r, err)
		return
	}
	if len(users) == 0 {
		s.error(w, r, roster.TokenError(roster.TokenRevoked))
		return
	}
	if a := s.accessRule(r.Context()).Of(users[0]); a != roster.AccessActive {
		if _, err := s.Sessions.EndSessions(r.Context(), sess.UserID, 0, "access_"+string(a)); err != nil {
			s.error(w, r, err)
			return
		}
		s.error(w, r, roster.AccessError(a))
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionAnswer{userJSON{reg, users[0]}, sess, tok})
}

// memberGetMe is GET /api/member/v1/me: the user's profile.
func (s *Server) memberGetMe(w http.ResponseWriter, r *http.Request, m member) {
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userJSON{reg, m.user})
}

// memberPatchMe is PATCH /api/member/v1/me: the user changing the fields
// the operator made editable by the user (Settings → Fields); any other
// field is refused by name. The change is audited as the user's own.
func (s *Server) memberPatchMe(w http.ResponseWriter, r *http.Request, m member) {
	body, err := decodeObject(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p, err := s.Sessions.MemberPolicy(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	reg, err := s.Fields.Registry(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	for key := range body {
		f, known := reg.Field(key)
		switch {
		case key == "password":
			fe.Add(key, "is changed with POST /api/member/v1/password (current_password and new_password)")
		case known && !f.UserEditable():
			// Even when an older policy lists it: the rule is the field's.
			fe.Add(key, "is kept by Roster or staff and is not editable by the user")
		case !p.Editable(key):
			fe.Add(key, "is not editable by the user")
		}
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	values, _, err := userValues(reg, body)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.Users.UpdateUser(r.Context(), m.user.PublicID, roster.UserUpdate{Values: values}); err != nil {
		s.error(w, r, err)
		return
	}
	u, err := s.Users.FindUserByID(r.Context(), m.user.PublicID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userJSON{reg, u})
}

// passwordRequest is the body of POST /api/member/v1/password.
type passwordRequest struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// memberPassword is POST /api/member/v1/password: the user changing their
// password, with the current one. The password policy applies; the
// user's other sessions end.
func (s *Server) memberPassword(w http.ResponseWriter, r *http.Request, m member) {
	var req passwordRequest
	if err := decodeInto(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	fe := roster.FieldErrors{}
	if req.Current == "" {
		fe.Add("current_password", "is required")
	} else if len(req.Current) > maxSignInPassword {
		fe.Add("current_password", "is longer than 4096 bytes")
	}
	if req.New == "" {
		fe.Add("new_password", "is required")
	}
	if err := fe.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.Users.CheckPassword(r.Context(), m.user.ID, req.Current); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.Users.UpdateUser(r.Context(), m.user.PublicID, roster.UserUpdate{Password: &req.New}); err != nil {
		s.error(w, r, renameField(err, "password", "new_password"))
		return
	}
	_, err := s.Sessions.EndSessions(r.Context(), m.user.ID, m.session.ID, roster.EndPasswordChanged)
	s.noContent(w, r, err)
}

// renameField renames the field from of an EINVALID error to to.
func renameField(err error, from, to string) error {
	e, ok := err.(*roster.Error)
	if !ok || e.Fields == nil {
		return err
	}
	msg, ok := e.Fields[from]
	if !ok {
		return err
	}
	fields := map[string]string{}
	for k, v := range e.Fields {
		fields[k] = v
	}
	delete(fields, from)
	fields[to] = msg
	return &roster.Error{Code: e.Code, Message: strings.ReplaceAll(e.Message, from+":", to+":"), Fields: fields, Position: e.Position}
}

// memberGroupJSON is a group as its users see it.
type memberGroupJSON struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	JoinType    roster.JoinType `json:"join_type"`
	StartsAt    *string         `json:"starts_at"`
	StopsAt     *string         `json:"stops_at"`
	Properties  map[string]any  `json:"properties"`
	Member      bool            `json:"member"`
}

// memberGroups is GET /api/member/v1/groups: the groups users may see
// (user-viewable, within their period), and whether this user belongs.
func (s *Server) memberGroups(w http.ResponseWriter, r *http.Request, m member) {
	groups, err := s.Groups.FindGroups(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	in := map[int64]bool{}
	for _, id := range m.user.Groups {
		in[id] = true
	}
	now := time.Now()
	out := []memberGroupJSON{}
	for _, g := range groups {
		if !g.UserViewable || !g.Active(now) {
			continue
		}
		props := g.Properties
		if props == nil {
			props = map[string]any{}
		}
		out = append(out, memberGroupJSON{ID: g.ID, Name: g.Name, Description: g.Description, JoinType: g.JoinType,
			StartsAt: jsonTime(g.StartsAt), StopsAt: jsonTime(g.StopsAt), Properties: props, Member: in[g.ID]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
}

// memberGroup reads the user-viewable group of the path: any other is
// not found, as it is not shown to users.
func (s *Server) memberGroup(r *http.Request) (*roster.Group, error) {
	id, err := pathID(r, "id", "group")
	if err != nil {
		return nil, err
	}
	g, err := s.Groups.FindGroup(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !g.UserViewable {
		return nil, roster.Errorf(roster.ENOTFOUND, "There is no such group.")
	}
	return g, nil
}

// codeRequest is the body of a join: the code of a private group.
type codeRequest struct {
	Code string `json:"code"`
}

// memberBody reads an optional JSON body into v: an empty body is {}.
func memberBody(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeInto(w, r, v)
}

// memberJoin is POST /api/member/v1/groups/{id}/join: the user joining an
// open group, or a private one with {"code": "..."}, with the rules of
// POST /api/v1/groups/{id}/join and recorded as their own action.
func (s *Server) memberJoin(w http.ResponseWriter, r *http.Request, m member) {
	var in codeRequest
	if err := memberBody(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	g, err := s.memberGroup(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ms, err := s.Groups.Join(r.Context(), g.ID, m.user.PublicID, in.Code)
	if err != nil {
		key := "group"
		if g.JoinType == roster.JoinCode && g.Active(time.Now()) {
			key = "code"
		}
		s.error(w, r, asField(err, key))
		return
	}
	writeJSON(w, http.StatusOK, membershipJSON{GroupID: ms.GroupID, UserID: m.user.PublicID, Via: ms.Via, CodeID: ms.CodeID, JoinedAt: jsonTime(ms.JoinedAt)})
}

// memberLeave is POST /api/member/v1/groups/{id}/leave.
func (s *Server) memberLeave(w http.ResponseWriter, r *http.Request, m member) {
	var in codeRequest
	if err := memberBody(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	if in.Code != "" {
		s.error(w, r, roster.FieldErrors{"code": "is not needed to leave a group"}.Err())
		return
	}
	g, err := s.memberGroup(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Groups.Leave(r.Context(), g.ID, m.user.PublicID))
}

// pushTokenJSON is a push token record.
type pushTokenJSON struct {
	ID         int64   `json:"id"`
	Provider   string  `json:"provider"`
	Token      string  `json:"token"`
	SessionID  int64   `json:"session_id,omitempty"`
	CreatedAt  *string `json:"created_at"`
	LastSentAt *string `json:"last_sent_at"`
}

func newPushTokenJSON(t roster.PushTokenRecord) pushTokenJSON {
	return pushTokenJSON{ID: t.ID, Provider: t.Provider, Token: t.Token, SessionID: t.SessionID, CreatedAt: jsonTime(t.CreatedAt), LastSentAt: jsonTime(t.LastSentAt)}
}

// memberPushTokens is GET /api/member/v1/push-tokens.
func (s *Server) memberPushTokens(w http.ResponseWriter, r *http.Request, m member) {
	list, err := s.Sessions.PushTokens(r.Context(), m.user.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]pushTokenJSON, len(list))
	for i, t := range list {
		out[i] = newPushTokenJSON(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"push_tokens": out})
}

// memberAddPushToken is POST /api/member/v1/push-tokens: {"provider":
// "fcm"|"apns"|"webpush", "token": "..."}, recorded with this session's
// device. Registering a token again answers the record there is.
func (s *Server) memberAddPushToken(w http.ResponseWriter, r *http.Request, m member) {
	var in struct {
		Provider string `json:"provider"`
		Token    string `json:"token"`
	}
	if err := decodeInto(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	t := &roster.PushTokenRecord{Provider: in.Provider, Token: in.Token, SessionID: m.session.ID}
	if err := s.Sessions.AddPushToken(r.Context(), m.user.ID, t); err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newPushTokenJSON(*t))
}

// memberDeletePushToken is DELETE /api/member/v1/push-tokens/{id}.
func (s *Server) memberDeletePushToken(w http.ResponseWriter, r *http.Request, m member) {
	id, err := pathID(r, "id", "push token")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Sessions.DeletePushToken(r.Context(), m.user.ID, id))
}

// memberSessions is GET /api/member/v1/sessions: the user's live
// sessions, the one of this request marked current.
func (s *Server) memberSessions(w http.ResponseWriter, r *http.Request, m member) {
	list, err := s.Sessions.FindSessions(r.Context(), m.user.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]sessionJSON, len(list))
	for i := range list {
		out[i] = newSessionJSON(&list[i], m.session.ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// memberEndSession is DELETE /api/member/v1/sessions/{id}: the user
// ending one of their sessions (this one included).
func (s *Server) memberEndSession(w http.ResponseWriter, r *http.Request, m member) {
	id, err := pathID(r, "id", "session")
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.noContent(w, r, s.Sessions.EndSession(r.Context(), m.user.ID, id, roster.EndByUser))
}

// memberEndSessions is DELETE /api/member/v1/sessions: the user signing
// out everywhere, this session included.
func (s *Server) memberEndSessions(w http.ResponseWriter, r *http.Request, m member) {
	_, err := s.Sessions.EndSessions(r.Context(), m.user.ID, 0, roster.EndByUser)
	s.noContent(w, r, err)
}

// memberSignOut is POST /api/member/v1/sign-out: this session ends.
func (s *Server) memberSignOut(w http.ResponseWriter, r *http.Request, m member) {
	s.noContent(w, r, s.Sessions.EndSession(r.Context(), m.user.ID, m.session.ID, roster.EndSignedOut))
}
