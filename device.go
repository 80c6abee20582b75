package roster

import (
	"context"
	"regexp"
	"strings"
)

// Staff devices: the signed-in browsers of a staff account, described from
// their user agents, which a staff member can end one by one or all but
// their own, and owners and admins can end for another account.

// Device names a browser and operating system parsed from a user agent:
// "Firefox 128", "macOS". Either is "" when unknown.
type Device struct {
	Browser string
	OS      string
}

// String is what the Devices page shows: "Firefox 128 on macOS".
func (d Device) String() string {
	switch {
	case d.Browser != "" && d.OS != "":
		return d.Browser + " on " + d.OS
	case d.Browser != "":
		return d.Browser
	case d.OS != "":
		return "A browser on " + d.OS
	}
	return "Unknown browser"
}

// uaBrowsers are tried in order: the first that matches names the browser.
// Order matters because browsers borrow each other's tokens (Edge and
// Opera say Chrome, Chrome says Safari).
var uaBrowsers = []struct {
	name string
	re   *regexp.Regexp
}{
	{"Edge", regexp.MustCompile(`\bEdg(?:e|A|iOS)?/(\d+)`)},
	{"Opera", regexp.MustCompile(`\b(?:OPR|Opera)/(\d+)`)},
	{"Samsung Internet", regexp.MustCompile(`\bSamsungBrowser/(\d+)`)},
	{"Vivaldi", regexp.MustCompile(`\bVivaldi/(\d+)`)},
	{"Firefox", regexp.MustCompile(`\b(?:Firefox|FxiOS)/(\d+)`)},
	{"Chromium", regexp.MustCompile(`\bChromium/(\d+)`)},
	{"Chrome", regexp.MustCompile(`\b(?:HeadlessChrome|Chrome|CriOS)/(\d+)`)},
	{"Safari", regexp.MustCompile(`\bVersion/(\d+)(?:\.\d+)*(?: Mobile/\S+)? Safari/`)},
	{"curl", regexp.MustCompile(`^curl/(\d+)`)},
}

// uaSystems are tried in order, like uaBrowsers (Android says Linux, iOS
// says Mac OS X).
var uaSystems = []struct {
	name string
	re   *regexp.Regexp
}{
	{"iPadOS", regexp.MustCompile(`\biPad\b`)},
	{"iOS", regexp.MustCompile(`\b(?:iPhone|iPod)\b`)},
	{"Android", regexp.MustCompile(`\bAndroid\b`)},
	{"ChromeOS", regexp.MustCompile(`\bCrOS\b`)},
	{"Windows", regexp.MustCompile(`\bWindows\b`)},
	{"macOS", regexp.MustCompile(`\bMac OS X\b|\bMacintosh\b`)},
	{"Linux", regexp.MustCompile(`\bLinux\b|\bX11\b`)},
}

// ParseUserAgent names the browser (with its major version) and operating
// system of a User-Agent header, for the common ones; others are "".
func ParseUserAgent(ua string) Device {
	var d Device
	for _, b := range uaBrowsers {
		if m := b.re.FindStringSubmatch(ua); m != nil {
			d.Browser = b.name + " " + m[1]
			if strings.Contains(m[0], "Headless") {
				d.Browser = "Headless " + d.Browser
			}
			break
		}
	}
	for _, s := range uaSystems {
		if s.re.MatchString(ua) {
			d.OS = s.name
			break
		}
	}
	return d
}

// DeviceService lists and ends staff sessions: the Devices pages.
type DeviceService interface {
	// FindSessions returns the live sessions of staffID, newest first.
	FindSessions(ctx context.Context, staffID int64) ([]*Session, error)
	// EndSession ends session id of staffID. ENOTFOUND. Audited as
	// "staff.session.end" when the actor is not staffID, and subject to
	// the owner rule (only an owner ends an owner's sessions).
	EndSession(ctx context.Context, staffID, id int64) error
	// EndOtherSessions ends every session of staffID but keep (0: all)
	// and returns how many ended. Audited like EndSession.
	EndOtherSessions(ctx context.Context, staffID, keep int64) (int, error)
}
