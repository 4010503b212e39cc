package triggers

import (
	"errors"
	"strings"
	"testing"

	"github.com/shipwave/shipwave/shared/release"
)

func TestAllow(t *testing.T) {
	all := []release.TriggerRule{
		{Push: &release.PushTrigger{}}, {Image: &release.ImageTrigger{Repository: "r"}},
		{Schedule: &release.ScheduleTrigger{Cron: "0 2 * * ? *"}}, {CodePipeline: &struct{}{}},
		{Chat: &struct{}{}}, {Voice: &struct{}{}},
	}
	kinds := []release.TriggerKind{release.TriggerPush, release.TriggerImage, release.TriggerSchedule,
		release.TriggerCodePipeline, release.TriggerChat, release.TriggerVoice}
	for i, k := range kinds {
		t.Run(string(k), func(t *testing.T) {
			if err := Allow(release.Pipeline{Name: "p", Triggers: all[i : i+1]}, k); err != nil {
				t.Errorf("listed kind refused: %v", err)
			}
			others := append(append([]release.TriggerRule{}, all[:i]...), all[i+1:]...)
			err := Allow(release.Pipeline{Name: "p", Triggers: others}, k)
			if !errors.Is(err, release.ErrUnauthorized) || !errors.Is(err, ErrNotListed) || !strings.Contains(err.Error(), "does not list a "+specKind(k)+" trigger") {
				t.Errorf("unlisted kind: err = %v, want ErrUnauthorized naming the kind", err)
			}
			if err := Allow(release.Pipeline{Name: "p"}, k); !errors.Is(err, release.ErrUnauthorized) || !strings.Contains(err.Error(), "started manually only") {
				t.Errorf("no triggers: err = %v, want manual only", err)
			}
		})
	}
	if err := Allow(release.Pipeline{Name: "p"}, release.TriggerManual); err != nil {
		t.Errorf("manual start refused: %v", err)
	}
}
