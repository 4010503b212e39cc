package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/shipwave/shipwave/shared/dashboard"
	"github.com/shipwave/shipwave/shared/signproxy"
)

const dashboardUsage = `usage: shipwave dashboard --endpoint URL [--listen ADDR] [--profile P] [--region R]

Serves the web dashboard on a local address (default 127.0.0.1:8090) for an
API a browser cannot call itself: the AWS HTTP API, whose routes need SigV4.
Each API request the page makes is signed with your AWS credentials (the
usual --profile/--region/environment settings). The local stack needs no
proxy: open the link local up prints.
`

func runDashboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(stdout, dashboardUsage) }
	var f cliFlags
	f.register(fs)
	listen := fs.String("listen", "127.0.0.1:8090", "where to serve the dashboard (loopback)")
	if err := parseCLIFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("dashboard: unexpected argument %q", fs.Arg(0))}
	}
	if f.endpoint == "" {
		return &usageError{msg: "dashboard: --endpoint (or SHIPWAVE_ENDPOINT) is required; the local stack serves its dashboard itself"}
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	up, _ := url.Parse(f.endpoint) // checked by client
	sign := c.Sign
	if sign == nil { // a non-AWS endpoint: the token, as the CLI sends it
		sign = func(r *http.Request, _ []byte) error {
			if c.Token != "" {
				r.Header.Set("Authorization", "Bearer "+c.Token)
			}
			return nil
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	srv := &http.Server{Handler: signproxy.Handler(up, dashboard.Handler(), sign), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "dashboard  http://%s/ (API %s; stop with Ctrl-C)\n", ln.Addr(), f.endpoint)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
