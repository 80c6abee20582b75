// Package demo generates deterministic, realistic demo users: names, emails,
// phones and addresses from some thirty-five countries, with skewed
// distributions of activity, points and followers so that charts and filters
// have something to show. The same seed, time and index always give the same
// user, and users can be made in any order or in parallel.
package demo

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"roster"
)

// Generator makes deterministic, realistic demo users.
type Generator struct {
	t                *tables
	seed             uint64
	nowSec, startSec int64 // now, and five years before, in Unix seconds
	idKey            [3]uint64
}

// New returns a generator of users created in the five years before now.
func New(seed int64, now time.Time) *Generator {
	g := &Generator{t: loadTables(), seed: uint64(seed)}
	now = now.UTC()
	g.nowSec = now.Unix()
	g.startSec = now.AddDate(-5, 0, 0).Unix()
	k := mix64(g.seed ^ 0x5eed)
	for j := range g.idKey {
		k = mix64(k + 0x9e3779b97f4a7c15)
		g.idKey[j] = k
	}
	g.idKey[1] |= 1 // a multiplier: odd, so that it permutes
	return g
}

const (
	growth      = 1.2 // signups grow by e^growth over the five years
	day         = 86400
	mask48      = 1<<48 - 1
	maxPoints   = 1_000_000
	maxFollower = 5_000_000
)

// User returns the i-th demo user (i from 0). The same seed, now and i give
// an identical user. Emails and client ids are unique across i. ID,
// PublicID, UpdatedAt, PasswordHash and Custom are left zero for the store.
func (g *Generator) User(i int) *roster.User {
	var r rng
	r.p.Seed(mix64(g.seed^mix64(uint64(i))), mix64(uint64(i)+0x632be59bd9b4e019*(g.seed|1)))
	t := g.t
	c := &t.countries[t.countryPick[r.intn(len(t.countryPick))]]
	u := &roster.User{Country: c.code}
	var buf [320]byte

	switch n := r.intn(100); {
	case n < 90:
		u.Status = roster.StatusActive
	case n < 94:
		u.Status = roster.StatusBanned
	case n < 97:
		u.Status = roster.StatusInvited
	default:
		u.Status = roster.StatusPending
	}
	active := u.Status == roster.StatusActive || u.Status == roster.StatusBanned

	// Name and place.
	g2 := r.intn(2)
	native := c.nativeShare > 0 && r.chance(c.nativeShare)
	firsts, lasts := c.first[g2], c.last
	if native {
		firsts, lasts = c.nFirst[g2], c.nLast
	}
	first := firsts[r.skew(len(firsts))]
	ln := lasts[r.skew(len(lasts))]
	last := ln.m
	if g2 == 1 {
		last = ln.f
	}
	u.FirstName, u.LastName = first.text, last.text
	ci := &c.cities[r.skew(len(c.cities))]
	u.City = ci.name
	if native && ci.native != "" && r.chance(0.7) {
		u.City = ci.native
	}

	// Identifiers.
	u.ClientID = g.clientID(buf[:0], uint64(i))
	switch n := r.intn(100); {
	case n < 44:
		u.AppID = "web"
	case n < 74:
		u.AppID = "ios"
	case n < 98:
		u.AppID = "android"
	default:
		u.AppID = "kiosk"
	}
	if active && r.chance(0.31) {
		b := append(buf[:0], "cus_"...)
		for range 14 {
			b = append(b, base62[r.intn(62)])
		}
		u.StripeID = string(b)
	}

	u.Email = email(buf[:0], &r, c, first.key, last.key, i)
	switch u.Status {
	case roster.StatusPending:
	case roster.StatusInvited:
		u.EmailConfirmed = r.chance(0.3)
	default:
		u.EmailConfirmed = r.chance(0.9)
	}
	if r.chance(0.9) {
		u.MobilePhone = pattern(buf[:0], &r, c.mobile[r.intn(len(c.mobile))])
	}
	if r.chance(0.2) {
		u.HomePhone = pattern(buf[:0], &r, c.home[r.intn(len(c.home))])
	}

	// Dates. Everything is in whole seconds, UTC, between the signup and now.
	x := math.Log1p(r.float()*math.Expm1(growth)) / growth
	created := g.startSec + int64(x*float64(g.nowSec-g.startSec))
	u.CreatedAt = unix(created)
	var visit int64
	visits := active && !r.chance(0.005) || u.Status == roster.StatusPending && r.chance(0.5)
	if visits {
		if r.chance(0.65) {
			visit = g.nowSec - int64(r.exp(14*day))
		} else {
			visit = r.between(created, g.nowSec)
		}
		if visit < created {
			visit = r.between(created, g.nowSec)
		}
		u.LastVisit = unix(visit)
		u.LastLogin = unix(max(created, visit-int64(r.exp(1.5*day))))
	}
	if active && r.chance(0.87) || !active && r.chance(0.5) {
		var li int64
		if visit != 0 {
			li = max(created, visit-int64(r.exp(4*day)))
		} else {
			li = min(g.nowSec, created+int64(r.exp(3*day)))
		}
		u.LastInteraction = unix(li)
	}
	if r.chance(0.85) {
		u.BirthDate = g.birthDate(&r, created)
	}

	// Profile.
	if r.chance(0.4) {
		u.Bio = bio(buf[:0], &r, t, c, g2, ci.name)
	}
	if r.chance(0.25) {
		u.Addresses = []roster.Address{address(buf[:0], &r, c, ci, u.City)}
	}
	if r.chance(0.6) {
		u.ProfileImageURL = imageURL(buf[:0], "https://images.example.com/avatars/", r.intn(99999)+1)
	}
	if r.chance(0.2) {
		u.CoverImageURL = imageURL(buf[:0], "https://images.example.com/covers/", r.intn(9999)+1)
	}
	if r.chance(0.3) {
		stores := ci.stores
		if r.chance(0.15) {
			stores = c.cities[r.intn(len(c.cities))].stores
		}
		u.StoreLocation = stores[r.intn(len(stores))]
	}
	if r.chance(0.15) {
		u.Teams = pickSet(&r, teamNames, 1+r.intn(2), -1)
	}
	if r.chance(0.4) {
		u.PushTokens = pushTokens(buf[:0], &r, u.AppID)
	}

	// Community.
	roles := []string{"member"}
	creator := false
	if u.Status == roster.StatusActive {
		for _, e := range extraRoles {
			if r.chance(e.p) {
				roles = append(roles, e.name)
				creator = creator || e.name == "creator"
			}
		}
	}
	u.Roles = roles
	if u.Status != roster.StatusInvited {
		if !r.chance(0.6) {
			u.Points = int64(r.pareto(100, maxPoints, 0.55))
		} else if !r.chance(0.2) {
			u.Points = int64(1 + r.intn(100))
		}
	}
	nb := pickCount(&r, badgeCounts)
	if u.Points > 5000 && nb < 4 {
		nb++
	}
	early := -1
	if created-g.startSec > 540*day {
		early = 0 // only the first 18 months' users are early adopters
	}
	u.Badges = pickSet(&r, badgeNames, nb, early)
	u.Missions = pickSet(&r, missionNames, pickCount(&r, missionCounts), -1)
	zero, lo := 0.75, 20.0
	if creator {
		zero, lo = 0.2, 2000
	}
	var fol [3]int64
	for j := range fol {
		if !r.chance(zero) {
			fol[j] = int64(r.pareto(lo, maxFollower, 0.5))
		}
	}
	u.InstagramFollowers, u.TikTokFollowers, u.YouTubeFollowers = fol[0], fol[1], fol[2]
	if r.chance(0.2) || (creator && r.chance(0.8)) {
		u.SocialLinks = socialLinks(buf[:0], &r, first.key, last.key, fol)
	}

	if r.chance(0.45) {
		u.Newsletter = true
		ns := created + int64(r.intn(900))
		if r.chance(0.4) {
			ns = r.between(created, g.nowSec)
		}
		u.NewsletterAt = unix(min(ns, g.nowSec))
	}
	return u
}

var extraRoles = []struct {
	name string
	p    float64
}{{"moderator", 0.015}, {"creator", 0.04}, {"vip", 0.03}, {"staff-pick", 0.01}, {"ambassador", 0.02}}

// Cumulative percentages of 0, 1, 2, ... items.
var (
	badgeCounts   = []int{55, 80, 91, 97, 100}
	missionCounts = []int{40, 62, 76, 87, 95, 100}
)

func pickCount(r *rng, cum []int) int {
	n := r.intn(100)
	for k, c := range cum {
		if n < c {
			return k
		}
	}
	return len(cum) - 1
}

// pickSet returns k distinct items of list, or nil for none. The item at
// index skip, if any, is never picked.
func pickSet(r *rng, list []string, k, skip int) []string {
	if k == 0 {
		return nil
	}
	var idx [32]uint8
	n := 0
	for j := range list {
		if j != skip {
			idx[n] = uint8(j)
			n++
		}
	}
	k = min(k, n)
	out := make([]string, k)
	for j := range k {
		m := j + r.intn(n-j)
		idx[j], idx[m] = idx[m], idx[j]
		out[j] = list[idx[j]]
	}
	return out
}

// clientID is "sso_" and 12 hex digits that grow with i (a keyed offset
// plus a stride), so distinct indexes never collide and bulk inserts append
// to the unique index instead of touching random pages.
func (g *Generator) clientID(b []byte, i uint64) string {
	x := (g.idKey[0]&(mask48>>4) + i*0x3b5) & mask48
	b = append(b, "sso_"...)
	for s := 44; s >= 0; s -= 4 {
		b = append(b, hexDigits[x>>s&15])
	}
	return string(b)
}

// email is an address whose local part ends with i in decimal after a
// prefix that ends in a letter or separator, so that it is unique for each i.
func email(b []byte, r *rng, c *country, fk, lk string, i int) string {
	switch n := r.intn(100); {
	case n < 35:
		b = append(append(append(b, fk...), '.'), lk...)
	case n < 50:
		b = append(append(b, fk...), lk...)
	case n < 60:
		b = append(append(append(b, fk...), '_'), lk...)
	case n < 72:
		b = append(append(b, fk[0]), lk...)
	case n < 80:
		b = append(b, fk...)
	case n < 88:
		b = append(append(append(b, lk...), '.'), fk...)
	case n < 93:
		b = append(append(append(b, fk...), '.'), lk[0])
	default:
		b = append(append(append(b, fk...), '-'), lk...)
	}
	switch n := r.intn(10); {
	case n < 2:
		b = append(b, '.')
	case n < 4:
		b = append(b, '_')
	}
	b = strconv.AppendUint(b, uint64(i), 10)
	b = append(b, '@')
	b = append(b, c.domains[r.intn(len(c.domains))]...)
	return string(b)
}

// pattern fills a phone or postal pattern: # is a digit, $ a digit from 2 to
// 9, @ a capital letter.
func pattern(b []byte, r *rng, p string) string {
	for j := 0; j < len(p); j++ {
		switch ch := p[j]; ch {
		case '#':
			b = append(b, byte('0'+r.intn(10)))
		case '$':
			b = append(b, byte('2'+r.intn(8)))
		case '@':
			b = append(b, byte('A'+r.intn(26)))
		default:
			b = append(b, ch)
		}
	}
	return string(b)
}

// birthDate returns a date 16 to 80 years before now, mostly young adults,
// and at least 13 years before the signup.
func (g *Generator) birthDate(r *rng, created int64) roster.Date {
	const year = 365.2425 * day
	var age float64
	switch n := r.intn(100); {
	case n < 75:
		age = 20 + r.exp(11)
	case n < 85:
		age = 16 + 5*r.float()
	default:
		age = 16 + 64*r.float()
	}
	if least := 13 + float64(g.nowSec-created)/year; age < least {
		age = least + 4*r.float()
	}
	age = min(max(age, 16), 80.9)
	sec := g.nowSec - int64(age*year)
	return roster.DateOf(unix(sec))
}

func bio(b []byte, r *rng, t *tables, c *country, female int, city string) string {
	as, bs := enBioA, enBioB
	if c.bioFR > 0 && r.chance(c.bioFR) {
		as, bs = t.frBioA[female], t.frBioB[female]
	}
	a := r.intn(len(as))
	b = append(b, as[a]...)
	if r.chance(0.3) {
		a2 := r.intn(len(as) - 1)
		if a2 >= a {
			a2++
		}
		r0, n := utf8.DecodeRuneInString(as[a2])
		b = utf8.AppendRune(append(b, " · "...), unicode.ToLower(r0))
		b = append(b, as[a2][n:]...)
	}
	if r.chance(0.5) {
		b = append(append(b, ", "...), bs[r.intn(len(bs))]...)
	}
	if r.chance(0.25) {
		b = append(append(b, " · 📍 "...), city...)
	}
	if r.chance(0.35) {
		b = append(append(b, ' '), bioEmoji[r.intn(len(bioEmoji))]...)
	}
	return string(b)
}

func address(b []byte, r *rng, c *country, ci *city, cityName string) roster.Address {
	a := roster.Address{City: cityName, Region: ci.region, Country: c.code}
	switch n := r.intn(10); {
	case n < 7:
		a.Label = "Home"
	case n < 9:
		a.Label = "Work"
	}
	street := c.streets[r.intn(len(c.streets))]
	num := 1 + int(float64(c.houseMax)*r.float()*r.float())
	switch c.streetFmt {
	case stNumFirst:
		b = append(strconv.AppendInt(b, int64(num), 10), ' ')
		b = append(b, street...)
	case stNumLast:
		b = append(append(b, street...), ' ')
		b = strconv.AppendInt(b, int64(num), 10)
	case stNumComma:
		b = append(append(b, street...), ", "...)
		b = strconv.AppendInt(b, int64(num), 10)
	case stTR:
		b = append(append(b, street...), " No: "...)
		b = strconv.AppendInt(b, int64(num), 10)
	case stJP:
		b = strconv.AppendInt(b, int64(1+r.intn(6)), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(1+r.intn(30)), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(1+r.intn(20)), 10)
		b = append(append(b, ' '), street...)
	}
	a.Line1 = string(b)
	if r.chance(0.15) {
		a.Line2 = c.line2[r.intn(len(c.line2))]
	}
	if len(ci.postal) > 0 {
		a.PostalCode = pattern(b[:0], r, ci.postal[r.intn(len(ci.postal))])
	}
	return a
}

func imageURL(b []byte, prefix string, n int) string {
	b = append(b, prefix...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ".jpg"...)
	return string(b)
}

var platforms = []string{"ios", "android", "web"}

func pushTokens(b []byte, r *rng, app string) []roster.PushToken {
	n := 1
	if m := r.intn(100); m >= 95 {
		n = 3
	} else if m >= 75 {
		n = 2
	}
	out := make([]roster.PushToken, n)
	for j := range out {
		p := platforms[r.intn(3)]
		if j == 0 {
			switch app {
			case "ios", "android":
				p = app
			default:
				p = "web"
			}
		}
		b = b[:0]
		for range 4 {
			x := r.u64()
			for s := 60; s >= 0; s -= 4 {
				b = append(b, hexDigits[x>>s&15])
			}
		}
		out[j] = roster.PushToken{Platform: p, Token: string(b)}
	}
	return out
}

// socialLinks links the networks where the user has followers, or one
// network when they have none.
func socialLinks(b []byte, r *rng, fk, lk string, fol [3]int64) []roster.SocialLink {
	var h [64]byte
	hb := h[:0]
	switch r.intn(5) {
	case 0:
		hb = append(append(hb, fk...), lk...)
	case 1:
		hb = append(append(append(hb, fk...), '.'), lk...)
	case 2:
		hb = append(append(append(hb, fk...), '_'), lk...)
	case 3:
		hb = append(append(hb, fk...), lk[0])
		hb = strconv.AppendInt(hb, int64(10+r.intn(90)), 10)
	default:
		hb = append(append(hb, lk...), fk...)
		hb = strconv.AppendInt(hb, int64(1+r.intn(9)), 10)
	}
	n := 0
	for _, f := range fol {
		if f > 0 {
			n++
		}
	}
	only := -1
	if n == 0 {
		only, n = r.intn(3), 1
	}
	out := make([]roster.SocialLink, 0, n)
	for j, net := range socialNets {
		if fol[j] > 0 || j == only {
			b = append(append(append(b[:0], net.prefix...), hb...), net.suffix...)
			out = append(out, roster.SocialLink{Network: net.name, URL: string(b)})
		}
	}
	return out
}

var socialNets = [3]struct{ name, prefix, suffix string }{
	{"instagram", "https://www.instagram.com/", "/"},
	{"tiktok", "https://www.tiktok.com/@", ""},
	{"youtube", "https://www.youtube.com/@", ""},
}

const (
	hexDigits = "0123456789abcdef"
	base62    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// rng is a per-user PCG stream; it lives on the stack.
type rng struct{ p rand.PCG }

func (r *rng) u64() uint64 { return r.p.Uint64() }

// intn returns a number in [0, n).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.p.Uint64(), uint64(n))
	return int(hi)
}

func (r *rng) float() float64 { return float64(r.p.Uint64()>>11) * 0x1p-53 }

func (r *rng) chance(p float64) bool { return r.float() < p }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(r.intn(int(hi-lo)+1))
}

func (r *rng) exp(mean float64) float64 { return -mean * math.Log(1-r.float()) }

// skew returns an index in [0, n) that favours the first entries: lists are
// ordered most common first.
func (r *rng) skew(n int) int {
	f := r.float()
	if r.p.Uint64()&1 == 0 {
		f *= f
	}
	return int(f * float64(n))
}

// pareto draws from a Pareto distribution bounded to [lo, hi].
func (r *rng) pareto(lo, hi, alpha float64) float64 {
	c := 1 - math.Pow(lo/hi, alpha)
	return min(hi, lo*math.Pow(1-r.float()*c, -1/alpha))
}

// Tables built once from data.go.

type name struct{ text, key string }

type lastName struct{ m, f name }

type city struct {
	name, native string
	postal       []string
	region       string
	stores       []string // "City – Store"
}

type country struct {
	code        string
	bioFR       float64
	streetFmt   int
	streets     []string
	houseMax    int
	line2       []string
	mobile      []string
	home        []string
	domains     []string // repeated by weight
	cities      []city
	first       [2][]name
	last        []lastName
	nativeShare float64
	nFirst      [2][]name
	nLast       []lastName
}

type tables struct {
	countries      []country
	countryPick    []uint8     // country indexes, repeated by weight
	frBioA, frBioB [2][]string // by gender: 0 masculine, 1 feminine
}

var loadTables = sync.OnceValue(buildTables)

func buildTables() *tables {
	t := &tables{}
	for _, p := range []struct {
		in  []string
		out *[2][]string
	}{{frBioA, &t.frBioA}, {frBioB, &t.frBioB}} {
		for _, e := range p.in {
			m, f, ok := strings.Cut(e, "/")
			if !ok {
				f = m
			}
			p.out[0], p.out[1] = append(p.out[0], m), append(p.out[1], f)
		}
	}
	var en []string
	for _, n := range enStreetNames {
		for _, s := range enStreetTypes {
			en = append(en, n+" "+s)
		}
	}
	for ci, s := range countrySpecs {
		c := country{
			code: s.code, bioFR: s.bioFR, streetFmt: s.streetFmt, houseMax: max(s.houseMax, 1),
			line2: line2ByLang[s.lang], mobile: s.mobile, home: s.home, nativeShare: s.nativeShare,
		}
		if c.line2 == nil {
			c.line2 = line2ByLang["en"]
		}
		if s.streets == "EN" {
			c.streets = en
		} else {
			c.streets = split(s.streets)
		}
		for _, d := range split(s.domains) {
			host, w, _ := strings.Cut(d, ":")
			n, _ := strconv.Atoi(w)
			for range n {
				c.domains = append(c.domains, host)
			}
		}
		fallback := storeByLang[s.lang]
		if fallback == nil {
			fallback = storeByLang["en"]
		}
		for _, e := range s.cities {
			f := strings.Split(e, "|")
			for len(f) < 4 {
				f = append(f, "")
			}
			nm, nat, _ := strings.Cut(f[0], "~")
			cy := city{name: nm, native: nat, postal: split(f[1]), region: f[2]}
			stores := strings.Split(f[3], ";")
			if f[3] == "" {
				stores = fallback
			}
			for _, st := range stores {
				cy.stores = append(cy.stores, nm+" – "+st)
			}
			c.cities = append(c.cities, cy)
		}
		c.first = [2][]name{names(s.firstM), names(s.firstF)}
		c.last = lastNames(s.last)
		if s.nativeShare > 0 {
			c.nFirst = [2][]name{names(s.nFirstM), names(s.nFirstF)}
			c.nLast = lastNames(s.nLast)
		}
		t.countries = append(t.countries, c)
		for range s.weight {
			t.countryPick = append(t.countryPick, uint8(ci))
		}
	}
	return t
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func names(s string) []name {
	var out []name
	for _, e := range split(s) {
		out = append(out, parseName(e))
	}
	return out
}

func lastNames(s string) []lastName {
	var out []lastName
	for _, e := range split(s) {
		m, f, ok := strings.Cut(e, "/")
		ln := lastName{m: parseName(m)}
		ln.f = ln.m
		if ok {
			ln.f = parseName(f)
		}
		out = append(out, ln)
	}
	return out
}

// parseName reads "Text" or "Text=roman"; the key is the lower-case ASCII
// letters used in emails and handles.
func parseName(e string) name {
	text, roman, ok := strings.Cut(e, "=")
	if !ok {
		roman = text
	}
	return name{text: text, key: fold(roman)}
}

// fold lower-cases s, strips accents and keeps only the letters a to z.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r < 128 || unicode.IsSpace(r):
		default:
			b.WriteString(foldRunes()[r])
		}
	}
	return b.String()
}

var foldRunes = sync.OnceValue(func() map[rune]string {
	m := map[rune]string{'æ': "ae", 'œ': "oe", 'ß': "ss", 'þ': "th", 'ð': "d", 'ı': "i", 'ł': "l", 'ø': "o", 'đ': "d"}
	for _, g := range []string{
		"a àáâãäåāăą", "c çćč", "d ď", "e èéêëēėęě", "g ğ", "i ìíîïīį",
		"n ñńň", "o òóôõöō", "r ř", "s śšş", "t ťţ", "u ùúûüūůű", "y ýÿ", "z źżž",
	} {
		for _, r := range g[2:] {
			m[r] = g[:1]
		}
	}
	return m
})
