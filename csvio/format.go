package csvio

import (
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"roster"
)

// rowFormatter turns users into CSV rows, the hot loop of an export. It
// resolves tag and group names from maps built once rather than by a
// search of the catalog per cell, reads built-in fields straight from the
// struct (User.Get boxes every value in an interface: an allocation per
// cell), appends text in place, and escapes cells itself: numbers are never
// escaped (a negative number is no formula), everything else is unless
// raw. Its output is what FormatCell and a Writer give (TestExportUsers).
type rowFormatter struct {
	cols    []column
	cat     *roster.Catalog
	tags    map[int64]string
	groups  map[int64]string
	scratch []byte
}

// column is a field and how its cells are made.
type column struct {
	field  roster.Field
	kind   cellKind
	escape bool
}

// cellKind names the built-in fields read straight from User; kindOther
// goes through User.Get and FormatCell.
type cellKind uint8

const (
	kindOther cellKind = iota
	kindCustom
	kindID
	kindClientID
	kindAppID
	kindStripeID
	kindEmail
	kindEmailConfirmed
	kindFirstName
	kindLastName
	kindMobilePhone
	kindHomePhone
	kindBio
	kindBirthDate
	kindCity
	kindCountry
	kindAddresses
	kindProfileImage
	kindCoverImage
	kindSocialLinks
	kindStoreLocation
	kindTeams
	kindPushTokens
	kindCreatedAt
	kindUpdatedAt
	kindLastInteraction
	kindLastVisit
	kindLastLogin
	kindPoints
	kindRoles
	kindBadges
	kindMissions
	kindTags
	kindGroups
	kindSmartType
	kindInstagram
	kindTikTok
	kindYouTube
	kindTotalFollowers
	kindStatus
	kindNewsletter
	kindNewsletterAt
)

var builtinKinds = map[string]cellKind{
	"id": kindID, "client_id": kindClientID, "app_id": kindAppID, "stripe_id": kindStripeID,
	"email": kindEmail, "email_confirmed": kindEmailConfirmed, "first_name": kindFirstName,
	"last_name": kindLastName, "mobile_phone": kindMobilePhone, "home_phone": kindHomePhone,
	"bio": kindBio, "birth_date": kindBirthDate, "city": kindCity, "country": kindCountry,
	"addresses": kindAddresses, "profile_image_url": kindProfileImage, "cover_image_url": kindCoverImage,
	"social_links": kindSocialLinks, "store_location": kindStoreLocation, "teams": kindTeams,
	"push_tokens": kindPushTokens, "created_at": kindCreatedAt, "updated_at": kindUpdatedAt,
	"last_interaction": kindLastInteraction, "last_visit": kindLastVisit, "last_login": kindLastLogin,
	"points": kindPoints, "roles": kindRoles, "badges": kindBadges, "missions": kindMissions,
	"tags": kindTags, "groups": kindGroups, "smart_type": kindSmartType,
	"instagram_followers": kindInstagram, "tiktok_followers": kindTikTok, "youtube_followers": kindYouTube,
	"total_followers": kindTotalFollowers, "status": kindStatus, "newsletter": kindNewsletter,
	"newsletter_at": kindNewsletterAt,
}

func newRowFormatter(fields []roster.Field, cat *roster.Catalog, raw bool) *rowFormatter {
	rf := &rowFormatter{cat: cat, tags: map[int64]string{}, groups: map[int64]string{}}
	for _, f := range fields {
		c := column{field: f, kind: kindCustom, escape: !raw && f.Type != roster.TypeInteger && f.Type != roster.TypeNumber}
		if f.Builtin {
			c.kind = builtinKinds[f.Key]
		}
		rf.cols = append(rf.cols, c)
	}
	if cat != nil {
		for _, t := range cat.Tags {
			rf.tags[t.ID] = t.Name
		}
		for _, g := range cat.Groups {
			rf.groups[g.ID] = g.Name
		}
	}
	return rf
}

// clone returns a formatter for another goroutine: each has its scratch.
func (rf *rowFormatter) clone() *rowFormatter {
	c := *rf
	c.scratch = nil
	return &c
}

// header is the row of field keys.
func (rf *rowFormatter) header() []string {
	out := make([]string, len(rf.cols))
	for i, c := range rf.cols {
		out[i] = c.field.Key
	}
	return out
}

// row appends the cells of u to dst[:0], escaped: for a Writer that does
// not escape.
func (rf *rowFormatter) row(dst []string, u *roster.User) []string {
	dst = dst[:0]
	for _, c := range rf.cols {
		s := string(rf.cell(rf.scratch[:0], c, u))
		if c.escape {
			s = EscapeCell(s)
		}
		dst = append(dst, s)
	}
	return dst
}

// appendRow appends the CSV record of u to dst. Each cell's text is
// appended in place, then fixed up in the rare case that it needs a quote
// prefix or CSV quotes.
func (rf *rowFormatter) appendRow(dst []byte, u *roster.User) []byte {
	for i, c := range rf.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		start := len(dst)
		dst = rf.cell(dst, c, u)
		text := dst[start:]
		esc := c.escape && needsEscapeBytes(text)
		if esc || needsQuotes(text) {
			rf.scratch = append(rf.scratch[:0], text...)
			dst = appendField(dst[:start], esc, rf.scratch)
		}
	}
	return append(dst, '\n')
}

// special marks the bytes that make encoding/csv quote a field.
var special = [256]bool{',': true, '"': true, '\r': true, '\n': true}

// needsQuotes reports whether encoding/csv would quote c: a comma, quote,
// CR or LF in it, a leading space, or \. alone.
func needsQuotes(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	for _, b := range c {
		if special[b] {
			return true
		}
	}
	switch {
	case string(c) == `\.`:
		return true
	case c[0] < utf8.RuneSelf:
		return c[0] == ' ' || c[0] == '\t' || c[0] == '\v' || c[0] == '\f'
	}
	r, _ := utf8.DecodeRune(c)
	return unicode.IsSpace(r)
}

// needsEscapeBytes is needsEscape on bytes, without making a string.
func needsEscapeBytes(c []byte) bool {
	for len(c) > 0 && c[0] == '\'' {
		c = c[1:]
	}
	return len(c) > 0 && triggers(c[0])
}

// appendField appends c as a CSV field, preceded by a ' when esc, and
// quoted when encoding/csv would quote it. The quote prefix never changes
// whether a field needs quotes: it is neither special nor a space, and a
// field that starts with it cannot be a leading-space or \. field.
func appendField(dst []byte, esc bool, c []byte) []byte {
	quote := false
	if esc {
		for _, b := range c {
			if special[b] {
				quote = true
				break
			}
		}
	} else {
		quote = needsQuotes(c)
	}
	if quote {
		dst = append(dst, '"')
	}
	if esc {
		dst = append(dst, '\'')
	}
	if !quote {
		return append(dst, c...)
	}
	for _, b := range c {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

// cell appends the text of u's value in column c to dst: what FormatCell
// gives.
func (rf *rowFormatter) cell(dst []byte, c column, u *roster.User) []byte {
	switch c.kind {
	case kindCustom:
		switch v := u.Custom[c.field.Key].(type) {
		case string:
			return append(dst, v...)
		case float64:
			return strconv.AppendFloat(dst, v, 'f', -1, 64)
		case bool:
			return strconv.AppendBool(dst, v)
		case []string:
			return appendSet(dst, v)
		case nil:
			return dst
		}
	case kindID:
		return append(dst, u.PublicID...)
	case kindClientID:
		return append(dst, u.ClientID...)
	case kindAppID:
		return append(dst, u.AppID...)
	case kindStripeID:
		return append(dst, u.StripeID...)
	case kindEmail:
		return append(dst, u.Email...)
	case kindEmailConfirmed:
		return strconv.AppendBool(dst, u.EmailConfirmed)
	case kindFirstName:
		return append(dst, u.FirstName...)
	case kindLastName:
		return append(dst, u.LastName...)
	case kindMobilePhone:
		return append(dst, u.MobilePhone...)
	case kindHomePhone:
		return append(dst, u.HomePhone...)
	case kindBio:
		return append(dst, u.Bio...)
	case kindBirthDate:
		return appendDate(dst, u.BirthDate)
	case kindCity:
		return append(dst, u.City...)
	case kindCountry:
		return append(dst, u.Country...)
	case kindAddresses:
		return appendAddresses(dst, u.Addresses)
	case kindProfileImage:
		return append(dst, u.ProfileImageURL...)
	case kindCoverImage:
		return append(dst, u.CoverImageURL...)
	case kindSocialLinks:
		return appendLinks(dst, u.SocialLinks)
	case kindStoreLocation:
		return append(dst, u.StoreLocation...)
	case kindTeams:
		return appendSet(dst, u.Teams)
	case kindPushTokens:
		return appendTokens(dst, u.PushTokens)
	case kindCreatedAt:
		return appendTime(dst, u.CreatedAt)
	case kindUpdatedAt:
		return appendTime(dst, u.UpdatedAt)
	case kindLastInteraction:
		return appendTime(dst, u.LastInteraction)
	case kindLastVisit:
		return appendTime(dst, u.LastVisit)
	case kindLastLogin:
		return appendTime(dst, u.LastLogin)
	case kindPoints:
		return strconv.AppendInt(dst, u.Points, 10)
	case kindRoles:
		return appendSet(dst, u.Roles)
	case kindBadges:
		return appendSet(dst, u.Badges)
	case kindMissions:
		return appendSet(dst, u.Missions)
	case kindTags:
		return appendNames(dst, u.Tags, rf.tags)
	case kindGroups:
		return appendNames(dst, u.Groups, rf.groups)
	case kindSmartType:
		g, _ := rf.cat.SmartType(u.Groups)
		return append(dst, g.Name...)
	case kindInstagram:
		return strconv.AppendInt(dst, u.InstagramFollowers, 10)
	case kindTikTok:
		return strconv.AppendInt(dst, u.TikTokFollowers, 10)
	case kindYouTube:
		return strconv.AppendInt(dst, u.YouTubeFollowers, 10)
	case kindTotalFollowers:
		return strconv.AppendInt(dst, u.TotalFollowers(), 10)
	case kindStatus:
		return append(dst, u.Status...)
	case kindNewsletter:
		return strconv.AppendBool(dst, u.Newsletter)
	case kindNewsletterAt:
		return appendTime(dst, u.NewsletterAt)
	}
	return append(dst, FormatCell(c.field, u.Get(c.field.Key), rf.cat)...)
}

func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return dst
	}
	return t.UTC().AppendFormat(dst, time.RFC3339Nano)
}

// appendDate appends d as Date.String does, without fmt.
func appendDate(dst []byte, d roster.Date) []byte {
	if d.IsZero() {
		return dst
	}
	if d.Year < 0 || d.Year > 9999 {
		return append(dst, d.String()...)
	}
	dst = append(dst, byte('0'+d.Year/1000), byte('0'+d.Year/100%10), byte('0'+d.Year/10%10), byte('0'+d.Year%10), '-')
	dst = append(dst, byte('0'+int(d.Month)/10%10), byte('0'+int(d.Month)%10), '-')
	return append(dst, byte('0'+d.Day/10%10), byte('0'+d.Day%10))
}

func appendSet(dst []byte, set []string) []byte {
	for i, s := range set {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = append(dst, s...)
	}
	return dst
}

func appendNames(dst []byte, ids []int64, names map[int64]string) []byte {
	first := true
	for _, id := range ids {
		n, ok := names[id]
		if !ok {
			continue
		}
		if !first {
			dst = append(dst, '|')
		}
		first = false
		dst = append(dst, n...)
	}
	return dst
}
