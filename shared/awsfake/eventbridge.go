package awsfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// EventBridge is a fake Amazon EventBridge (AWS JSON 1.1) that accepts
// PutEvents, records every entry it accepts, and refuses a request whose
// entries add up to more than 256 KB as the service documents the count
// (Source, DetailType, Detail and each resource in UTF-8 bytes, plus 14 for
// a Time), with ValidationException. Entries on an event bus it was not
// told about with AddBus fail with ResourceNotFoundException, per entry.
type EventBridge struct {
	*JSONService

	mu      sync.Mutex
	buses   map[string]bool
	entries []map[string]any
}

// MaxPutEventsBytes is the most a PutEvents request's entries may add up to.
const MaxPutEventsBytes = 256 * 1024

// NewEventBridge starts a fake EventBridge, with the bus "default", that
// stops when t ends.
func NewEventBridge(t testing.TB) *EventBridge {
	t.Helper()
	e := &EventBridge{JSONService: NewJSONService(t), buses: map[string]bool{"default": true}}
	e.Handle("PutEvents", e.putEvents)
	return e
}

// AddBus creates an event bus.
func (e *EventBridge) AddBus(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.buses[name] = true
}

// Entries returns the entries accepted so far, as sent.
func (e *EventBridge) Entries() []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]map[string]any(nil), e.entries...)
}

// EntrySize is the size EventBridge counts for an entry.
func EntrySize(entry map[string]any) int {
	n := 0
	if _, ok := entry["Time"]; ok {
		n += 14
	}
	for _, k := range []string{"Source", "DetailType", "Detail"} {
		s, _ := entry[k].(string)
		n += len(s)
	}
	rs, _ := entry["Resources"].([]any)
	for _, r := range rs {
		s, _ := r.(string)
		n += len(s)
	}
	return n
}

func (e *EventBridge) putEvents(in map[string]any) (any, *APIError) {
	list, _ := in["Entries"].([]any)
	if len(list) == 0 || len(list) > 10 {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10 (got %d)", len(list))}
	}
	total := 0
	for _, v := range list {
		entry, _ := v.(map[string]any)
		total += EntrySize(entry)
	}
	if total > MaxPutEventsBytes {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf("Total size of the entries in the request is over the limit (%d bytes > %d).", total, MaxPutEventsBytes)}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var results []map[string]any
	failed := 0
	for i, v := range list {
		entry, _ := v.(map[string]any)
		bus, _ := entry["EventBusName"].(string)
		if i := strings.LastIndex(bus, ":event-bus/"); i >= 0 {
			bus = bus[i+len(":event-bus/"):]
		}
		if bus == "" {
			bus = "default"
		}
		if !e.buses[bus] {
			failed++
			results = append(results, map[string]any{"ErrorCode": "ResourceNotFoundException", "ErrorMessage": "Event bus " + bus + " does not exist."})
			continue
		}
		e.entries = append(e.entries, entry)
		results = append(results, map[string]any{"EventId": fmt.Sprintf("fake-%d-%d", len(e.entries), i)})
	}
	return map[string]any{"FailedEntryCount": failed, "Entries": results}, nil
}
