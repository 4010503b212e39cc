package triggers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/triggers"
)

func imagePipeline(name, repo string, tags ...string) release.Pipeline {
	p := pipeline(name, "git/"+name, "main")
	p.Triggers = []release.TriggerRule{{Image: &release.ImageTrigger{Repository: repo, Tags: tags}}}
	return p
}

// TestImagePush releases pipelines on an ECR image push, filtered by
// repository and tag patterns, end to end on the real store.
func TestImagePush(t *testing.T) {
	tests := []struct {
		name        string
		pipeline    release.Pipeline
		sample      string
		wantOutcome triggers.Outcome
		wantReason  string
	}{
		{"tag matches", imagePipeline("orders", "orders-api", "v*"), "ecr-push.json", triggers.OutcomeReleased, ""},
		{"any tag", imagePipeline("orders", "orders-api"), "ecr-push.json", triggers.OutcomeReleased, ""},
		{"tag does not match", imagePipeline("orders", "orders-api", "release-*"), "ecr-push.json", triggers.OutcomeSkipped, "matches none of release-*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, tt.pipeline)
			res, err := s.handler.Handle(context.Background(), sample(t, tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Pipelines) != 1 {
				t.Fatalf("pipelines = %+v, want one", res.Pipelines)
			}
			pr := res.Pipelines[0]
			if pr.Outcome != tt.wantOutcome || !strings.Contains(pr.Reason, tt.wantReason) {
				t.Errorf("outcome = %s (%s), want %s containing %q", pr.Outcome, pr.Reason, tt.wantOutcome, tt.wantReason)
			}
			if tt.wantOutcome != triggers.OutcomeReleased {
				return
			}
			r, err := s.store.GetRelease(context.Background(), pr.ReleaseID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Version != "v1.4.2" || r.Trigger.Kind != release.TriggerImage || !strings.HasPrefix(r.Trigger.ImageDigest, "sha256:") {
				t.Errorf("release = %+v, want version v1.4.2 from an image trigger", r)
			}
			// A redelivery creates nothing new.
			again, err := s.handler.Handle(context.Background(), sample(t, tt.sample))
			if err != nil || again.Pipelines[0].ReleaseID != r.ID || again.Pipelines[0].Outcome != triggers.OutcomeDuplicate {
				t.Errorf("redelivery = %+v, %v; want a duplicate of %s", again.Pipelines, err, r.ID)
			}
		})
	}
}

func TestImageActionsThatReleaseNothing(t *testing.T) {
	for _, name := range []string{"negative/ecr-delete.json", "negative/ecr-push-failed.json"} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, imagePipeline("orders", "orders-api"))
			res, err := s.handler.Handle(context.Background(), sample(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if res.Ignored == "" || len(res.Pipelines) != 0 {
				t.Errorf("result = %+v, want ignored with no pipelines", res)
			}
		})
	}
}
