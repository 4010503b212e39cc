package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shipwave/shipwave/shared/alarms"
	"github.com/shipwave/shipwave/shared/eventually"
	"github.com/shipwave/shipwave/shared/local"
	"github.com/shipwave/shipwave/shared/release"
)

// BenchmarkAlarmToRestored pushes a version failing half its requests into
// a 20% canary, b.N times, and reports the time from the AlarmTriggered
// event (alarmwatch failing the bake) to the RolledBack event (100% of the
// target's traffic verified back on the last good version), as ms/restore.
// Run: go test -run '^$' -bench AlarmToRestored -benchtime 5x ./tests/e2e
func BenchmarkAlarmToRestored(b *testing.B) {
	st := startBenchStack(b)
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		waitAlarmOK(b, st, "bench-5xx")
		res, err := st.Push(ctx, "bench", local.PushRequest{Version: fmt.Sprintf("v%d", i+2), Fault: "error-rate=0.5"})
		if err != nil {
			b.Fatal(err)
		}
		v := waitEnd(b, st, res.ReleaseID)
		fired, restored := eventsOf(v, release.EventAlarm), eventsOf(v, release.EventRolledBack)
		if len(fired) == 0 || len(restored) == 0 {
			b.Fatalf("release %s ended %s (%s) without an alarm and a rollback", v.Release.ID, v.Release.Status, v.Release.Reason)
		}
		total += restored[0].Time.Sub(fired[0].Time)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/restore")
}

func startBenchStack(b *testing.B) *local.Stack {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st, err := local.Start(ctx, local.Config{Specs: []string{"testdata/bench.yaml"}, Binary: binary, DynaliteBin: dynaliteBin(b), APIAddr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func waitAlarmOK(tb testing.TB, st *local.Stack, name string) {
	tb.Helper()
	eventually.True(tb, 30*time.Second, "alarm "+name+" to return to OK", func() bool {
		s, err := st.Status(context.Background())
		return err == nil && s.Alarms[name] == alarms.StateOK
	})
}

func waitEnd(tb testing.TB, st *local.Stack, id string) local.ReleaseView {
	tb.Helper()
	var v local.ReleaseView
	eventually.True(tb, 60*time.Second, "release "+id+" to end", func() bool {
		var err error
		if v, err = st.Release(context.Background(), id); err != nil {
			tb.Fatal(err)
		}
		return v.Release.Status.Terminal()
	})
	return v
}
