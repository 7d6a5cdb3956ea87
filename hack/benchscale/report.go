package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report is everything one run measured. A nil phase was not reached (or not
// asked for); NotMeasured says what the run could not measure and why.
type report struct {
	Date    string        `json:"date"`
	Machine machine       `json:"machine"`
	Options reportOptions `json:"options"`

	Floor    *floorResult    `json:"floor,omitempty"`
	Converge *convergeResult `json:"converge,omitempty"`
	Soak     *soakResult     `json:"soak,omitempty"`
	Idle     *idleResult     `json:"idle,omitempty"`
	Ops      *opsResult      `json:"ops,omitempty"`

	NotMeasured []string `json:"notMeasured,omitempty"`
}

// machine says where the run ran; a busy machine (a high load average) makes every
// time longer.
type machine struct {
	CPUs      int     `json:"cpus"`
	LoadStart float64 `json:"loadAverageStart"`
	LoadEnd   float64 `json:"loadAverageEnd"`
}

type reportOptions struct {
	Clusters    int     `json:"clusters"`
	Writers     int     `json:"writers"`
	Namespaces  int     `json:"namespaces"`
	Shards      int     `json:"shards"`
	Soak        string  `json:"soak"`
	SoakRate    float64 `json:"soakRate"`
	Idle        string  `json:"idle"`
	Ops         int     `json:"ops"`
	OpsParallel int     `json:"opsParallel"`
	// OperatorArgs and OperatorEnv are what every operator process got besides
	// the benchmark's own flags.
	OperatorArgs []string `json:"operatorArgs,omitempty"`
	OperatorEnv  []string `json:"operatorEnv,omitempty"`
}

func newReport(o options) *report {
	r := &report{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Machine: machine{CPUs: runtime.NumCPU()},
		Options: reportOptions{
			Clusters: o.clusters, Writers: o.writers, Namespaces: o.namespaces, Shards: o.shards,
			Soak: o.soak.String(), SoakRate: o.soakRate, Idle: o.idle.String(),
			Ops: o.ops, OpsParallel: o.opsParallel,
			OperatorArgs: o.operatorArgs, OperatorEnv: o.operatorEnv,
		},
	}
	if load, err := loadAverage(); err == nil {
		r.Machine.LoadStart = load
	} else {
		r.NotMeasured = append(r.NotMeasured, err.Error())
	}
	return r
}

// finish records the load at the end and what the phases could not measure.
func (r *report) finish() {
	if load, err := loadAverage(); err == nil {
		r.Machine.LoadEnd = load
	}
	if c := r.Converge; c != nil && c.Converged.HeapLiveBytes == nil {
		r.NotMeasured = append(r.NotMeasured, "the live heap: the operator exposes no "+heapLiveMetric)
	}
	if i := r.Idle; i != nil {
		if i.SimulatorMode != "event-driven" {
			r.NotMeasured = append(r.NotMeasured, fmt.Sprintf("an idle simulator: it is %s, so its idle reads and CPU are its polling", i.SimulatorMode))
		}
		r.NotMeasured = append(r.NotMeasured, "the simulator's CPU on its own: it runs in the benchmark's process, whose CPU is reported")
	}
}

// writeText prints the report for people.
func (r *report) writeText(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "\nbench-scale %s: N=%d clusters, %d writers, %d namespaces, %s; %d CPUs, load %.1f → %.1f\n",
		r.Date, o.Clusters, o.Writers, o.Namespaces, plural(o.Shards, "operator process", "operator processes"),
		r.Machine.CPUs, r.Machine.LoadStart, r.Machine.LoadEnd)
	if len(o.OperatorArgs)+len(o.OperatorEnv) > 0 {
		fmt.Fprintf(w, "operator: %s\n", strings.Join(append(append([]string{}, o.OperatorEnv...), o.OperatorArgs...), " "))
	}
	if f := r.Floor; f != nil {
		fmt.Fprintf(w, "\nfloor (bare client, no operator, no webhooks)\n")
		line(w, "all written", "%.1f s  (%.1f writes per cluster; per cluster p50 %.0f ms, p99 %.0f ms)", f.Seconds, f.WritesPerCluster, f.P50Ms, f.P99Ms)
		line(w, "CPU while writing", "%s  (CPU s; the machine had %.0f)", breakdown(f.CPUSecondsByProcess), f.Seconds*float64(r.Machine.CPUs))
	}
	if c := r.Converge; c != nil {
		mode := ""
		if r.Idle != nil {
			mode = ", simulator " + r.Idle.SimulatorMode
		}
		what := "webhooks"
		if o.Shards > 1 {
			what = fmt.Sprintf("%d shards of the namespaces, their counts summed; webhooks on shard 0", o.Shards)
		}
		fmt.Fprintf(w, "\noperator (%s, garbage collector%s)\n", what, mode)
		line(w, "all Ready", "%.1f s  (%.2fx the floor; creates sent in %.1f s)", c.Seconds, c.RatioToFloor, c.CreatesSeconds)
		line(w, "create → Ready", "p50 %s, p99 %s", seconds(c.P50Ms), seconds(c.P99Ms))
		line(w, "CPU until all Ready", "%s  (CPU s; the machine had %.0f)", breakdown(c.CPUSecondsByProcess), c.Seconds*float64(r.Machine.CPUs))
		line(w, "reconciles/cluster", "%s", breakdown(c.ReconcilesPerCluster))
		line(w, "evaluations/cluster", "%s  (CUE, memo hits excluded)", breakdown(c.EvaluationsPerCluster))
		line(w, "operator writes/cl.", "%.2f  (%s; Events included)", c.OperatorWritesPerCluster, breakdown(c.OperatorWritesPerClusterByMethod))
		line(w, "Events/cluster", "%.2f objects, %.2f occurrences  (%s)", c.EventsPerCluster, c.EventOccurrencesPerCluster, reasons(c.EventsByReason))
		line(w, "API server writes/cl.", "%.2f from every client  (%s)", c.APIServerWritesPerCluster, breakdown(c.APIServerWritesPerClusterByResource))
		line(w, "operator memory", "RSS %s at start, %s at converge (%s); live heap %s at start, %s at converge%s",
			mib(c.Start.RSSBytes), mib(c.Converged.RSSBytes), rssParts(c.Converged.memory), heap(c.Start.memory), heap(c.Converged.memory), largest(o.Shards))
		for k := range c.Converged.Shards {
			line(w, fmt.Sprintf("  shard %d", k), "RSS %s at start, %s at converge; live heap %s at start, %s at converge",
				mib(c.Start.Shards[k].RSSBytes), mib(c.Converged.Shards[k].RSSBytes), heap(c.Start.Shards[k]), heap(c.Converged.Shards[k]))
		}
	}
	if s := r.Soak; s != nil {
		fmt.Fprintf(w, "\nsoak (%s at %.0f cluster updates/s, through the webhook)\n", o.Soak, o.SoakRate)
		line(w, "updates", "%d accepted (%.1f/s), %d refused, %d dropped (writer busy)", s.Updates, s.UpdatesPerSecond, s.Failed, s.Dropped)
		if s.FirstError != "" {
			line(w, "first refusal", "%s", s.FirstError)
		}
		line(w, "RSS", "%s → %s (%+.1f%%; %s), peak %s%s", mib(s.Before.RSSBytes), mib(s.After.RSSBytes), s.RSSGrowthPct, rssParts(s.After.memory), mib(s.PeakRSSBytes), largest(o.Shards))
		if s.HeapGrowthPct != nil {
			line(w, "live heap", "%s → %s (%+.1f%%)%s", heap(s.Before.memory), heap(s.After.memory), *s.HeapGrowthPct, largest(o.Shards))
		}
		for k := range s.After.Shards {
			line(w, fmt.Sprintf("  shard %d", k), "RSS %s → %s; live heap %s → %s",
				mib(s.Before.Shards[k].RSSBytes), mib(s.After.Shards[k].RSSBytes), heap(s.Before.Shards[k]), heap(s.After.Shards[k]))
		}
	}
	if i := r.Idle; i != nil {
		fmt.Fprintf(w, "\nidle (%.0f s, no changes)\n", i.Seconds)
		line(w, "operator", "%.0f writes, %.0f reads, %.2f CPU s%s", i.OperatorWrites, i.OperatorReads, i.OperatorCPUSeconds, summed(o.Shards))
		sr := i.SimulatorRequests
		line(w, "simulator", "%s: %d reads, %d watches opened, %d writes", i.SimulatorMode, sr.Gets, sr.Watches, sr.writes())
		line(w, "benchmark process", "%.2f CPU s (the simulator and idle watches)", i.BenchCPUSeconds)
	}
	if p := r.Ops; p != nil {
		fmt.Fprintf(w, "\nops at scale (%d HorizontalScaling, %d at a time, %s; %d clusters present)\n", p.Count, p.Parallel, opsPace(p.Settled), o.Clusters)
		line(w, "create → child", "p50 %s, p99 %s  (%d of %d reached the child within %s)", seconds(p.P50Ms), seconds(p.P99Ms), p.Reached, p.Count, opTimeout)
		line(w, "CPU per operation", "%s  (CPU ms; %s)", breakdown(perOperation(p.CPUSecondsByProcess, p.Count)), opsCPUSpan(p.Settled))
		line(w, "reconciles/op", "%s", breakdown(p.ReconcilesPerOp))
		line(w, "evaluations/op", "%s  (CUE, memo hits excluded)", breakdown(p.EvaluationsPerOp))
		line(w, "API server writes/op", "%.2f from every client  (%s)", total(p.APIServerWritesPerOp), breakdown(p.APIServerWritesPerOp))
		for k, n := range p.ReachedByShard {
			line(w, fmt.Sprintf("  shard %d", k), "%d reached the child", n)
		}
	}
	if len(r.NotMeasured) > 0 {
		fmt.Fprintf(w, "\nnot measured\n")
		for _, n := range r.NotMeasured {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintln(w)
}

func line(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "  %-22s %s\n", label, fmt.Sprintf(format, args...))
}

// breakdown prints a map as "k v, k v", largest first.
// perOperation converts CPU seconds to milliseconds per operation.
func perOperation(cpu map[string]float64, n int) map[string]float64 {
	out := make(map[string]float64, len(cpu))
	for k, v := range cpu {
		out[k] = v * 1000 / float64(n)
	}
	return out
}

func breakdown(m map[string]float64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.2f", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func reasons(m map[string]int) string {
	f := map[string]float64{}
	for k, v := range m {
		f[k] = float64(v)
	}
	return strings.ReplaceAll(breakdown(f), ".00", "")
}

// rssParts splits an RSS into anonymous memory and pages of the binary.
func rssParts(m memory) string {
	return fmt.Sprintf("%s anonymous, %s of files", mib(m.AnonBytes), mib(m.FileBytes))
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// largest and summed say, with more than one shard, what a fleet's figure is of the
// shards' figures.
func largest(shards int) string {
	if shards > 1 {
		return "  (largest shard)"
	}
	return ""
}

func summed(shards int) string {
	if shards > 1 {
		return fmt.Sprintf("  (%d shards together)", shards)
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func heap(s memory) string {
	if s.HeapLiveBytes == nil {
		return "not measured"
	}
	return mib(*s.HeapLiveBytes)
}

// seconds prints milliseconds in the unit that reads best.
func seconds(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.0f ms", ms)
}
