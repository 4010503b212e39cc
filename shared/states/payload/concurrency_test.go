package payload

import (
	"sync"
	"testing"

	"github.com/shipwave/shipwave/shared/states/payload/jsonata"
)

// TestConcurrentApply runs one compiled template from many goroutines, as
// Map iterations and Parallel branches do; run it with -race.
func TestConcurrentApply(t *testing.T) {
	tp, err := Compile(decode(t, `{"a.$":"$.x","b":{"c.$":"States.Format('{}-{}', $.x, States.ArrayLength($.l))"},"d":[1,{"e.$":"$$.Map.Item.Index"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	jt, err := CompileJSONata("Output", decode(t, `{"s":"{% $sum($states.input.l) %}","m":"{% $map($states.input.l, function($v){ $v * 2 }) %}"}`))
	if err != nil {
		t.Fatal(err)
	}
	e := env(t, `{"x":"v","l":[1,2,3]}`)
	vars := map[string]any{"states": decode(t, `{"input":{"l":[1,2,3]}}`)}
	want := `{"a":"v","b":{"c":"v-3"},"d":[1,{"e":2}]}`
	wantJ := `{"s":6,"m":[2,4,6]}`
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				got, err := tp.Apply(e)
				if err != nil {
					t.Error(err)
					return
				}
				if g := encode(t, got); g != want {
					t.Errorf("got %s, want %s", g, want)
					return
				}
				gotJ, err := jt.Apply(vars, jsonata.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				if g := encode(t, gotJ); g != wantJ {
					t.Errorf("got %s, want %s", g, wantJ)
					return
				}
			}
		}()
	}
	wg.Wait()
}
