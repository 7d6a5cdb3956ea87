package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"dbaas.io/operator/internal/devcluster"
)

// operators are the operator processes of a run, one per shard. The fleet's work
// (reconciles, requests, CPU, queues) is the sum of theirs; memory is each one's,
// since each shard is a process with a memory limit of its own.
type operators []*operatorProcess

// startOperators starts one operator per shard, one after the other. With more than
// one, shard k serves the namespaces labelled with it and names a leader election
// lease of its own, as a deployment of shards must (a replicated shard elects its
// leader on it; the benchmark runs one replica of each, without election).
func startOperators(ctx context.Context, o options, cp *devcluster.Cluster, logDir string) (operators, error) {
	var ops operators
	for k := range o.shards {
		args := webhookArgs(k, cp)
		log := "dbaas-operator.log"
		if o.shards > 1 {
			args = append(args, "--namespace-selector="+shardSelector(k),
				fmt.Sprintf("--leader-election-id=dbaas-operator-shard-%d.dbaas.io", k))
			log = fmt.Sprintf("dbaas-operator-shard-%d.log", k)
			progress("starting operator shard %d of %d (%s, namespaces %s)", k, o.shards, o.operatorBinary, shardSelector(k))
		} else {
			progress("starting the operator (%s)", o.operatorBinary)
		}
		p, err := startOperator(ctx, o.operatorBinary, append(args, o.operatorArgs...), o.operatorEnv, cp, filepath.Join(logDir, log))
		if err != nil {
			return nil, errors.Join(err, ops.stop())
		}
		ops = append(ops, p)
	}
	return ops, nil
}

// webhookArgs: shard 0 serves the webhooks where the API server calls them, with
// the control plane's certificate. The others serve none: the webhook configuration
// names one server, which admits the requests of every namespace (it reads those
// outside its shard from the API server).
func webhookArgs(shard int, cp *devcluster.Cluster) []string {
	if shard > 0 {
		return []string{"--webhooks=false"}
	}
	return []string{
		"--webhook-port=" + strconv.Itoa(cp.WebhookPort),
		"--webhook-cert-dir=" + cp.WebhookCertDir,
		"--manage-webhook-certs=false",
	}
}

// stop stops every operator.
func (ops operators) stop() error {
	var errs []error
	for _, p := range ops {
		errs = append(errs, p.stop())
	}
	return errors.Join(errs...)
}

// running reports an early exit of any operator.
func (ops operators) running() error {
	var errs []error
	for _, p := range ops {
		errs = append(errs, p.running())
	}
	return errors.Join(errs...)
}

// scrape reads every operator's metrics into one set, whose sums are the fleet's.
func (ops operators) scrape(ctx context.Context) (metrics, error) {
	scrapes := make([]metrics, 0, len(ops))
	for _, p := range ops {
		m, err := p.scrape(ctx)
		if err != nil {
			return nil, err
		}
		scrapes = append(scrapes, m)
	}
	return merge(scrapes...), nil
}

// cpuSeconds is the CPU time the operators have used, together.
func (ops operators) cpuSeconds() (float64, error) {
	total := 0.0
	for _, p := range ops {
		s, err := cpuSeconds(p.pid())
		if err != nil {
			return 0, err
		}
		total += s
	}
	return total, nil
}

// maxRSS is the largest RSS of any operator.
func (ops operators) maxRSS() (int64, error) {
	var largest int64
	for _, p := range ops {
		rss, err := rssBytes(p.pid())
		if err != nil {
			return 0, err
		}
		largest = max(largest, rss)
	}
	return largest, nil
}

// sample is the operators' memory at one moment: the largest RSS and the largest
// live heap of any of them, which is what each shard's memory limit must hold, and
// with more than one shard each one's, in shard order.
type sample struct {
	memory
	Shards []memory `json:"shards,omitempty"`
}

// sample reads every operator's memory.
func (ops operators) sample(ctx context.Context) (sample, error) {
	var s sample
	for _, p := range ops {
		m, err := p.memory(ctx)
		if err != nil {
			return sample{}, err
		}
		if m.RSSBytes > s.RSSBytes {
			s.RSSBytes, s.AnonBytes, s.FileBytes = m.RSSBytes, m.AnonBytes, m.FileBytes
		}
		if m.HeapLiveBytes != nil && (s.HeapLiveBytes == nil || *m.HeapLiveBytes > *s.HeapLiveBytes) {
			live := *m.HeapLiveBytes
			s.HeapLiveBytes = &live
		}
		s.Shards = append(s.Shards, m)
	}
	if len(ops) == 1 {
		s.Shards = nil
	}
	return s, nil
}
