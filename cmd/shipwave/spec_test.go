package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/golden"
)

func TestSpecValidate(t *testing.T) {
	examples, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(examples) < 3 {
		t.Fatalf("want at least three examples, found %d (err %v)", len(examples), err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string // compared with stdout
		stderr   string // substring of stderr, when set
	}{
		{name: "examples are valid", args: append([]string{"spec", "validate"}, examples...), wantCode: 0, golden: "spec-examples.golden"},
		{name: "every mistake named", args: []string{"spec", "validate", "testdata/spec-many-mistakes.yaml"}, wantCode: 2, golden: "spec-many-mistakes.golden"},
		{name: "all files checked", args: []string{"spec", "validate", "testdata/spec-missing.yaml", "testdata/spec-many-mistakes.yaml", examples[0]}, wantCode: 2, golden: "spec-mixed.golden"},
		{name: "no files", args: []string{"spec", "validate"}, wantCode: 2, stderr: "spec validate: no files given"},
		{name: "no subcommand", args: []string{"spec"}, wantCode: 2, stderr: "usage: shipwave spec validate FILE..."},
		{name: "unknown subcommand", args: []string{"spec", "lint", "x.yaml"}, wantCode: 2, stderr: "usage: shipwave spec validate FILE..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
			if code := exitCode(err, &stderr); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.golden != "" {
				golden.Check(t, tt.golden, stdout.Bytes())
			}
			if tt.stderr != "" && !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderr)
			}
		})
	}
}

func TestSpecValidateOneLinePerProblem(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"spec", "validate", "testdata/spec-many-mistakes.yaml"}, strings.NewReader(""), &stdout, &stderr)
	if code := exitCode(err, &stderr); code != 2 {
		t.Fatalf("exit code = %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	// The spec has these mistakes, on these lines.
	for _, want := range []string{
		"testdata/spec-many-mistakes.yaml:7: triggers[1].schedule.cron: ",      // bad cron
		"testdata/spec-many-mistakes.yaml:7: triggers[1].schedule.timezone: ",  // bad time zone
		"testdata/spec-many-mistakes.yaml:17: stages[0].bake: ",                // bad duration
		"testdata/spec-many-mistakes.yaml:20: stages[1].aproval: ",             // unknown field
		"testdata/spec-many-mistakes.yaml:22: stages[1].waves[0].deployment: ", // unknown deployment config
		"testdata/spec-many-mistakes.yaml:23: stages[1].waves[1].targets: ",    // wave without targets
	} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, want)
		}
		if !found {
			t.Errorf("no line starting %q in:\n%s", want, stdout.String())
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}
