package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// metrics are the families of one scrape of a Prometheus text endpoint.
type metrics map[string]*dto.MetricFamily

func parseMetrics(r io.Reader) (metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the metrics: %w", err)
	}
	return families, nil
}

// scrapeHTTP reads the metrics at url (the operator's metrics endpoint).
func scrapeHTTP(ctx context.Context, url string) (metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request for %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot read %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// scrapeAPIServer reads the API server's metrics.
func scrapeAPIServer(ctx context.Context, cs kubernetes.Interface) (metrics, error) {
	b, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read the API server's metrics: %w", err)
	}
	return parseMetrics(bytes.NewReader(b))
}

// value is the value of a counter, gauge or untyped sample.
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Histogram != nil:
		// a histogram counts its observations
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// has reports whether the family is exposed.
func (ms metrics) has(name string) bool { return ms[name] != nil }

// queuesIdle reports whether the operator's work queues hold nothing and no
// reconcile is running.
func (ms metrics) queuesIdle() bool {
	return ms.sum("workqueue_depth", nil)+ms.sum("workqueue_unfinished_work_seconds", nil) == 0
}

// sum adds the samples of a family whose labels match all of match.
func (ms metrics) sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, v := range ms.sumBy(name, "", match) {
		total += v
	}
	return total
}

// sumBy adds the samples of a family whose labels match all of match, grouped by
// the value of label ("" for a single group).
func (ms metrics) sumBy(name, label string, match map[string]string) map[string]float64 {
	out := map[string]float64{}
	f := ms[name]
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		matched := true
		for k, v := range match {
			if labels[k] != v {
				matched = false
				break
			}
		}
		if matched {
			out[labels[label]] += value(m)
		}
	}
	return out
}

// subtract returns the difference per group of after and before.
func subtract(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// merge puts the samples of several scrapes (one per operator shard) into one set,
// so that sum and sumBy add over all of them.
func merge(scrapes ...metrics) metrics {
	if len(scrapes) == 1 {
		return scrapes[0]
	}
	out := metrics{}
	for _, s := range scrapes {
		for name, f := range s {
			if out[name] == nil {
				out[name] = &dto.MetricFamily{Name: f.Name, Help: f.Help, Type: f.Type}
			}
			out[name].Metric = append(out[name].Metric, f.Metric...)
		}
	}
	return out
}
