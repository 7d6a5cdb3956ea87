package main

import (
	"os"
	"testing"
)

func TestCommAndParent(t *testing.T) {
	name, ppid, ok := commAndParent([]byte("4242 (kube-controller) S 17 4242 4242 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 8 0"))
	if !ok || name != "kube-controller" || ppid != 17 {
		t.Fatalf("got %q, %d, %v; want kube-controller, 17, true", name, ppid, ok)
	}
	// A command name may hold spaces and parentheses: the last ')' ends it.
	name, ppid, ok = commAndParent([]byte("7 (a (b) c) R 1 7 7 0 -1"))
	if !ok || name != "a (b) c" || ppid != 1 {
		t.Fatalf("got %q, %d, %v; want \"a (b) c\", 1, true", name, ppid, ok)
	}
	if _, _, ok := commAndParent([]byte("garbage")); ok {
		t.Fatal("parsed a stat line without a command name")
	}
}

func TestCPUByProcessCountsThisProcess(t *testing.T) {
	cpu, err := cpuByProcess()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cpu[benchmarkProcess]; !ok {
		t.Fatalf("no CPU time for the benchmark's own process (pid %d): %v", os.Getpid(), cpu)
	}
}

func TestCPUSpentCountsNewProcessesFromZero(t *testing.T) {
	got := cpuSpent(map[string]float64{"etcd": 2}, map[string]float64{"etcd": 5, "dbaas-operator": 3})
	if got["etcd"] != 3 || got["dbaas-operator"] != 3 {
		t.Fatalf("got %v; want etcd 3, dbaas-operator 3", got)
	}
}
