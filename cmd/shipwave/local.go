package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shipwave/shipwave/shared/local"
)

const localUsage = `usage: shipwave local <command> [flags]

commands:
  up      [--data-dir D] [--spec FILE]... [--api ADDR] [--secrets FILE] [--virtual-time]
                                                                           run the local stack until interrupted;
                                                                           prints "token: TOKEN" and stores it for the CLI
  demo    [--api ADDR] [--spec FILE] [--virtual-time]                      the scripted demo (what make run runs)
  push    --pipeline P --version V [--fault F] [--fault-stage S] [--api ADDR]
  event   FILE [--api ADDR]                                                 put an EventBridge event (e.g. events/*.json) on the bus
  status  [--api ADDR]                                                      every service's route and every alarm's state
`

// demoFastScale is how much faster than real time `local demo
// --virtual-time` runs waits and bakes: as fast as a one-second-period alarm
// still catches the bad version in the one-box.
const demoFastScale = 3

// demoSpec is the demo's pipeline, relative to the repository root.
const demoSpec = "examples/local-demo.yaml"

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, localUsage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "up":
		return runLocalUp(ctx, args[1:], stdout, stderr)
	case "demo":
		return runLocalDemo(ctx, args[1:], stdout, stderr)
	case "push":
		return runLocalPush(ctx, args[1:], stdout, stderr)
	case "event":
		return runLocalEvent(ctx, args[1:], stdout, stderr)
	case "status":
		return runLocalStatus(ctx, args[1:], stdout, stderr)
	case "loadgen": // hidden: one load-test task, run by the stack's ecs:runTask
		return local.RunLoadgen(ctx, args[1:], stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, localUsage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("local: unknown command %q (see shipwave local help)", args[0])}
}

// apiAddr is the local API's address: $SHIPWAVE_API, else the default.
func apiAddr() string {
	if a := os.Getenv("SHIPWAVE_API"); a != "" {
		return a
	}
	return local.DefaultAPIAddr
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: 0}
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}

// stackConfig is what local up and local demo share.
type stackFlags struct {
	dataDir, api, logLevel, secrets string
	specs                           multiFlag
	virtual                         bool
	scale                           float64
}

func (f *stackFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.api, "api", apiAddr(), "address of the local API (default $SHIPWAVE_API, else "+local.DefaultAPIAddr+"; hooks in specs aimed at "+local.DefaultAPIAddr+" follow it)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "stack log level: debug, info, warn, error (JSON on stderr)")
	fs.BoolVar(&f.virtual, "virtual-time", false, "run the engine on a virtual clock: waits and bakes take no wall time, so alarms (real traffic, real seconds) cannot catch anything")
	fs.Float64Var(&f.scale, "time-scale", 1, "run waits and bakes this many times faster than real time; traffic and alarm periods stay real")
}

func (f *stackFlags) config(stdout, stderr io.Writer) (local.Config, error) {
	bin, err := os.Executable()
	if err != nil {
		return local.Config{}, fmt.Errorf("find the shipwave executable: %w", err)
	}
	dyn, err := findDynalite()
	if err != nil {
		return local.Config{}, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return local.Config{}, &usageError{msg: "--log-level: " + err.Error()}
	}
	return local.Config{
		NotifySecret: os.Getenv("SHIPWAVE_NOTIFY_SECRET"),
		DataDir:      f.dataDir, Specs: f.specs, VirtualTime: f.virtual, TimeScale: f.scale, Binary: bin, DynaliteBin: dyn, APIAddr: f.api,
		Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})), Out: stdout,
	}, nil
}

// findDynalite returns $SHIPWAVE_DYNALITE or the nearest
// node_modules/.bin/dynalite above the working directory.
func findDynalite() (string, error) {
	if bin := os.Getenv("SHIPWAVE_DYNALITE"); bin != "" {
		return bin, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		bin := filepath.Join(dir, "node_modules", ".bin", "dynalite")
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynalite not found: set SHIPWAVE_DYNALITE or run `make deps` (npm installs it under node_modules/)")
		}
		dir = parent
	}
}

// findSpec returns the demo spec relative to the working directory or one
// of its parents.
func findSpec(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory; pass --spec", rel)
		}
		dir = parent
	}
}

func runLocalUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local up", flag.ContinueOnError)
	var f stackFlags
	f.register(fs)
	fs.StringVar(&f.dataDir, "data-dir", "", "keep DynamoDB data here between runs (default: in memory)")
	fs.Var(&f.specs, "spec", "pipeline spec file to load (repeatable; default "+demoSpec+" unless --data-dir already holds a store)")
	fs.StringVar(&f.secrets, "secrets", "", "JSON file configuring POST /webhook, /slack, /alexa: githubSecret, gitlabToken, slackSigningSecret, alexaSkillId, alexaTrustRoots (each optional)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if len(f.specs) == 0 && !hasStoredData(f.dataDir) {
		p, err := findSpec(demoSpec)
		if err != nil {
			return err
		}
		f.specs = multiFlag{p}
	}
	cfg, err := f.config(stdout, stderr)
	if err != nil {
		return err
	}
	if f.secrets != "" {
		if cfg.Secrets, err = local.LoadSecrets(f.secrets); err != nil {
			return &usageError{msg: "--secrets: " + err.Error()}
		}
	}
	if cfg.Token = os.Getenv("SHIPWAVE_TOKEN"); cfg.Token == "" {
		if cfg.Token, err = local.NewToken(); err != nil {
			return err
		}
	}
	st, err := local.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "token: %s\n", st.Token())
	if file, err := saveToken(st.APIAddr(), st.Token()); err != nil {
		fmt.Fprintf(stdout, "           (token not stored: %v; set SHIPWAVE_TOKEN for the CLI)\n", err)
	} else {
		defer removeToken(st.APIAddr(), st.Token())
		fmt.Fprintf(stdout, "           token stored in %s for the CLI\n", file)
	}
	fmt.Fprintf(stdout, "dashboard  %s/#token=%s\n", st.URL(), st.Token())
	fmt.Fprintf(stdout, "endpoints  %s\n", outsideSummary(cfg.Secrets))
	fmt.Fprintf(stdout, "ready      push with: shipwave local push --pipeline PIPELINE --version V [--fault error-rate=0.2] --api %s\n", st.APIAddr())
	fmt.Fprintf(stdout, "           stop with Ctrl-C\n")
	<-ctx.Done()
	fmt.Fprintf(stdout, "stopping\n")
	return nil
}

// outsideSummary says which outside endpoints are on.
func outsideSummary(s local.Secrets) string {
	on := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	return fmt.Sprintf("POST /webhook github %s, gitlab %s · POST /slack %s · POST /alexa %s",
		on(s.GitHubSecret != ""), on(s.GitLabToken != ""), on(s.SlackSigningSecret != ""), on(s.AlexaSkillID != ""))
}

// hasStoredData reports whether a data dir already holds a store (whose
// specs a restart reuses).
func hasStoredData(dir string) bool {
	if dir == "" {
		return false
	}
	entries, err := os.ReadDir(filepath.Join(dir, "dynamodb"))
	return err == nil && len(entries) > 0
}

func runLocalDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local demo", flag.ContinueOnError)
	var f stackFlags
	f.register(fs)
	spec := fs.String("spec", "", "the demo pipeline spec (default "+demoSpec+")")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *spec == "" {
		p, err := findSpec(demoSpec)
		if err != nil {
			return err
		}
		*spec = p
	}
	f.specs = multiFlag{*spec}
	if f.virtual {
		// A fully virtual clock would end every bake before an alarm could
		// see real traffic over real seconds: the demo's fast mode scales
		// time instead.
		f.virtual = false
		f.scale = max(f.scale, demoFastScale)
		fmt.Fprintf(stdout, "--virtual-time: waits and bakes run %g× faster; traffic, alarms and load tests stay in real time\n", f.scale)
	}
	cfg, err := f.config(stdout, stderr)
	if err != nil {
		return err
	}
	began := time.Now()
	fmt.Fprintf(stdout, "Shipwave local demo: the whole control plane on loopback, no AWS account\n\n")
	st, err := local.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := local.RunDemo(ctx, st, local.DemoConfig{Out: stdout, TimeScale: cfg.TimeScale})
	fmt.Fprintf(stdout, "demo wall time: %s\n", time.Since(began).Round(100*time.Millisecond))
	if err != nil {
		if len(res.Problems) > 0 {
			return &exitError{code: 1}
		}
		return err
	}
	return nil
}

func runLocalPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local push", flag.ContinueOnError)
	api := fs.String("api", apiAddr(), "address of the local API (default $SHIPWAVE_API, else "+local.DefaultAPIAddr+")")
	var req local.PushRequest
	pipeline := fs.String("pipeline", "", "pipeline to release (required)")
	fs.StringVar(&req.Version, "version", "", "version to release (required)")
	fs.StringVar(&req.Fault, "fault", "", "make the version misbehave: error-rate=F, latency=D, crash-after=D, crash-on-start (join with +)")
	fs.StringVar(&req.FaultStage, "fault-stage", "", "show the fault only in this stage's targets")
	fs.StringVar(&req.Actor, "actor", os.Getenv("USER"), "who pushes")
	watch := fs.Bool("watch", false, "follow the release until it ends")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *pipeline == "" || req.Version == "" {
		return &usageError{msg: "local push: --pipeline and --version are required"}
	}
	c := apiClient(*api)
	res, err := c.Push(ctx, *pipeline, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "release %s of %s (%s) started: %s\n", res.ReleaseID, *pipeline, res.Artifact, res.Execution)
	if !*watch {
		return nil
	}
	if isTerminal(stdout) {
		return watchTree(ctx, c, res.ReleaseID, stdout, time.Second)
	}
	return watchLines(ctx, c, res.ReleaseID, stdout, time.Second)
}

func runLocalEvent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local event", flag.ContinueOnError)
	api := fs.String("api", apiAddr(), "address of the local API (default $SHIPWAVE_API, else "+local.DefaultAPIAddr+")")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &usageError{msg: "local event: want one event file"}
	}
	file := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:], stderr); err != nil { // flags may follow the file
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: "local event: want one event file"}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	ds, err := apiClient(*api).SendEvent(ctx, data)
	for _, d := range ds {
		status := "ok"
		if d.Error != "" {
			status = "error: " + d.Error
		}
		fmt.Fprintf(stdout, "%s → %s: %s\n", d.Rule, d.Target, status)
	}
	if len(ds) == 0 && err == nil {
		fmt.Fprintln(stdout, "no rule matched the event")
	}
	return err
}

func runLocalStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local status", flag.ContinueOnError)
	api := fs.String("api", apiAddr(), "address of the local API (default $SHIPWAVE_API, else "+local.DefaultAPIAddr+")")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	st, err := apiClient(*api).Status(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tPIPELINE\tSTAGE/WAVE\tENDPOINT\tROUTE")
	for _, s := range st.Services {
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\n", s.Name, s.Pipeline, s.Stage, s.Wave, s.Endpoint, s.Route)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "ALARM\tSTATE")
	names := make([]string, 0, len(st.Alarms))
	for n := range st.Alarms {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(tw, "%s\t%s\n", n, st.Alarms[n])
	}
	return tw.Flush()
}
