package triggers

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shipwave/shipwave/shared/glob"
	"github.com/shipwave/shipwave/shared/release"
)

// ecrDetail is the detail of an EventBridge "ECR Image Action" event.
type ecrDetail struct {
	ActionType     *string `json:"action-type"`
	Result         *string `json:"result"`
	RepositoryName *string `json:"repository-name"`
	ImageDigest    *string `json:"image-digest"`
	ImageTag       *string `json:"image-tag"`
}

var imageDigest = regexp.MustCompile(`^[a-z0-9]+:[0-9a-f]{16,128}$`)

// normalizeECR turns an image push into a Push whose trigger names the
// image. Deletions, failed pushes and untagged pushes ask for no release.
func normalizeECR(raw json.RawMessage) (Push, error) {
	var d ecrDetail
	if err := decodeDetail(raw, &d); err != nil {
		return Push{}, err
	}
	switch {
	case d.ActionType == nil:
		return Push{}, release.Errorf(release.ErrInvalid, "detail.action-type is required")
	case d.RepositoryName == nil || *d.RepositoryName == "":
		return Push{}, release.Errorf(release.ErrInvalid, "detail.repository-name is required")
	}
	t := release.Trigger{Kind: release.TriggerImage, Source: "ecr", Repository: *d.RepositoryName}
	if d.ImageTag != nil {
		t.ImageTag = *d.ImageTag
	}
	if d.ImageDigest != nil {
		t.ImageDigest = *d.ImageDigest
	}
	p := Push{Trigger: t, FilesKnown: true}
	switch {
	case *d.ActionType != "PUSH":
		p.Ignored = fmt.Sprintf("image action %s, not PUSH", *d.ActionType)
	case d.Result == nil || *d.Result != "SUCCESS":
		p.Ignored = "the image push did not succeed"
	case t.ImageTag == "":
		p.Ignored = "untagged image push"
	case !imageDigest.MatchString(t.ImageDigest):
		return Push{}, release.Errorf(release.ErrInvalid, "detail.image-digest must be an algorithm and hex digest such as sha256:7f5b…, got %q", t.ImageDigest)
	}
	p.Trigger.Key = "image:ecr:" + t.Repository + ":" + t.ImageTag + ":" + t.ImageDigest
	return p, nil
}

// imageMatch says whether a pipeline releases an image pushed as t: one of
// its image triggers names the repository and a tag pattern matches (no
// patterns: any tag).
func imageMatch(p release.Pipeline, t release.Trigger) (bool, string) {
	var reasons []string
	for _, tr := range p.Triggers {
		if tr.Image == nil {
			continue
		}
		if tr.Image.Repository != t.Repository {
			reasons = append(reasons, fmt.Sprintf("image trigger watches repository %s", tr.Image.Repository))
			continue
		}
		if len(tr.Image.Tags) == 0 {
			return true, ""
		}
		globs, err := glob.CompileAll(tr.Image.Tags)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("bad tag filter: %v", err))
			continue
		}
		if glob.MatchAny(globs, t.ImageTag) {
			return true, ""
		}
		reasons = append(reasons, fmt.Sprintf("tag %s matches none of %s", t.ImageTag, strings.Join(tr.Image.Tags, ", ")))
	}
	if len(reasons) == 0 {
		return false, "pipeline has no image trigger"
	}
	return false, joinReasons(reasons)
}
