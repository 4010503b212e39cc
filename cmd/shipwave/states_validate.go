package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/shipwave/shipwave/shared/states"
	"github.com/shipwave/shipwave/statemachines"
)

// substitutions collects --substitute NAME=VALUE and --substitutions FILE
// values; later ones win.
type substitutions map[string]string

func (s substitutions) String() string { return "" }

func (s substitutions) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || !validPlaceholderName(name) {
		return fmt.Errorf("want NAME=VALUE with NAME made of letters, digits and _, got %q", v)
	}
	s[name] = value
	return nil
}

func validPlaceholderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// loadSubstitutions reads a substitutions file: a JSON object of strings
// (the shape of DefinitionSubstitutions), or NAME=VALUE lines with # comments.
func loadSubstitutions(file string, into substitutions) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]any
		if err := json.Unmarshal(t, &m); err != nil {
			return fmt.Errorf("%s: not a JSON object of strings: %w", file, err)
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v, ok := m[k].(string)
			if !ok {
				return fmt.Errorf("%s: %q: want a string value, got %s", file, k, jsonKind(m[k]))
			}
			if !validPlaceholderName(k) {
				return fmt.Errorf("%s: %q is not a placeholder name (letters, digits and _)", file, k)
			}
			into[k] = v
		}
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := into.Set(text); err != nil {
			return fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
	return sc.Err()
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a value"
}

// standIn is the value a placeholder without a given value is validated
// with: a well-formed ARN of the kind its SAM-style name suggests
// (…FunctionArn → a Lambda function, …StateMachineArn → a state machine,
// …; subnet and security group IDs for names that say so), a Lambda
// function otherwise, as most Task resources are.
func standIn(name string) string {
	const region, account = "us-east-1", "123456789012"
	arn := func(service, resource string) string {
		return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
	}
	switch {
	case strings.HasSuffix(name, "StateMachineArn"), strings.HasSuffix(name, "StateMachine"):
		return arn("states", "stateMachine:"+name)
	case strings.HasSuffix(name, "ActivityArn"):
		return arn("states", "activity:"+name)
	case strings.HasSuffix(name, "ClusterArn"), strings.HasSuffix(name, "Cluster"):
		return arn("ecs", "cluster/"+name)
	case strings.HasSuffix(name, "TaskDefinitionArn"), strings.HasSuffix(name, "TaskDefinition"):
		return arn("ecs", "task-definition/"+name+":1")
	case strings.HasSuffix(name, "TopicArn"), strings.HasSuffix(name, "Topic"):
		return arn("sns", name)
	case strings.HasSuffix(name, "QueueArn"):
		return arn("sqs", name)
	case strings.HasSuffix(name, "TableArn"):
		return arn("dynamodb", "table/"+name)
	case strings.HasSuffix(name, "RoleArn"), strings.HasSuffix(name, "Role"):
		return "arn:aws:iam::" + account + ":role/" + name
	case strings.HasSuffix(name, "BucketArn"):
		return "arn:aws:s3:::" + strings.ToLower(name)
	case strings.Contains(name, "Subnet"):
		return "subnet-0123456789abcdef0" // an ID, not an ARN, where AWS wants one
	case strings.Contains(name, "SecurityGroup"):
		return "sg-0123456789abcdef0"
	}
	return arn("lambda", "function:"+name)
}

// parseValidateFlags reads the options of "states validate", which may
// come before, between or after the files.
func parseValidateFlags(args []string) (substitutions, []string, error) {
	subs := substitutions{}
	var subFiles []string
	fs := flag.NewFlagSet("states validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(subs, "substitute", "fill ${NAME} with VALUE (`NAME=VALUE`, repeatable)")
	fs.Func("substitutions", "read NAME=VALUE lines or a JSON object of strings from `FILE` (repeatable)", func(f string) error {
		subFiles = append(subFiles, f)
		return nil
	})
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// Files first, so --substitute on the command line wins over them.
	fromFiles := substitutions{}
	for _, f := range subFiles {
		if err := loadSubstitutions(f, fromFiles); err != nil {
			return nil, nil, err
		}
	}
	for k, v := range subs {
		fromFiles[k] = v
	}
	return fromFiles, files, nil
}

// statesValidate checks each file and reports every problem of every
// invalid one on stderr. Placeholders are filled first: from the given
// substitutions, else with a stand-in ARN, and each is reported.
func statesValidate(args []string, stdout, stderr io.Writer) error {
	subs, files, err := parseValidateFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, statesUsage)
			return &exitError{code: 2}
		}
		return &usageError{msg: "states validate: " + err.Error()}
	}
	if len(files) == 0 {
		return &usageError{msg: "states validate: want at least one FILE"}
	}
	bad := 0
	for _, file := range files {
		def, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			bad++
			continue
		}
		if names := statemachines.Placeholders(def); len(names) > 0 {
			values := make(map[string]string, len(names))
			for _, n := range names {
				v, given := subs[n]
				if given {
					fmt.Fprintf(stdout, "%s: ${%s} = %s\n", file, n, v)
				} else {
					v = standIn(n)
					fmt.Fprintf(stdout, "%s: ${%s} = %s (stand-in; --substitute %s=VALUE sets it)\n", file, n, v, n)
				}
				values[n] = v
			}
			if def, err = statemachines.Substitute(def, values); err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", file, err)
				bad++
				continue
			}
		}
		if _, err := states.Parse(def); err != nil {
			reportInvalid(stderr, file, err)
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: valid\n", file)
	}
	if bad > 0 {
		return &exitError{code: 2}
	}
	return nil
}

// reportInvalid writes one line per validation problem, sorted by location.
func reportInvalid(w io.Writer, file string, err error) {
	var ve *states.ValidationError
	if !errors.As(err, &ve) {
		fmt.Fprintf(w, "%s: %v\n", file, err)
		return
	}
	problems := append([]states.Problem(nil), ve.Problems...)
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Location < problems[j].Location })
	for _, p := range problems {
		fmt.Fprintf(w, "%s: %s\n", file, p)
	}
}
