package awsdeps_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/awsdeps"
	"github.com/shipwave/shipwave/shared/control"
	"github.com/shipwave/shipwave/shared/dynalite/dynalitetest"
	"github.com/shipwave/shipwave/shared/observe"
	"github.com/shipwave/shipwave/shared/release"
	"github.com/shipwave/shipwave/shared/store"
	"github.com/shipwave/shipwave/shared/traffic/lambdaalias"
)

func TestMain(m *testing.M) { dynalitetest.Main(m) }

func TestEnv(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "shipwave", "BLANK": "  "}
	tests := []struct {
		name    string
		names   []string
		wantErr string
	}{
		{"all set", []string{"TABLE_NAME"}, ""},
		{"missing and blank named", []string{"TABLE_NAME", "HOOK_SECRET_ARN", "BLANK"}, "HOOK_SECRET_ARN, BLANK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := awsdeps.Env(func(k string) string { return env[k] }, tt.names...)
			if tt.wantErr == "" {
				if err != nil || got["TABLE_NAME"] != "shipwave" {
					t.Fatalf("Env = %v, %v; want TABLE_NAME=shipwave and no error", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Env error = %v, want it to name %s", err, tt.wantErr)
			}
		})
	}
}

func TestShiftersFor(t *testing.T) {
	alias := lambdaalias.New(nil)
	pick := awsdeps.ShiftersFor(map[release.TargetType]control.Shifter{release.TargetLambdaAlias: alias})
	got, err := pick(release.Target{Name: "orders", Type: release.TargetLambdaAlias})
	if err != nil || got != control.Shifter(alias) {
		t.Errorf("lambdaAlias → %v, %v; want the alias shifter", got, err)
	}
	_, err = pick(release.Target{Name: "dev", Type: release.TargetLocal})
	if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "dev") {
		t.Errorf("local target error = %v, want ErrInvalid naming the target", err)
	}
}

func TestMeteredStore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	client, table := dynalitetest.Table(t)
	st := store.New(client, table, store.WithNow(func() time.Time { return now }))
	var emf bytes.Buffer
	ms := awsdeps.Meter(st, observe.NewMetrics(&emf, func() time.Time { return now }), nil)
	r, _, err := ms.CreateRelease(ctx, release.Release{Pipeline: "orders", Version: "abc", Status: release.StatusPending,
		Trigger: release.Trigger{Kind: release.TriggerPush, Key: "k1", Time: now.Add(-time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ms.AppendEvent(ctx, release.Event{ReleaseID: r.ID, Type: release.EventReleaseSucceeded, Time: now}); err != nil {
		t.Fatal(err)
	}
	out := emf.String()
	for _, want := range []string{`"ReleasesSucceeded":1`, `"LeadTimeSeconds":3600`, `"Pipeline":"orders"`, `"releaseId":"` + r.ID + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("EMF output lacks %s:\n%s", want, out)
		}
	}
	emf.Reset()
	if _, err := ms.AppendEvent(ctx, release.Event{ReleaseID: "", Type: release.EventStarted}); err == nil {
		t.Fatal("AppendEvent without release id succeeded, want an error")
	}
	if emf.Len() != 0 {
		t.Errorf("a failed append wrote metrics: %s", emf.String())
	}
	plain := awsdeps.Meter(st, nil, nil)
	if _, err := plain.AppendEvent(ctx, release.Event{ReleaseID: r.ID, Type: release.EventNote, Message: "x"}); err != nil {
		t.Errorf("unmetered AppendEvent: %v", err)
	}
}
