package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// The command line is described once, in the table below: the usage text,
// the dispatch, every command's -h, `roster help`, and the shell
// completions derive from it.

// streams are a command's standard streams and environment.
type streams struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is one of roster's commands.
type command struct {
	name    string // "import", or "staff create" for a subcommand
	args    string // positional arguments, e.g. "FILE"; "" when none
	summary string
	run     func(ctx context.Context, s streams, args []string) error
}

// commands returns the table, in the order usage lists them.
func commands() []command {
	return []command{
		{"serve", "", "run the back-office and the API (the default command)", func(ctx context.Context, s streams, a []string) error {
			return runServe(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"migrate", "", "apply database migrations and exit", func(ctx context.Context, s streams, a []string) error {
			return runMigrate(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"seed", "", "add deterministic demo users", func(ctx context.Context, s streams, a []string) error {
			return runSeed(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"import", "FILE", "import users from a CSV file", func(ctx context.Context, s streams, a []string) error {
			return runImport(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"export", "", "write users as CSV", func(ctx context.Context, s streams, a []string) error {
			return runExport(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"backup", "", "write a consistent copy of the SQLite database while Roster runs", func(ctx context.Context, s streams, a []string) error {
			return runBackup(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"restore", "FILE", "put a backup in place of the SQLite database (Roster stopped)", func(ctx context.Context, s streams, a []string) error {
			return runRestore(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"healthcheck", "", "succeed when the server at ROSTER_ADDR is ready (for container health checks)", func(ctx context.Context, s streams, a []string) error {
			return runHealthcheck(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"bench", "", "measure searches over N demo users", func(ctx context.Context, s streams, a []string) error {
			return runBench(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"bench-mail", "", "measure a bulk invite and its delivery to a local SMTP server", func(ctx context.Context, s streams, a []string) error {
			return runBenchMail(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"bench-member", "", "measure the member API (GET /api/member/v1/me) over N users with sessions, and a sign-out everywhere", func(ctx context.Context, s streams, a []string) error {
			return runBenchMember(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"bench-scim", "", "measure SCIM list queries (GET /scim/v2/Users with filters) over N users", func(ctx context.Context, s streams, a []string) error {
			return runBenchSCIM(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"staff create", "", "create a staff account (the password is read from the terminal or stdin)", func(ctx context.Context, s streams, a []string) error {
			return runStaffCreate(ctx, a, s.stdin, s.stdout, s.stderr, s.getenv)
		}},
		{"staff list", "", "list staff accounts", func(ctx context.Context, s streams, a []string) error {
			return runStaffList(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"staff password", "", "set a staff account's password", func(ctx context.Context, s streams, a []string) error {
			return runStaffPassword(ctx, a, s.stdin, s.stdout, s.stderr, s.getenv)
		}},
		{"token create", "", "create an API token for a staff account", func(ctx context.Context, s streams, a []string) error {
			return runTokenCreate(ctx, a, s.stdout, s.stderr, s.getenv)
		}},
		{"version", "", "print the version, commit and Go version", func(_ context.Context, s streams, a []string) error {
			return runVersion(a, s.stdout, s.stderr)
		}},
		{"completion", "bash|zsh|fish", "print a shell completion script", func(_ context.Context, s streams, a []string) error {
			return runCompletion(a, s.stdout, s.stderr)
		}},
		{"help", "[COMMAND]", "show help for roster or a command", func(ctx context.Context, s streams, a []string) error {
			return runHelp(ctx, a, s)
		}},
	}
}

// lookup finds the command args start with: "staff create" takes two
// words. It returns the command and the arguments after its name.
func lookup(args []string) (command, []string, bool) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c, args[len(words):], true
		}
	}
	return command{}, args, false
}

// groups are the first words of two-word commands (staff, token).
func groups() []string {
	var out []string
	for _, c := range commands() {
		if g, _, ok := strings.Cut(c.name, " "); ok && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// usage is roster's help: every command of the table.
func usage() string {
	var b strings.Builder
	b.WriteString("Usage: roster [COMMAND] [flags]\n\nRoster is a back-office for the users of your product.\n\nCommands:\n")
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.name, c.summary)
	}
	b.WriteString("\nRun \"roster COMMAND -h\" for a command's flags. Every flag can also be set\nby the environment variable named in its help.\n")
	return b.String()
}

// errHelpShown ends a command whose help was asked for and printed: the
// command line succeeded.
var errHelpShown = errors.New("help shown")

// helpAsked reports whether args ask for help (-h, -help, --help) before
// any "--".
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// commandHelp prints the help of the command called name, with the flags
// of fs, to w.
func commandHelp(w io.Writer, name string, fs *flag.FlagSet) {
	c, _, _ := lookup(strings.Fields(name))
	synopsis := "roster " + name
	if c.args != "" {
		synopsis += " " + c.args
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		fmt.Fprintf(w, "Usage: %s\n\n%s.\n", synopsis, upperFirst(c.summary))
		return
	}
	fmt.Fprintf(w, "Usage: %s [flags]\n\n%s.\n\nFlags:\n", synopsis, upperFirst(c.summary))
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// runHelp is `roster help [COMMAND]`.
func runHelp(ctx context.Context, args []string, s streams) error {
	if len(args) == 0 {
		fmt.Fprint(s.stdout, usage())
		return nil
	}
	if helpAsked(args[:1]) {
		commandHelp(s.stdout, "help", flag.NewFlagSet("roster help", flag.ContinueOnError))
		return errHelpShown
	}
	c, rest, ok := lookup(args)
	if !ok || len(rest) > 0 || c.name == "help" {
		if slices.Contains(groups(), strings.Join(args, " ")) {
			return groupHelp(s.stdout, args[0])
		}
		fmt.Fprint(s.stderr, usage())
		return fmt.Errorf("no command %q", strings.Join(args, " "))
	}
	return c.run(ctx, s, []string{"-h"})
}

// groupHelp lists the subcommands of a group such as staff.
func groupHelp(w io.Writer, group string) error {
	fmt.Fprintf(w, "Usage: roster %s COMMAND [flags]\n\nCommands:\n", group)
	for _, c := range commands() {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(w, "  %-16s  %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintf(w, "\nRun \"roster %s COMMAND -h\" for a command's flags.\n", group)
	return nil
}

// commit is set at build time by the Makefile, for builds where Go does
// not record the version control information itself (-buildvcs=false).
var commit = ""

// buildInfo returns the commit and whether the tree was modified, as Go
// recorded them at build time, else as the Makefile did.
func buildInfo() (rev string, modified bool) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		rev = commit
	}
	return rev, modified
}

// runVersion is `roster version`.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roster version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if helpAsked(args) {
		commandHelp(stdout, "version", fs)
		return errHelpShown
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	rev, modified := buildInfo()
	if rev == "" {
		rev = "unknown"
	}
	if modified {
		rev += " (modified)"
	}
	fmt.Fprintf(stdout, "roster %s\ncommit %s\n%s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
