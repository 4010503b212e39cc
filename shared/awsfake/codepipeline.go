package awsfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// CodePipeline is a fake AWS CodePipeline job API speaking AWS JSON 1.1:
// PollForJobs, AcknowledgeJob, PutJobSuccessResult and PutJobFailureResult,
// with the job states and rules a job worker meets. A continuation puts the
// job back in the queue with its token, as CodePipeline re-dispatches it;
// output variables are refused together with a continuation token; a result
// for a job that already ended is InvalidJobStateException.
type CodePipeline struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu   sync.Mutex
	jobs map[string]*FakeJob
	seq  int
}

// FakeJob is a job's state in the fake.
type FakeJob struct {
	ID, Nonce, ActionTypeOwner, ActionTypeProvider string
	// Status is Queued, Dispatched, InProgress, Succeeded or Failed.
	Status string
	// ContinuationToken is the last token a worker gave.
	ContinuationToken string
	// UserParameters is the action's UserParameters configuration.
	UserParameters string
	// Revision is the input artifact revision.
	Revision string
	// OutputVariables are those of the success result.
	OutputVariables map[string]string
	// FailureType and FailureMessage are those of the failure result.
	FailureType, FailureMessage string
	// Summaries are the execution summaries the worker reported, in order.
	Summaries []string
}

// NewCodePipeline starts a fake CodePipeline closed when t ends.
func NewCodePipeline(t testing.TB) *CodePipeline {
	t.Helper()
	c := &CodePipeline{jobs: map[string]*FakeJob{}}
	c.Server = start(t, http.HandlerFunc(c.serve))
	return c
}

// URL is the fake's endpoint.
func (c *CodePipeline) URL() string { return c.Server.URL }

// AddJob queues a job for a custom action of provider with the given user
// parameters and input revision and returns its id.
func (c *CodePipeline) AddJob(provider, userParameters, revision string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := fmt.Sprintf("11111111-abcd-1111-abcd-%012d", c.seq)
	c.jobs[id] = &FakeJob{ID: id, Nonce: fmt.Sprintf("%d", 1000+c.seq), ActionTypeOwner: "Custom", ActionTypeProvider: provider,
		Status: "Queued", UserParameters: userParameters, Revision: revision}
	return id
}

// StartLambdaJob registers an in-progress job of a Lambda invoke action
// (those are dispatched to the function, never polled) and returns its id.
func (c *CodePipeline) StartLambdaJob() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := fmt.Sprintf("22222222-abcd-2222-abcd-%012d", c.seq)
	c.jobs[id] = &FakeJob{ID: id, ActionTypeOwner: "AWS", ActionTypeProvider: "Lambda", Status: "InProgress"}
	return id
}

// TimeOut ends a job as CodePipeline does when its worker is too slow.
func (c *CodePipeline) TimeOut(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.jobs[id]; ok {
		j.Status, j.FailureType, j.FailureMessage = "Failed", "JobFailed", "The action timed out"
	}
}

// Job returns a copy of a job's state.
func (c *CodePipeline) Job(id string) (FakeJob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.jobs[id]
	if !ok {
		return FakeJob{}, false
	}
	cp := *j
	cp.Summaries = append([]string(nil), j.Summaries...)
	return cp, true
}

func (c *CodePipeline) serve(w http.ResponseWriter, r *http.Request) {
	op, params, ok := readJSON11(w, r, "CodePipeline_20150709.")
	if !ok {
		return
	}
	if f := c.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeJSON11Error(w, f.Status, f.Code, f.Message)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	str := func(k string) string { s, _ := params[k].(string); return s }
	job := func() *FakeJob {
		j, ok := c.jobs[str("jobId")]
		if !ok {
			writeJSON11Error(w, http.StatusBadRequest, "JobNotFoundException", "The job was specified in an invalid format or cannot be found.")
			return nil
		}
		return j
	}
	switch op {
	case "PollForJobs":
		at, _ := params["actionTypeId"].(map[string]any)
		var out []map[string]any
		for _, j := range c.jobs {
			if j.Status != "Queued" || at["provider"] != j.ActionTypeProvider || at["owner"] != j.ActionTypeOwner {
				continue
			}
			j.Status = "Dispatched"
			data := map[string]any{
				"actionConfiguration": map[string]any{"configuration": map[string]string{"UserParameters": j.UserParameters}},
				"inputArtifacts":      []map[string]any{{"name": "SourceOutput", "revision": j.Revision, "location": map[string]any{"type": "S3", "s3Location": map[string]string{"bucketName": "artifacts", "objectKey": "src.zip"}}}},
				"outputArtifacts":     []any{},
			}
			if j.ContinuationToken != "" {
				data["continuationToken"] = j.ContinuationToken
			}
			out = append(out, map[string]any{"id": j.ID, "nonce": j.Nonce, "accountId": Account, "data": data})
		}
		writeJSON11(w, map[string]any{"jobs": out})
	case "AcknowledgeJob":
		j := job()
		if j == nil {
			return
		}
		if str("nonce") != j.Nonce {
			writeJSON11Error(w, http.StatusBadRequest, "InvalidNonceException", "The nonce was specified in an invalid format.")
			return
		}
		if j.Status == "Dispatched" {
			j.Status = "InProgress"
		}
		writeJSON11(w, map[string]any{"status": j.Status})
	case "PutJobSuccessResult", "PutJobFailureResult":
		j := job()
		if j == nil {
			return
		}
		if j.Status != "InProgress" {
			writeJSON11Error(w, http.StatusBadRequest, "InvalidJobStateException", "The job state was specified in an invalid format.")
			return
		}
		if op == "PutJobFailureResult" {
			fd, _ := params["failureDetails"].(map[string]any)
			msg, _ := fd["message"].(string)
			typ, _ := fd["type"].(string)
			if typ == "" || msg == "" {
				writeJSON11Error(w, http.StatusBadRequest, "ValidationException", "failureDetails.type and message are required")
				return
			}
			j.Status, j.FailureType, j.FailureMessage = "Failed", typ, msg
			writeJSON11(w, map[string]any{})
			return
		}
		if ed, ok := params["executionDetails"].(map[string]any); ok {
			s, _ := ed["summary"].(string)
			j.Summaries = append(j.Summaries, s)
		}
		token := str("continuationToken")
		vars, hasVars := params["outputVariables"].(map[string]any)
		if token != "" && hasVars {
			writeJSON11Error(w, http.StatusBadRequest, "ValidationException", "outputVariables can be included only when there is no continuation token on the request")
			return
		}
		if token != "" {
			j.ContinuationToken = token
			if j.ActionTypeOwner == "Custom" {
				j.Status = "Queued"
			}
			writeJSON11(w, map[string]any{})
			return
		}
		j.Status = "Succeeded"
		j.OutputVariables = map[string]string{}
		for k, v := range vars {
			j.OutputVariables[k], _ = v.(string)
		}
		writeJSON11(w, map[string]any{})
	default:
		writeJSON11Error(w, http.StatusBadRequest, "UnknownOperationException", "operation "+op+" is not supported by the fake")
	}
}
