package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// InvokeFunc answers an Invoke call of a fake Lambda function: it gets the
// function name, the version the qualifier resolved to and the payload, and
// returns the response payload and, for a function error, the
// X-Amz-Function-Error value ("Unhandled" or "Handled").
type InvokeFunc func(function, version string, payload []byte) (out []byte, functionError string)

// Lambda is a fake AWS Lambda speaking REST-JSON. It knows functions, their
// published versions and aliases with weighted routing, and invokes functions
// through InvokeFunc handlers.
type Lambda struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu        sync.Mutex
	functions map[string]*lambdaFunction
	revision  int
}

type lambdaFunction struct {
	name        string
	latest      lambdaVersion
	versions    []lambdaVersion // versions[i].number == i+1
	aliases     map[string]*AliasState
	invoke      InvokeFunc
	latestDirty bool // $LATEST changed since the last published version
}

type lambdaVersion struct {
	number      string
	codeSha256  string
	description string
}

// AliasState is the live configuration of a fake alias.
type AliasState struct {
	// Version is the alias's primary FunctionVersion.
	Version string
	// Weights maps the additional version to the fraction of traffic it gets.
	Weights map[string]float64
	// RevisionID changes on every update.
	RevisionID string
}

// NewLambda starts a fake Lambda service that stops when t ends.
func NewLambda(t testing.TB) *Lambda {
	t.Helper()
	l := &Lambda{functions: map[string]*lambdaFunction{}}
	l.Server = start(t, http.HandlerFunc(l.serve))
	return l
}

// URL is the endpoint of the fake.
func (l *Lambda) URL() string { return l.Server.URL }

// AddFunction creates a function whose $LATEST has the given code hash and no
// published versions.
func (l *Lambda) AddFunction(name, codeSha256 string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.functions[name] = &lambdaFunction{
		name:        name,
		latest:      lambdaVersion{number: "$LATEST", codeSha256: codeSha256},
		aliases:     map[string]*AliasState{},
		latestDirty: true,
	}
}

// UpdateCode replaces $LATEST's code, as UpdateFunctionCode would.
func (l *Lambda) UpdateCode(name, codeSha256 string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.mustFunction(name)
	f.latest.codeSha256 = codeSha256
	f.latestDirty = true
}

// Publish publishes $LATEST as a new version with description and returns
// its number, for test set-up.
func (l *Lambda) Publish(name, description string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.publish(l.mustFunction(name), description).number
}

// CreateAlias creates (or resets) an alias pointing at version with no routing.
func (l *Lambda) CreateAlias(name, alias, version string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.mustFunction(name)
	l.revision++
	f.aliases[alias] = &AliasState{Version: version, Weights: map[string]float64{}, RevisionID: strconv.Itoa(l.revision)}
}

// Alias returns a copy of an alias's live state.
func (l *Lambda) Alias(name, alias string) (AliasState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.functions[name]
	if !ok {
		return AliasState{}, false
	}
	a, ok := f.aliases[alias]
	if !ok {
		return AliasState{}, false
	}
	c := *a
	c.Weights = maps.Clone(a.Weights)
	return c, true
}

// Versions returns the published version numbers of a function with their
// descriptions, oldest first.
func (l *Lambda) Versions(name string) map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for _, v := range l.mustFunction(name).versions {
		out[v.number] = v.description
	}
	return out
}

// HandleInvoke sets how a function answers Invoke; without a handler a
// function answers with the payload null.
func (l *Lambda) HandleInvoke(name string, fn InvokeFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.mustFunction(name).invoke = fn
}

// Throttle makes the next n requests for operation (all operations if empty)
// fail as Lambda throttles: 429 TooManyRequestsException.
func (l *Lambda) Throttle(operation string, n int) {
	l.Inject(Fault{Operation: operation, Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded", Times: n})
}

// FailServer makes the next n requests for operation fail with 500
// ServiceException; n <= 0 means every request.
func (l *Lambda) FailServer(operation string, n int) {
	l.Inject(Fault{Operation: operation, Status: http.StatusInternalServerError, Code: "ServiceException", Message: "internal service error", Times: n})
}

func (l *Lambda) mustFunction(name string) *lambdaFunction {
	f, ok := l.functions[name]
	if !ok {
		panic(fmt.Sprintf("awsfake: no Lambda function %q", name))
	}
	return f
}

func (l *Lambda) publish(f *lambdaFunction, description string) lambdaVersion {
	if !f.latestDirty && len(f.versions) > 0 {
		// Lambda publishes nothing new when $LATEST has not changed since
		// the last version; it returns that version.
		return f.versions[len(f.versions)-1]
	}
	v := lambdaVersion{number: strconv.Itoa(len(f.versions) + 1), codeSha256: f.latest.codeSha256, description: description}
	f.versions = append(f.versions, v)
	f.latestDirty = false
	return v
}

func (f *lambdaFunction) version(q string) (lambdaVersion, bool) {
	if q == "" || q == "$LATEST" {
		return f.latest, true
	}
	if a, ok := f.aliases[q]; ok {
		q = a.Version
		if q == "$LATEST" {
			return f.latest, true
		}
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > len(f.versions) {
		return lambdaVersion{}, false
	}
	return f.versions[n-1], true
}

type lambdaError struct {
	status  int
	code    string
	message string
}

func (l *Lambda) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, labels := lambdaRoute(r.Method, r.URL.EscapedPath())
	params := map[string]any{}
	if len(body) > 0 && op != "Invoke" {
		if err := json.Unmarshal(body, &params); err != nil {
			writeLambdaError(w, lambdaError{http.StatusBadRequest, "InvalidRequestContentException", "could not parse request body into json: " + err.Error()})
			return
		}
	}
	if op == "Invoke" {
		params["Payload"] = string(body)
		params["InvocationType"] = r.Header.Get("X-Amz-Invocation-Type")
	}
	for k, v := range labels {
		params[k] = v
	}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	if f := l.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeLambdaError(w, lambdaError{f.Status, f.Code, orDefault(f.Message, f.Code)})
		return
	}
	if op == "" {
		writeLambdaError(w, lambdaError{http.StatusNotFound, "UnknownOperationException", "unknown operation " + r.Method + " " + r.URL.Path})
		return
	}
	l.mu.Lock()
	name := functionName(labels["FunctionName"])
	f, ok := l.functions[name]
	if !ok {
		l.mu.Unlock()
		writeLambdaError(w, lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + functionARN(name, "")})
		return
	}
	var out any
	var lerr *lambdaError
	status := http.StatusOK
	switch op {
	case "GetFunction":
		out, lerr = l.getFunction(f, r.URL.Query().Get("Qualifier"))
	case "PublishVersion":
		out, lerr = l.publishVersion(f, params)
		status = http.StatusCreated
	case "GetAlias":
		out, lerr = l.getAlias(f, labels["Name"])
	case "UpdateAlias":
		out, lerr = l.updateAlias(f, labels["Name"], body)
	case "Invoke":
		l.invoke(w, f, r, body) // unlocks
		return
	}
	l.mu.Unlock()
	if lerr != nil {
		writeLambdaError(w, *lerr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

// lambdaRoute maps a REST path to its operation and path labels.
func lambdaRoute(method, escaped string) (string, map[string]string) {
	var seg []string
	for _, s := range strings.Split(strings.Trim(escaped, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			return "", nil
		}
		seg = append(seg, u)
	}
	if len(seg) < 3 || seg[0] != "2015-03-31" || seg[1] != "functions" {
		return "", nil
	}
	labels := map[string]string{"FunctionName": seg[2]}
	switch {
	case len(seg) == 3 && method == http.MethodGet:
		return "GetFunction", labels
	case len(seg) == 4 && seg[3] == "versions" && method == http.MethodPost:
		return "PublishVersion", labels
	case len(seg) == 4 && seg[3] == "invocations" && method == http.MethodPost:
		return "Invoke", labels
	case len(seg) == 5 && seg[3] == "aliases":
		labels["Name"] = seg[4]
		switch method {
		case http.MethodGet:
			return "GetAlias", labels
		case http.MethodPut:
			return "UpdateAlias", labels
		}
	}
	return "", nil
}

// functionName reduces a name, partial ARN or ARN to the function name.
func functionName(s string) string {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.Split(s, ":")
		if len(parts) >= 7 {
			return parts[6]
		}
	}
	if i := strings.Index(s, ":function:"); i >= 0 {
		s = s[i+len(":function:"):]
	}
	name, _, _ := strings.Cut(s, ":")
	return name
}

func functionARN(name, qualifier string) string {
	arn := "arn:aws:lambda:" + Region + ":" + Account + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}

func (l *Lambda) configuration(f *lambdaFunction, v lambdaVersion) map[string]any {
	return map[string]any{
		"FunctionName":     f.name,
		"FunctionArn":      functionARN(f.name, v.number),
		"Version":          v.number,
		"CodeSha256":       v.codeSha256,
		"Description":      v.description,
		"Runtime":          "provided.al2023",
		"Handler":          "bootstrap",
		"State":            "Active",
		"LastUpdateStatus": "Successful",
	}
}

func (l *Lambda) getFunction(f *lambdaFunction, qualifier string) (any, *lambdaError) {
	v, ok := f.version(qualifier)
	if !ok {
		return nil, &lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + functionARN(f.name, qualifier)}
	}
	return map[string]any{
		"Configuration": l.configuration(f, v),
		"Code":          map[string]any{"RepositoryType": "S3", "Location": "https://awslambda.example/snapshots/" + f.name},
	}, nil
}

func (l *Lambda) publishVersion(f *lambdaFunction, params map[string]any) (any, *lambdaError) {
	if sha, ok := params["CodeSha256"].(string); ok && sha != "" && sha != f.latest.codeSha256 {
		return nil, &lambdaError{http.StatusPreconditionFailed, "PreconditionFailedException",
			fmt.Sprintf("CodeSha256 (%s) is different from current CodeSha256 in $LATEST (%s). Please try again with the CodeSha256 in $LATEST.", sha, f.latest.codeSha256)}
	}
	desc, _ := params["Description"].(string)
	return l.configuration(f, l.publish(f, desc)), nil
}

func (l *Lambda) aliasJSON(f *lambdaFunction, name string, a *AliasState) map[string]any {
	out := map[string]any{
		"AliasArn":        functionARN(f.name, name),
		"Name":            name,
		"FunctionVersion": a.Version,
		"Description":     "",
		"RevisionId":      a.RevisionID,
	}
	if len(a.Weights) > 0 {
		out["RoutingConfig"] = map[string]any{"AdditionalVersionWeights": a.Weights}
	}
	return out
}

func (l *Lambda) getAlias(f *lambdaFunction, name string) (any, *lambdaError) {
	a, ok := f.aliases[name]
	if !ok {
		return nil, &lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Alias not found: " + functionARN(f.name, name)}
	}
	return l.aliasJSON(f, name, a), nil
}

func (l *Lambda) updateAlias(f *lambdaFunction, name string, body []byte) (any, *lambdaError) {
	a, ok := f.aliases[name]
	if !ok {
		return nil, &lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Alias not found: " + functionARN(f.name, name)}
	}
	var in struct {
		FunctionVersion *string
		RevisionId      *string
		RoutingConfig   *struct {
			AdditionalVersionWeights map[string]float64
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &lambdaError{http.StatusBadRequest, "InvalidRequestContentException", err.Error()}
	}
	invalid := func(format string, args ...any) *lambdaError {
		return &lambdaError{http.StatusBadRequest, "InvalidParameterValueException", fmt.Sprintf(format, args...)}
	}
	if in.RevisionId != nil && *in.RevisionId != a.RevisionID {
		return nil, &lambdaError{http.StatusPreconditionFailed, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id"}
	}
	next := AliasState{Version: a.Version, Weights: maps.Clone(a.Weights)}
	if in.FunctionVersion != nil {
		if _, ok := f.version(*in.FunctionVersion); !ok || *in.FunctionVersion != "$LATEST" && !isNumber(*in.FunctionVersion) {
			return nil, &lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + functionARN(f.name, *in.FunctionVersion)}
		}
		next.Version = *in.FunctionVersion
	}
	if in.RoutingConfig != nil {
		next.Weights = map[string]float64{}
		maps.Copy(next.Weights, in.RoutingConfig.AdditionalVersionWeights)
	}
	if len(next.Weights) > 1 {
		return nil, invalid("Number of items in AdditionalVersionWeights (%d) must be at most 1", len(next.Weights))
	}
	for v, w := range next.Weights {
		if w < 0 || w > 1 {
			return nil, invalid("1 validation error detected: Value '%v' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Member must have value between 0.0 and 1.0", w)
		}
		if !isNumber(v) {
			return nil, invalid("Invalid function version %s. Function version %s is not a published version.", v, v)
		}
		if _, ok := f.version(v); !ok {
			return nil, &lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + functionARN(f.name, v)}
		}
		if v == next.Version {
			return nil, invalid("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if next.Version == "$LATEST" {
			return nil, invalid("$LATEST is not supported for an alias pointing to more than 1 version")
		}
	}
	l.revision++
	next.RevisionID = strconv.Itoa(l.revision)
	*a = next
	return l.aliasJSON(f, name, a), nil
}

// invoke answers Invoke; it is called with l.mu held and releases it before
// running the handler.
func (l *Lambda) invoke(w http.ResponseWriter, f *lambdaFunction, r *http.Request, payload []byte) {
	v, ok := f.version(r.URL.Query().Get("Qualifier"))
	handler := f.invoke
	name := f.name
	l.mu.Unlock()
	if !ok {
		writeLambdaError(w, lambdaError{http.StatusNotFound, "ResourceNotFoundException", "Function not found: " + functionARN(name, r.URL.Query().Get("Qualifier"))})
		return
	}
	if len(payload) > 0 && !json.Valid(payload) {
		writeLambdaError(w, lambdaError{http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json"})
		return
	}
	switch r.Header.Get("X-Amz-Invocation-Type") {
	case "Event":
		w.WriteHeader(http.StatusAccepted)
		return
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	}
	out, fnErr := []byte("null"), ""
	if handler != nil {
		out, fnErr = handler(name, v.number, payload)
	}
	w.Header().Set("X-Amz-Executed-Version", v.number)
	if fnErr != "" {
		w.Header().Set("X-Amz-Function-Error", fnErr)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

func writeLambdaError(w http.ResponseWriter, e lambdaError) {
	typ := "User"
	if e.status >= 500 {
		typ = "Service"
	}
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": typ, "message": e.message})
}

func isNumber(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
