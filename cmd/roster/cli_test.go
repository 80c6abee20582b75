package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHelp: every command answers -h and --help on stdout with its
// synopsis and flags, and succeeds; roster's own help lists every
// command; help for a group lists its subcommands.
func TestHelp(t *testing.T) {
	env := map[string]string{"ROSTER_DATA": t.TempDir()}
	for _, c := range commands() {
		for _, h := range []string{"-h", "--help"} {
			args := append(strings.Fields(c.name), h)
			out, errOut := mustCLI(t, env, "", args...)
			if !strings.HasPrefix(out, "Usage: roster "+c.name) {
				t.Errorf("roster %s: stdout does not start with its synopsis:\n%s", strings.Join(args, " "), out)
			}
			if errOut != "" {
				t.Errorf("roster %s: stderr %q, want nothing", strings.Join(args, " "), errOut)
			}
		}
		if c.name == "help" {
			continue
		}
		byHelp, _ := mustCLI(t, env, "", append([]string{"help"}, strings.Fields(c.name)...)...)
		byFlag, _ := mustCLI(t, env, "", append(strings.Fields(c.name), "-h")...)
		if byHelp != byFlag {
			t.Errorf("roster help %s differs from roster %s -h", c.name, c.name)
		}
	}
	// Commands that take flags list them.
	for name, flag := range map[string]string{"import": "-dry-run", "serve": "-addr", "staff create": "-email", "export": "-columns", "backup": "-out"} {
		out, _ := mustCLI(t, env, "", append(strings.Fields(name), "-h")...)
		if !strings.Contains(out, "Flags:") || !strings.Contains(out, "  "+flag) {
			t.Errorf("roster %s -h does not list %s:\n%s", name, flag, out)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		out, _ := mustCLI(t, env, "", args...)
		for _, c := range commands() {
			if !strings.Contains(out, "\n  "+c.name+" ") {
				t.Errorf("roster %s: the usage does not list %s:\n%s", args[0], c.name, out)
			}
		}
	}
	for _, args := range [][]string{{"staff"}, {"staff", "-h"}, {"help", "staff"}} {
		out, _ := mustCLI(t, env, "", args...)
		if !strings.Contains(out, "staff create") || !strings.Contains(out, "staff password") || strings.Contains(out, "token create") {
			t.Errorf("roster %s: got\n%s\nwant the staff commands only", strings.Join(args, " "), out)
		}
	}
	if _, _, err := runCLI(t, env, "", "help", "frobnicate"); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("roster help frobnicate: got %v, want an error naming it", err)
	}
	// Without a file, import still says which file is missing.
	if _, _, err := runCLI(t, env, "", "import"); err == nil || !strings.Contains(err.Error(), "which file") {
		t.Errorf("roster import: got %v, want it to ask which file", err)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _ := mustCLI(t, nil, "", args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || lines[0] != "roster "+version || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go") {
			t.Errorf("roster %s: got\n%s\nwant the version, the commit and the Go version", args[0], out)
		}
	}
}

func TestComplete(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  []string // among the candidates
		not   []string
	}{
		{nil, []string{"serve", "import", "staff", "token", "completion", "help"}, []string{"staff create", "__complete"}},
		{[]string{"staff"}, []string{"create", "list", "password"}, []string{"serve"}},
		{[]string{"token"}, []string{"create"}, []string{"list"}},
		{[]string{"import"}, []string{"--mode", "--dry-run", "--data", "--database-url"}, []string{"--addr"}},
		{[]string{"staff", "create"}, []string{"--email", "--role"}, nil},
		{[]string{"serve"}, []string{"--addr", "--smtp-url"}, nil},
		{[]string{"completion"}, []string{"bash", "fish", "zsh"}, nil},
		{[]string{"help"}, []string{"serve", "staff"}, nil},
		{[]string{"help", "staff"}, []string{"create"}, nil},
		{[]string{"frobnicate"}, nil, []string{"serve"}},
	} {
		out, _ := mustCLI(t, nil, "", append([]string{"__complete"}, tc.words...)...)
		got := strings.Fields(out)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("complete after %q: %q lacks %s", tc.words, got, w)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("complete after %q: %q holds %s", tc.words, got, w)
			}
		}
	}
}

// TestCompletionScripts runs the scripts in the real shells that are
// installed, with the roster binary make test builds on the PATH.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range shells() {
		if _, err := mustCLIErr(t, "completion", sh); err != nil {
			t.Errorf("roster completion %s: %v", sh, err)
		}
	}
	if _, _, err := runCLI(t, nil, "", "completion", "tcsh"); err == nil || !strings.Contains(err.Error(), "tcsh") {
		t.Errorf("roster completion tcsh: got %v, want an error naming it", err)
	}
	bin := os.Getenv("ROSTER_TEST_BINARY")
	if bin == "" {
		t.Skip("ROSTER_TEST_BINARY is not set (make test sets it): no binary to complete with")
	}
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "roster")); err != nil {
		t.Fatal(err)
	}
	path := dir + string(os.PathListSeparator) + os.Getenv("PATH")
	run := func(shell string, args ...string) string {
		t.Helper()
		cmd := exec.Command(shell, args...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %q: %v\n%s", shell, args, err, out)
		}
		return string(out)
	}
	bash := func(words ...string) []string {
		script := `source <(roster completion bash); COMP_WORDS=(` + strings.Join(words, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _roster; printf '%s\n' "${COMPREPLY[@]}"`
		return strings.Fields(run("bash", "-c", script))
	}
	if got := bash("roster", "sta"); !slices.Equal(got, []string{"staff"}) {
		t.Errorf("bash: roster sta<TAB> offers %q, want staff", got)
	}
	if got := bash("roster", "staff", "pa"); !slices.Equal(got, []string{"password"}) {
		t.Errorf("bash: roster staff pa<TAB> offers %q, want password", got)
	}
	if got := bash("roster", "import", "--dr"); !slices.Equal(got, []string{"--dry-run"}) {
		t.Errorf("bash: roster import --dr<TAB> offers %q, want --dry-run", got)
	}
	if _, err := exec.LookPath("zsh"); err == nil {
		run("zsh", "-n", "-c", mustOut(t, "completion", "zsh"))
	}
	if _, err := exec.LookPath("fish"); err == nil {
		if got := run("fish", "-c", `roster completion fish | source; complete -C "roster sta"`); !strings.Contains(got, "staff") {
			t.Errorf("fish: roster sta<TAB> offers %q, want staff", got)
		}
	}
}

func mustCLIErr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := runCLI(t, nil, "", args...)
	return out, err
}

func mustOut(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := mustCLI(t, nil, "", args...)
	return out
}
