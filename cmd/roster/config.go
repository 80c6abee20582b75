package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Config is the only configuration of a Roster process. Values come from
// the defaults below, then ROSTER_* environment variables, then flags.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	LogLevel      string
	LogFormat     string
	Demo          bool
	SecureCookies bool
	// TrustedProxies lists, comma-separated, the CIDRs of the reverse
	// proxies whose Forwarded/X-Forwarded-For headers name the client.
	TrustedProxies string
	// MemberCORSOrigins lists, comma-separated, the origins whose browser
	// pages may call the member API (default: none).
	MemberCORSOrigins string
	// Uploaded imports' limits; zero means csvio's defaults.
	ImportMaxBytes int64
	ImportMaxRows  int64
	// Mail: the SMTP server (empty: nothing is sent, messages stay
	// queued), the sender, the base of every link in a message (default:
	// this server's own address) and the most messages sent per second.
	SMTPURL   string
	MailFrom  string
	PublicURL string
	MailRate  int64
	// Metrics: a listener of its own for /metrics and the profiler (empty:
	// none), and a token that opens /metrics on the main listener (empty:
	// not served there).
	MetricsAddr  string
	MetricsToken string
	// WebhooksAllowPrivate lets webhooks reach loopback, private and
	// link-local addresses (off: refused, against SSRF).
	WebhooksAllowPrivate bool
	// SCIMUserName is the user field SCIM's userName maps to: email or
	// client_id.
	SCIMUserName string
}

// DefaultConfig returns the configuration of a plain `roster serve`.
func DefaultConfig() Config {
	return Config{
		Addr:      "127.0.0.1:8080",
		DataDir:   "./roster-data",
		LogLevel:  "info",
		LogFormat: "text",
		MailRate:  10,

		SCIMUserName: "email",
	}
}

// option describes one setting: its flag, its environment variable and
// where it lands in Config. The README's configuration table lists them.
type option struct {
	flag, env, usage string
	str              *string
	boolean          *bool
	integer          *int64
}

// options returns the settings every subcommand that opens the database
// shares, plus the serving ones when serving is set.
func (c *Config) options(serving bool) []option {
	opts := []option{
		{flag: "data", env: "ROSTER_DATA", usage: "directory of the embedded SQLite database", str: &c.DataDir},
		{flag: "database-url", env: "ROSTER_DATABASE_URL", usage: "PostgreSQL URL; when set, SQLite is not used", str: &c.DatabaseURL},
		{flag: "log-level", env: "ROSTER_LOG_LEVEL", usage: "debug, info, warn or error", str: &c.LogLevel},
		{flag: "log-format", env: "ROSTER_LOG_FORMAT", usage: "text or json", str: &c.LogFormat},
	}
	if serving {
		opts = append(opts,
			option{flag: "addr", env: "ROSTER_ADDR", usage: "address to listen on", str: &c.Addr},
			option{flag: "demo", env: "ROSTER_DEMO", usage: "on an empty database, seed demo users and create an owner account", boolean: &c.Demo},
			option{flag: "member-cors-origins", env: "ROSTER_MEMBER_CORS_ORIGINS", usage: "comma-separated origins (https://app.example.com) whose browser pages may call the member API /api/member/ (default: none)", str: &c.MemberCORSOrigins},
			option{flag: "trusted-proxies", env: "ROSTER_TRUSTED_PROXIES", usage: "comma-separated CIDRs of reverse proxies whose Forwarded/X-Forwarded-For headers name the client, e.g. 10.0.0.0/8,127.0.0.1/32 (default: none; the peer is the client)", str: &c.TrustedProxies},
			option{flag: "secure-cookies", env: "ROSTER_SECURE_COOKIES", usage: "mark cookies Secure (behind a TLS-terminating proxy)", boolean: &c.SecureCookies},
			option{flag: "import-max-bytes", env: "ROSTER_IMPORT_MAX_BYTES", usage: "largest CSV file an upload may import, in bytes (0: 1 GiB)", integer: &c.ImportMaxBytes},
			option{flag: "import-max-rows", env: "ROSTER_IMPORT_MAX_ROWS", usage: "most rows an uploaded CSV file may have (0: 5,000,000)", integer: &c.ImportMaxRows},
			option{flag: "smtp-url", env: "ROSTER_SMTP_URL", usage: "mail server, e.g. smtp://user:pass@host:587?tls=starttls; empty: messages stay queued in the outbox", str: &c.SMTPURL},
			option{flag: "mail-from", env: "ROSTER_MAIL_FROM", usage: "sender of Roster's messages, e.g. \"Acme <roster@acme.example>\"", str: &c.MailFrom},
			option{flag: "public-url", env: "ROSTER_PUBLIC_URL", usage: "base of every link in a message, e.g. https://roster.example.com (default: http:// and the listening address)", str: &c.PublicURL},
			option{flag: "mail-rate", env: "ROSTER_MAIL_RATE", usage: "most messages sent per second (0: no limit)", integer: &c.MailRate},
			option{flag: "metrics-addr", env: "ROSTER_METRICS_ADDR", usage: "a separate address serving /metrics (Prometheus) and /debug/pprof/, e.g. 127.0.0.1:9090 (default: none)", str: &c.MetricsAddr},
			option{flag: "webhooks-allow-private", env: "ROSTER_WEBHOOKS_ALLOW_PRIVATE", usage: "let webhooks reach loopback, private and link-local addresses (default: refused)", boolean: &c.WebhooksAllowPrivate},
			option{flag: "scim-user-name", env: "ROSTER_SCIM_USER_NAME", usage: "the user field SCIM's userName maps to: email or client_id", str: &c.SCIMUserName},
			option{flag: "metrics-token", env: "ROSTER_METRICS_TOKEN", usage: "serve /metrics on the main address to requests carrying this bearer token (default: not served there)", str: &c.MetricsToken},
		)
	}
	return opts
}

// bind applies environment variables to c and registers the flags on fs.
// ROSTER_DATABASE_URL_FILE may name a file holding the URL, for secrets
// mounted as files.
func (c *Config) bind(fs *flag.FlagSet, serving bool, getenv func(string) string) error {
	for _, o := range c.options(serving) {
		v := getenv(o.env)
		if o.env == "ROSTER_DATABASE_URL" && v == "" {
			if path := getenv("ROSTER_DATABASE_URL_FILE"); path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("ROSTER_DATABASE_URL_FILE: %w", err)
				}
				v = strings.TrimSpace(string(b))
			}
		}
		switch {
		case o.str != nil:
			if v != "" {
				*o.str = v
			}
			fs.StringVar(o.str, o.flag, *o.str, o.usage+" ("+o.env+")")
		case o.integer != nil:
			if v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return fmt.Errorf("%s: %q is not a whole number of at least 0", o.env, v)
				}
				*o.integer = n
			}
			fs.Int64Var(o.integer, o.flag, *o.integer, o.usage+" ("+o.env+")")
		default:
			if v != "" {
				switch strings.ToLower(v) {
				case "1", "true", "yes", "on":
					*o.boolean = true
				case "0", "false", "no", "off":
					*o.boolean = false
				default:
					return fmt.Errorf("%s: %q is not a boolean", o.env, v)
				}
			}
			fs.BoolVar(o.boolean, o.flag, *o.boolean, o.usage+" ("+o.env+")")
		}
	}
	return nil
}

// logger builds the process logger from the configuration.
func (c *Config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}

// memberCORSOrigins parses MemberCORSOrigins: each an origin, scheme and
// host with an optional port, and nothing else.
func (c *Config) memberCORSOrigins() ([]string, error) {
	var out []string
	for _, f := range strings.Split(c.MemberCORSOrigins, ",") {
		f = strings.TrimSuffix(strings.TrimSpace(f), "/")
		if f == "" {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("ROSTER_MEMBER_CORS_ORIGINS (--member-cors-origins): %q is not an origin such as https://app.example.com", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// trustedProxies parses TrustedProxies: CIDRs, or single addresses taken
// as /32 or /128.
func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("ROSTER_TRUSTED_PROXIES (--trusted-proxies): %q is not a CIDR such as 10.0.0.0/8 or an address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
