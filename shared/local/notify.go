package local

import (
	"context"
	"net/http"
	"time"

	"github.com/shipwave/shipwave/shared/notify"
)

// startNotifier follows the event log and announces releases to their
// specs' notify destinations (SNS topics are refused here: the local stack
// has no SNS), until Close.
func (s *Stack) startNotifier() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopNotify, s.notifyDone = cancel, make(chan struct{})
	n := &notify.Notifier{
		Store:  s.store,
		Sender: &notify.Sender{HTTP: &http.Client{Timeout: 5 * time.Second}, Secret: []byte(s.cfg.NotifySecret)},
		Logger: s.log.With("component", "notify"),
		Since:  s.svc.Now().Add(-time.Second),
		Every:  250 * time.Millisecond,
	}
	go func() {
		defer close(s.notifyDone)
		n.Run(ctx)
	}()
}
