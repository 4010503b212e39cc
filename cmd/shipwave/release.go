package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"gopkg.in/yaml.v3"

	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/rollout"
)

const releaseUsage = `usage: shipwave release <command> [ID] [flags]

commands:
  list     [--pipeline P]                   releases, newest first
  get      ID [--watch]                     the release as a tree: stages → waves → targets, with
                                            version, weight, step, bake left, alarms and the next action
  show     ID                               the release's event log
  watch    ID                               follow it until it ends (exit 0 only if it SUCCEEDED)
  approve  ID [--comment C] [--wait]        approve the waiting approval (--wait: until the gate opens)
  reject   ID [--comment C] [--wait]        reject it
  promote  ID [--reason R]                  skip the running bake (its final alarm check still runs)
  abort    ID [--reason R]                  roll a running release back (also: rollback)
  undo     ID [--reason R]                  roll it back if running; if it ended, restore every target
                                            it promoted to the version it replaced
  retry    ID                               a new release of the same version on the same pipeline
  restore  --pipeline P [--targets T,...] [--version V] [--reason R]
                                            break-glass: put targets back on a known-good version
  push     --pipeline P --version V [--watch]
                                            create and start a release of V (a manual trigger)

flags of every command:
  --endpoint URL     the API (default $SHIPWAVE_ENDPOINT, else the local stack at --api)
  --api ADDR         the local stack's address (default $SHIPWAVE_API, else 127.0.0.1:8081);
                     its token comes from $SHIPWAVE_TOKEN or where local up stored it
  --profile P        AWS: the shared-config profile (requests to an AWS endpoint are SigV4-signed)
  --region R         AWS: the region (default: from the endpoint's host, else the usual AWS settings)
  -o, --output FMT   table (default), json or yaml
  --actor A          local: whom the action is recorded for (default $USER); on AWS the caller's
                     IAM principal is recorded
Exit codes: 0 done (watch: the release SUCCEEDED), 1 failed (watch: it ended otherwise),
2 bad command line, 130 interrupted.
`

// cliFlags are the flags every release command takes.
type cliFlags struct {
	endpoint, api, profile, region, output, actor string
	pipeline, comment, reason, targets, version   string
	watch, wait                                   bool
	interval                                      time.Duration
}

func (f *cliFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", os.Getenv("SHIPWAVE_ENDPOINT"), "the API's URL")
	fs.StringVar(&f.api, "api", apiAddr(), "the local stack's address")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile")
	fs.StringVar(&f.region, "region", "", "AWS region")
	fs.StringVar(&f.output, "output", "table", "table, json or yaml")
	fs.StringVar(&f.output, "o", "table", "table, json or yaml (short for --output)")
	fs.StringVar(&f.actor, "actor", os.Getenv("USER"), "whom the action is recorded for (local)")
	fs.StringVar(&f.pipeline, "pipeline", "", "list, restore, push: the pipeline")
	fs.StringVar(&f.comment, "comment", "", "approve, reject: a comment")
	fs.StringVar(&f.reason, "reason", "", "promote, abort, undo, restore: why")
	fs.StringVar(&f.targets, "targets", "", "restore: comma-separated targets (default: every target)")
	fs.StringVar(&f.version, "version", "", "push: the version to release; restore: an earlier known-good version")
	fs.BoolVar(&f.watch, "watch", false, "get, push: follow the release until it ends")
	fs.BoolVar(&f.wait, "wait", false, "approve, reject: wait until the gate opens")
	fs.DurationVar(&f.interval, "interval", time.Second, "how often get --watch, watch and --wait poll")
}

func runRelease(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, releaseUsage)
		return &exitError{code: 2}
	}
	cmd := args[0]
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, releaseUsage)
		return nil
	}
	if cmd == "rollback" {
		cmd = "abort"
	}
	fs := flag.NewFlagSet("release "+cmd, flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stdout, releaseUsage) }
	var f cliFlags
	f.register(fs)
	// Flags may follow the id: parse, take the id, parse the rest.
	if err := parseCLIFlags(fs, args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	id := ""
	if len(rest) > 0 {
		id = rest[0]
		if err := parseCLIFlags(fs, rest[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return &usageError{msg: fmt.Sprintf("release %s: unexpected argument %q", cmd, fs.Arg(0))}
		}
	}
	switch f.output {
	case "table", "json", "yaml":
	default:
		return &usageError{msg: fmt.Sprintf("release %s: --output %q: want table, json or yaml", cmd, f.output)}
	}
	needID := func() error {
		if id == "" {
			return &usageError{msg: fmt.Sprintf("release %s: a release id is required", cmd)}
		}
		return nil
	}
	known := map[string]bool{"list": true, "get": true, "show": true, "watch": true, "approve": true, "reject": true,
		"promote": true, "abort": true, "undo": true, "retry": true, "restore": true, "push": true}
	if !known[cmd] {
		return &usageError{msg: fmt.Sprintf("release: unknown command %q (see shipwave release help)", cmd)}
	}
	if cmd != "list" && cmd != "restore" && cmd != "push" {
		if err := needID(); err != nil {
			return err
		}
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	o := &out{w: stdout, format: f.output}
	switch cmd {
	case "list":
		rs, err := c.Releases(ctx, f.pipeline)
		if err != nil {
			return err
		}
		return o.emit(rs, func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPIPELINE\tVERSION\tSTATUS\tCREATED\tREASON")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Version, r.Status, r.CreatedAt.Format("15:04:05"), r.Reason)
			}
			tw.Flush()
		})
	case "show":
		v, err := c.Release(ctx, id)
		if err != nil {
			return err
		}
		return o.emit(v, func(w io.Writer) { local.PrintTimeline(w, v) })
	case "get":
		if f.watch {
			return watchTree(ctx, c, id, stdout, f.interval)
		}
		t, err := tree(ctx, c, id)
		if err != nil {
			return err
		}
		return o.emit(t, func(w io.Writer) { t.Render(w, time.Now(), style(stdout)) })
	case "watch":
		if isTerminal(stdout) && f.output == "table" {
			return watchTree(ctx, c, id, stdout, f.interval)
		}
		return watchLines(ctx, c, id, stdout, f.interval)
	case "approve", "reject":
		if f.wait {
			if err := waitForGate(ctx, c, id, stderr, f.interval); err != nil {
				return err
			}
		}
		if err := c.Decide(ctx, id, cmd == "approve", local.DecisionRequest{Actor: f.actor, Comment: f.comment}); err != nil {
			if errors.Is(err, release.ErrNotFound) && !f.wait {
				return fmt.Errorf("%w (if the release has not reached its gate yet, add --wait)", err)
			}
			return err
		}
		return o.emit(map[string]string{"releaseId": id, "decision": cmd + "d"}, func(w io.Writer) { fmt.Fprintf(w, "%sd %s\n", cmd, id) })
	case "promote":
		r, err := c.Promote(ctx, id, local.RollbackRequest{Actor: f.actor, Reason: f.reason})
		if err != nil {
			return err
		}
		return o.emit(r, func(w io.Writer) { fmt.Fprintf(w, "promoted %s: its running bakes end now\n", id) })
	case "abort":
		r, err := c.Rollback(ctx, id, local.RollbackRequest{Actor: f.actor, Reason: f.reason})
		if err != nil {
			return err
		}
		return o.emit(r, func(w io.Writer) { fmt.Fprintf(w, "release %s is %s: %s\n", r.ID, r.Status, r.Reason) })
	case "undo":
		r, err := c.Undo(ctx, id, local.RollbackRequest{Actor: f.actor, Reason: f.reason})
		if err != nil {
			return err
		}
		if err := o.emit(r, func(w io.Writer) { fmt.Fprintf(w, "release %s is %s: %s\n", r.ID, r.Status, r.Reason) }); err != nil {
			return err
		}
		return endedWell(r)
	case "retry":
		res, err := c.Retry(ctx, id, local.RollbackRequest{Actor: f.actor})
		if err != nil {
			return err
		}
		return o.emit(res, func(w io.Writer) {
			if res.NoOp {
				fmt.Fprintf(w, "nothing to retry: %s\n", res.Reason)
				return
			}
			fmt.Fprintf(w, "release %s started (%s)\n", res.ReleaseID, res.Artifact)
		})
	case "push":
		if id != "" || f.pipeline == "" || f.version == "" {
			return &usageError{msg: "release push: --pipeline and --version are required (and no release id)"}
		}
		res, err := c.Push(ctx, f.pipeline, local.PushRequest{Version: f.version, Actor: f.actor})
		if err != nil {
			return err
		}
		if err := o.emit(res, func(w io.Writer) {
			if res.NoOp {
				fmt.Fprintf(w, "nothing to push: %s\n", res.Reason)
				return
			}
			fmt.Fprintf(w, "release %s of %s (%s) started: %s\n", res.ReleaseID, f.pipeline, res.Artifact, res.Execution)
		}); err != nil || !f.watch || res.NoOp {
			return err
		}
		if isTerminal(stdout) && f.output == "table" {
			return watchTree(ctx, c, res.ReleaseID, stdout, f.interval)
		}
		return watchLines(ctx, c, res.ReleaseID, stdout, f.interval)
	case "restore":
		if id != "" {
			return &usageError{msg: "release restore: takes --pipeline, not a release id"}
		}
		if f.pipeline == "" {
			return &usageError{msg: "release restore: --pipeline is required"}
		}
		req := local.RestoreRequest{Version: f.version, Actor: f.actor, Reason: f.reason}
		if f.targets != "" {
			req.Targets = strings.Split(f.targets, ",")
		}
		r, err := c.Restore(ctx, f.pipeline, req)
		if err != nil {
			return err
		}
		if err := o.emit(r, func(w io.Writer) { fmt.Fprintf(w, "restore %s is %s: %s\n", r.ID, r.Status, r.Reason) }); err != nil {
			return err
		}
		return endedWell(r)
	}
	return nil
}

// parseCLIFlags parses; --help prints the usage on stdout and exits 0.
func parseCLIFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return &exitError{code: 0}
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}

// client is the API client the flags choose: the endpoint's (signed with
// SigV4 when it is an AWS API), else the local stack's with its token.
func (f *cliFlags) client(ctx context.Context) (*local.Client, error) {
	if f.endpoint == "" {
		c := apiClient(f.api)
		c.Actor = f.actor
		return c, nil
	}
	u, err := url.Parse(f.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &usageError{msg: fmt.Sprintf("--endpoint %q: want an http or https URL", f.endpoint)}
	}
	c := local.NewClient(strings.TrimRight(f.endpoint, "/"))
	if !strings.Contains(u.Hostname(), ".execute-api.") && f.profile == "" && f.region == "" {
		c.Token = loadToken(u.Host)
		c.Actor = f.actor
		return c, nil
	}
	region := f.region
	if parts := strings.Split(u.Hostname(), "."); region == "" && len(parts) > 3 && parts[1] == "execute-api" {
		region = parts[2]
	}
	opts := []func(*config.LoadOptions) error{}
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	c.Sign = sigV4(cfg)
	return c, nil
}

// sigV4 signs requests to API Gateway (service execute-api).
func sigV4(cfg aws.Config) func(*http.Request, []byte) error {
	signer := v4.NewSigner()
	return func(req *http.Request, body []byte) error {
		creds, err := cfg.Credentials.Retrieve(req.Context())
		if err != nil {
			return fmt.Errorf("AWS credentials: %w", err)
		}
		sum := sha256.Sum256(body)
		return signer.SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), "execute-api", cfg.Region, time.Now())
	}
}

// out writes an answer as a table (draw) or as JSON or YAML.
type out struct {
	w      io.Writer
	format string
}

func (o *out) emit(v any, draw func(io.Writer)) error {
	switch o.format {
	case "json":
		enc := json.NewEncoder(o.w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		// Through JSON, so the field names are the API's.
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return err
		}
		return yaml.NewEncoder(o.w).Encode(generic)
	}
	draw(o.w)
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// style colours only a terminal, and never with NO_COLOR set.
func style(w io.Writer) rollout.Style {
	_, noColor := os.LookupEnv("NO_COLOR")
	return rollout.Style{Color: isTerminal(w) && !noColor}
}

func tree(ctx context.Context, c *local.Client, id string) (rollout.Tree, error) {
	v, err := c.Release(ctx, id)
	if err != nil {
		return rollout.Tree{}, err
	}
	p, err := c.Pipeline(ctx, v.Release.Pipeline)
	if err != nil {
		return rollout.Tree{}, err
	}
	return rollout.Build(p, v), nil
}

// interrupted is the exit of a command stopped by Ctrl-C.
var interrupted = &exitError{code: 130}

// watchTree redraws the tree until the release ends.
func watchTree(ctx context.Context, c *local.Client, id string, w io.Writer, every time.Duration) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		t, err := tree(ctx, c, id)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted
			}
			return err
		}
		if isTerminal(w) {
			fmt.Fprint(w, "\x1b[H\x1b[2J")
		}
		t.Render(w, time.Now(), style(w))
		if t.Release.Status.Terminal() {
			return finalStatus(t.Release)
		}
		select {
		case <-ctx.Done():
			return interrupted
		case <-tick.C:
		}
	}
}

// watchLines prints each new event as a line until the release ends.
func watchLines(ctx context.Context, c *local.Client, id string, w io.Writer, every time.Duration) error {
	v, err := c.Release(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s %s@%s  %s\n", v.Release.Pipeline, v.Release.ID, v.Release.Version, v.Release.Status)
	var seen int64
	told := false
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		evs, err := c.Events(ctx, id, seen)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted
			}
			return err
		}
		for _, e := range evs {
			seen = e.Seq
			fmt.Fprintln(w, local.EventLine(v.Release.CreatedAt, e))
			if e.Type == release.EventApprovalWaiting && !told {
				fmt.Fprintf(w, "approval waiting: run shipwave release approve %s\n", id)
				told = true
			}
			if e.Type == release.EventApproved || e.Type == release.EventRejected {
				told = false
			}
		}
		if len(evs) == 0 {
			r, err := c.Release(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return interrupted
				}
				return err
			}
			if r.Release.Status.Terminal() && len(r.Events) > 0 && r.Events[len(r.Events)-1].Seq <= seen {
				fmt.Fprintf(w, "release %s ended %s%s\n", id, r.Release.Status, reasonText(r.Release.Reason))
				return finalStatus(r.Release)
			}
		}
		select {
		case <-ctx.Done():
			return interrupted
		case <-tick.C:
		}
	}
}

func reasonText(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// finalStatus exits 0 only for a release that SUCCEEDED.
func finalStatus(r release.Release) error {
	if r.Status != release.StatusSucceeded {
		return &exitError{code: 1}
	}
	return nil
}

// waitForGate waits until the release's approval gate is open.
func waitForGate(ctx context.Context, c *local.Client, id string, stderr io.Writer, every time.Duration) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	said := false
	for {
		v, err := c.Release(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted
			}
			return err
		}
		if v.Release.Status.Terminal() {
			return release.Errorf(release.ErrConflict, "release %s ended %s before an approval gate opened", id, v.Release.Status)
		}
		open := false
		for _, e := range v.Events {
			switch e.Type {
			case release.EventApprovalWaiting:
				open = true
			case release.EventApproved, release.EventRejected, release.EventApprovalTimedOut:
				open = false
			}
		}
		if open {
			return nil
		}
		if !said {
			fmt.Fprintf(stderr, "waiting for %s to reach its approval gate…\n", id)
			said = true
		}
		select {
		case <-ctx.Done():
			return interrupted
		case <-tick.C:
		}
	}
}

// endedWell exits 1 when a break-glass restore could not verify every
// target.
func endedWell(r release.Release) error {
	if r.Status == release.StatusNeedsAttention {
		return &exitError{code: 1}
	}
	return nil
}
