package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Shell completion: each shell's script asks the binary itself for the
// candidates (`roster __complete WORD...`, the words typed before the
// one being completed), so that the scripts never go out of date: the
// answers derive from the command table and the commands' own flags.

var completionScripts = map[string]string{
	"bash": `# bash completion for roster: source <(roster completion bash)
_roster() {
	local cur="${COMP_WORDS[COMP_CWORD]}"
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$(roster __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _roster roster
`,
	"zsh": `#compdef roster
# zsh completion for roster: source <(roster completion zsh), or save it as
# _roster in a directory of your $fpath.
_roster() {
	local -a candidates
	candidates=("${(@f)$(roster __complete "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
	compadd -a candidates
}
if [ "$funcstack[1]" = "_roster" ]; then
	_roster "$@"
else
	compdef _roster roster
fi
`,
	"fish": `# fish completion for roster: roster completion fish > ~/.config/fish/completions/roster.fish
complete -c roster -f -a '(roster __complete (commandline -opc)[2..-1])'
`,
}

// shells lists the shells a completion script exists for.
func shells() []string {
	var out []string
	for s := range completionScripts {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// runCompletion is `roster completion SHELL`.
func runCompletion(args []string, stdout, stderr io.Writer) error {
	if helpAsked(args) || len(args) != 1 {
		if !helpAsked(args) {
			fmt.Fprintf(stderr, "Usage: roster completion %s\n", strings.Join(shells(), "|"))
			return fmt.Errorf("which shell? one of %s", strings.Join(shells(), ", "))
		}
		fmt.Fprintf(stdout, "Usage: roster completion %s\n\nPrint a shell completion script:\n  bash: source <(roster completion bash)\n  zsh:  source <(roster completion zsh)\n  fish: roster completion fish > ~/.config/fish/completions/roster.fish\n", strings.Join(shells(), "|"))
		return errHelpShown
	}
	script, ok := completionScripts[args[0]]
	if !ok {
		return fmt.Errorf("no completion for the shell %q: one of %s", args[0], strings.Join(shells(), ", "))
	}
	fmt.Fprint(stdout, script)
	return nil
}

// flagLine is a flag in a command's help, as the flag package prints it.
var flagLine = regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9-]*)`)

// commandFlags returns the flags of c as --name, from its own help.
func commandFlags(ctx context.Context, c command) []string {
	var out bytes.Buffer
	s := streams{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}
	if err := c.run(ctx, s, []string{"-h"}); err != errHelpShown {
		return nil
	}
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(out.String(), -1) {
		flags = append(flags, "--"+m[1])
	}
	return flags
}

// complete returns the candidates for the word after words.
func complete(ctx context.Context, words []string) []string {
	if len(words) == 0 {
		var out []string
		for _, c := range commands() {
			w, _, _ := strings.Cut(c.name, " ")
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
		return out
	}
	if slices.Contains(groups(), words[0]) && len(words) == 1 {
		var out []string
		for _, c := range commands() {
			if g, sub, ok := strings.Cut(c.name, " "); ok && g == words[0] {
				out = append(out, sub)
			}
		}
		return out
	}
	c, rest, ok := lookup(words)
	if !ok {
		return nil
	}
	switch c.name {
	case "completion":
		if len(rest) == 0 {
			return shells()
		}
		return nil
	case "help":
		return complete(ctx, rest)
	}
	return commandFlags(ctx, c)
}
