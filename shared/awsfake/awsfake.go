package awsfake

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region every fake claims to live in and Config uses.
const Region = "us-east-1"

// Account is the account id the fakes put in the ARNs they mint.
const Account = "123456789012"

// Config returns an aws.Config that sends every request to url with static
// dummy credentials, region us-east-1 and FastRetryer(3): the SDK's standard
// retryer (exponential backoff with jitter, the default retryable and
// throttling error codes) with millisecond backoff and no retry quota.
func Config(url string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSHIPWAVEFAKE", "shipwave-fake-secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      FastRetryer(3),
	}
}

// FastRetryer returns a retryer factory for aws.Config.Retryer: the standard
// retryer with the given maximum number of attempts, backoff capped at 5ms
// and the retry token bucket disabled, so tests that inject many faults stay
// fast and deterministic about the number of attempts.
func FastRetryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 5 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
}

// Request is one request a fake received, decoded.
type Request struct {
	// Operation is the API operation name, such as "UpdateAlias".
	Operation string
	// Params holds the decoded input: for JSON and CBOR services the decoded
	// body merged with the path labels, query string and modeled headers;
	// for query services the form fields, flattened as the SDK sent them
	// (for example "DefaultActions.member.1.Type").
	Params map[string]any
	// Header is the HTTP header of the request.
	Header http.Header
	// Faulted reports whether the fake answered this request with an
	// injected fault instead of serving it.
	Faulted bool
}

// Fault makes a fake answer requests with an error instead of serving them.
type Fault struct {
	// Operation limits the fault to one operation; empty means every one.
	Operation string
	// Status is the HTTP status code to answer with.
	Status int
	// Code is the service error code, such as "Throttling".
	Code string
	// Message is the error message; a default is used when empty.
	Message string
	// Times is how many matching requests fail before the fault is used up;
	// zero or less means every matching request fails.
	Times int
}

// recorder is the part every fake shares: its request log and its faults.
type recorder struct {
	mu       sync.Mutex
	requests []Request
	faults   []*Fault
}

// Requests returns the requests received so far, in order; with operation
// names, only requests for those operations.
func (r *recorder) Requests(operations ...string) []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Request
	for _, req := range r.requests {
		if len(operations) == 0 || contains(operations, req.Operation) {
			out = append(out, req)
		}
	}
	return out
}

// Inject adds a fault; faults are consulted in the order they were added.
func (r *recorder) Inject(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = append(r.faults, &f)
}

// ClearFaults removes every injected fault.
func (r *recorder) ClearFaults() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = nil
}

// record logs a request and returns the fault to answer it with, if any.
func (r *recorder) record(req Request) *Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	var hit *Fault
	for i, f := range r.faults {
		if f.Operation != "" && f.Operation != req.Operation {
			continue
		}
		c := *f
		hit = &c
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				r.faults = append(r.faults[:i:i], r.faults[i+1:]...)
			}
		}
		break
	}
	req.Faulted = hit != nil
	r.requests = append(r.requests, req)
	return hit
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// start runs h on a new loopback httptest server closed when t ends.
func start(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}
