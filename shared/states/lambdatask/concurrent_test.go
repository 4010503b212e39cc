package lambdatask_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shipwave/shipwave/shared/states/lambdatask"
)

// TestCallConcurrent: concurrent calls of one function each get their own
// result (aws-lambda-go hands back bytes of a buffer it reuses).
func TestCallConcurrent(t *testing.T) {
	f := lambdatask.New("echo", func(ctx context.Context, in struct{ N int }) (struct{ N int }, error) { return in, nil })
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				n := i*100 + j
				out, err := f.Call(context.Background(), []byte(fmt.Sprintf(`{"N":%d}`, n)))
				if want := fmt.Sprintf(`{"N":%d}`, n); err != nil || string(out) != want+"\n" && string(out) != want {
					t.Errorf("Call(%d) = %q, %v; want %s", n, out, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
