package awsfake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatchMetrics is a fake of CloudWatch's metric statistics
// (GetMetricStatistics, and GetMetricData's MetricStat queries) speaking
// Smithy RPC v2 CBOR like the real service.
// Tests add datapoints with Put; a query sums the points of the exact
// namespace, metric and dimension set within [StartTime, EndTime), per
// Period, as the Sum statistic.
type CloudWatchMetrics struct {
	recorder
	// Server is the loopback server; pass Server.URL to Config.
	Server *httptest.Server

	mu     sync.Mutex
	points map[string][]metricPoint
}

type metricPoint struct {
	at    time.Time
	value float64
}

// NewCloudWatchMetrics starts a fake closed when t ends.
func NewCloudWatchMetrics(t testing.TB) *CloudWatchMetrics {
	t.Helper()
	c := &CloudWatchMetrics{points: map[string][]metricPoint{}}
	c.Server = start(t, http.HandlerFunc(c.serve))
	return c
}

// URL is the fake's endpoint.
func (c *CloudWatchMetrics) URL() string { return c.Server.URL }

// metricKey identifies a metric stream; dims are name=value pairs.
func metricKey(namespace, metric string, dims map[string]string) string {
	var parts []string
	for k, v := range dims {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return namespace + "|" + metric + "|" + strings.Join(parts, ",")
}

// Put records value for the metric with exactly these dimensions at time at.
func (c *CloudWatchMetrics) Put(namespace, metric string, dims map[string]string, at time.Time, value float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := metricKey(namespace, metric, dims)
	c.points[k] = append(c.points[k], metricPoint{at: at, value: value})
}

func (c *CloudWatchMetrics) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, ok := strings.CutPrefix(r.URL.Path, "/service/"+cloudWatchService+"/operation/")
	params := map[string]any{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			writeCBORError(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		params, _ = fromCBOR(v).(map[string]any)
	}
	if f := c.record(Request{Operation: op, Params: params, Header: r.Header.Clone()}); f != nil {
		writeCBORError(w, f.Status, f.Code, orDefault(f.Message, f.Code))
		return
	}
	if !ok || r.Method != http.MethodPost || (op != "GetMetricStatistics" && op != "GetMetricData") {
		writeCBORError(w, http.StatusNotFound, "UnknownOperationException", "operation "+op+" is not supported by the fake")
		return
	}
	get := c.getMetricStatistics
	if op == "GetMetricData" {
		get = c.getMetricData
	}
	out, code, msg := get(params)
	if code != "" {
		writeCBORError(w, http.StatusBadRequest, code, msg)
		return
	}
	writeCBOR(w, http.StatusOK, out)
}

func (c *CloudWatchMetrics) getMetricStatistics(in map[string]any) (cbor.Map, string, string) {
	ns, _ := in["Namespace"].(string)
	metric, _ := in["MetricName"].(string)
	start, okStart := in["StartTime"].(time.Time)
	end, okEnd := in["EndTime"].(time.Time)
	period, _ := in["Period"].(int64)
	stats := stringList(in["Statistics"])
	switch {
	case ns == "" || metric == "" || !okStart || !okEnd:
		return nil, "MissingParameter", "Namespace, MetricName, StartTime and EndTime are required"
	case period <= 0 || period%60 != 0:
		return nil, "InvalidParameterValue", fmt.Sprintf("The parameter Period must be a multiple of 60 (got %d)", period)
	case !end.After(start):
		return nil, "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime."
	case end.Sub(start)/time.Duration(period)/time.Second > 1440:
		return nil, "InvalidParameterCombination", "You have requested up to 1,440 datapoints, which exceeds the limit of 1,440."
	case len(stats) != 1 || stats[0] != "Sum":
		return nil, "InvalidParameterValue", "the fake serves only the Sum statistic"
	}
	dims := map[string]string{}
	list, _ := in["Dimensions"].([]any)
	for _, d := range list {
		m, _ := d.(map[string]any)
		name, _ := m["Name"].(string)
		value, _ := m["Value"].(string)
		dims[name] = value
	}
	c.mu.Lock()
	pts := append([]metricPoint(nil), c.points[metricKey(ns, metric, dims)]...)
	c.mu.Unlock()
	buckets := map[int64]float64{}
	for _, p := range pts {
		if p.at.Before(start) || !p.at.Before(end) {
			continue
		}
		b := start.Unix() + (p.at.Unix()-start.Unix())/period*period
		buckets[b] += p.value
	}
	datapoints := cbor.List{}
	for b, sum := range buckets {
		datapoints = append(datapoints, cbor.Map{
			"Timestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(b))},
			"Sum":       cbor.Float64(sum),
			"Unit":      cbor.String("Count"),
		})
	}
	return cbor.Map{"Label": cbor.String(metric), "Datapoints": datapoints}, "", ""
}
