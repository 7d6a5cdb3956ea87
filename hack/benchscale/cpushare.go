package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// benchmarkProcess names this process (the writers, the simulator and the tracker)
// among the CPU shares.
const benchmarkProcess = "benchmark"

// cpuByProcess is the CPU time of the processes of a run, by command name: this
// process and its children (the operators, kube-apiserver, etcd,
// kube-controller-manager). Its difference over a phase says where the machine's
// time went: to the operator, or to the parts every operator needs.
func cpuByProcess() (map[string]float64, error) {
	self := os.Getpid()
	out := map[string]float64{}
	selfCPU, err := cpuSeconds(self)
	if err != nil {
		return nil, err
	}
	out[benchmarkProcess] = selfCPU
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, fmt.Errorf("cannot list the processes: %w", err)
	}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended since the listing
		}
		name, ppid, ok := commAndParent(b)
		if !ok || ppid != self {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			continue
		}
		cpu, err := cpuSeconds(pid)
		if err != nil {
			continue // the process ended since the listing
		}
		out[name] += cpu
	}
	return out, nil
}

// commAndParent reads the command name and the parent's pid from /proc/<pid>/stat.
func commAndParent(stat []byte) (string, int, bool) {
	open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return "", 0, false
	}
	return string(stat[open+1 : end]), ppid, true
}

// cpuSpent is after minus before, by process; processes that started in between
// count from zero.
func cpuSpent(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for name, v := range after {
		out[name] = v - before[name]
	}
	return out
}
