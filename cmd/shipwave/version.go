package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// buildVersion is the module version and VCS revision the binary was
// built from.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev
		if dirty {
			v += "-dirty"
		}
	}
	return v + " " + bi.GoVersion
}

var commands = map[string][]string{
	"":        {"spec", "states", "local", "release", "demo-service", "dashboard", "version", "completion", "help"},
	"release": {"list", "get", "show", "watch", "approve", "reject", "promote", "abort", "rollback", "undo", "retry", "restore", "push", "help"},
	"local":   {"up", "demo", "push", "event", "help"},
	"spec":    {"validate"},
	"states":  {"run", "validate"},
}

const releaseFlags = "--endpoint --api --profile --region --output -o --actor --pipeline --comment --reason --targets --version --watch --wait --interval --help"

// runCompletion prints a completion script.
func runCompletion(args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		return &usageError{msg: "completion: want bash or zsh"}
	}
	var b strings.Builder
	if args[0] == "zsh" {
		b.WriteString("autoload -U +X bashcompinit && bashcompinit\n")
	}
	fmt.Fprintf(&b, `_shipwave() {
  local cur=${COMP_WORDS[COMP_CWORD]} sub=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W %q -- "$cur")); return; fi
  case "$cur" in -*) [ "$sub" = release ] && COMPREPLY=($(compgen -W %q -- "$cur")); return;; esac
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "$sub" in
`, strings.Join(commands[""], " "), releaseFlags)
	for _, sub := range []string{"release", "local", "spec", "states"} {
		fmt.Fprintf(&b, "      %s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", sub, strings.Join(commands[sub], " "))
	}
	b.WriteString(`    esac
  fi
}
complete -o default -F _shipwave shipwave
`)
	_, err := io.WriteString(stdout, b.String())
	return err
}
