package roster

import (
	_ "embed"
	"strings"
)

// Checks of an address's domain and local part, beyond its syntax: what a
// subscriber paste runs with validation on.

// providers are the domains of big mailbox providers: a domain one or two
// edits away from one of them is most likely a typo of it. Regional
// spellings of a provider are listed so that they are not taken for typos.
var providers = []string{
	"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
	"hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "outlook.fr", "live.com",
	"live.fr", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "mail.com",
	"gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "orange.fr", "free.fr",
	"laposte.net", "wanadoo.fr", "proton.me", "protonmail.com", "zoho.com", "yandex.ru",
	"mail.ru", "qq.com", "163.com", "comcast.net", "verizon.net", "att.net", "btinternet.com",
	"sky.com", "libero.it", "fastmail.com",
}

var providerSet = setOf(providers)

// disposableList is the bundled list of domains that hand out throwaway
// addresses, one per line, written from public knowledge.
//
//go:embed disposable_domains.txt
var disposableList string

var disposable = readDomainList(disposableList)

// readDomainList reads a list of domains, one a line; # starts a comment.
func readDomainList(s string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(s, "\n") {
		l, _, _ = strings.Cut(l, "#")
		if l = strings.ToLower(strings.TrimSpace(l)); l != "" {
			m[l] = true
		}
	}
	return m
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// IsDisposableDomain reports whether domain, or a domain it is under,
// is on the bundled list of throwaway-address domains.
func IsDisposableDomain(domain string) bool {
	for d := domain; d != ""; {
		if disposable[d] {
			return true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(rest, ".") {
			return false
		}
		d = rest
	}
	return false
}

// CheckDomain returns the problem of a lower-case domain (PasteNoDot,
// PasteTypo with the provider it likely meant, PasteDisposable), or "".
func CheckDomain(domain string) (problem, fix string) {
	if !strings.Contains(domain, ".") {
		return PasteNoDot, ""
	}
	if providerSet[domain] {
		return "", ""
	}
	if IsDisposableDomain(domain) {
		return PasteDisposable, ""
	}
	if p := nearProvider(domain); p != "" {
		return PasteTypo, p
	}
	return "", ""
}

// nearProvider returns the provider domain that domain is a likely typo
// of: one edit away (a letter missing, extra, wrong or two swapped), or
// two for domains of ten letters or more, where two slips are as likely
// as one in a short name; "" when none is.
func nearProvider(domain string) string {
	limit := 1
	if len(domain) >= 10 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, p := range providers {
		if d := editDistance(domain, p, limit); d < bestD {
			best, bestD = p, d
		}
	}
	return best
}

// editDistance returns the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and swaps of neighbours), or
// limit+1 as soon as it is known to exceed limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Three rows of the table: two back (for swaps), one back, this one.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// roleLocals are local parts that name a function, not a person: a shared
// mailbox, or one nobody reads.
var roleLocals = setOf([]string{
	"abuse", "admin", "administrator", "billing", "careers", "contact", "customerservice",
	"do-not-reply", "donotreply", "enquiries", "finance", "hello", "help", "helpdesk",
	"hostmaster", "hr", "info", "inquiries", "jobs", "mail", "marketing", "media",
	"newsletter", "no-reply", "noreply", "office", "postmaster", "press", "privacy",
	"root", "sales", "security", "service", "support", "team", "webmaster",
})

// IsRoleLocal reports whether the local part of an address (before any
// +tag) names a role rather than a person: info@, noreply@, admin@ ...
func IsRoleLocal(local string) bool {
	local, _, _ = strings.Cut(strings.ToLower(local), "+")
	return roleLocals[local]
}
