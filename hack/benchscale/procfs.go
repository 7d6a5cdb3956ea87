package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat: 100 on
// every architecture Linux and Go share.
const clockTicks = 100

// residentMemory is a process's resident set and its two parts, from
// /proc/<pid>/status: anonymous memory (heap, stacks) and pages of files it maps
// (its binary), which a smaller binary shrinks and a smaller heap does not.
type residentMemory struct {
	RSS, Anon, File int64
}

// rssBytes is the resident set size of a process (VmRSS in /proc/<pid>/status).
func rssBytes(pid int) (int64, error) {
	m, err := readResidentMemory(pid)
	return m.RSS, err
}

// readResidentMemory reads VmRSS, RssAnon and RssFile of a process.
func readResidentMemory(pid int) (residentMemory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return residentMemory{}, fmt.Errorf("cannot read the memory of process %d: %w", pid, err)
	}
	defer f.Close()
	var m residentMemory
	fields := map[string]*int64{"VmRSS:": &m.RSS, "RssAnon:": &m.Anon, "RssFile:": &m.File}
	found := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		for prefix, into := range fields {
			rest, ok := strings.CutPrefix(s.Text(), prefix)
			if !ok {
				continue
			}
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return residentMemory{}, fmt.Errorf("cannot parse %s of process %d: %w", prefix, pid, err)
			}
			*into = kb * 1024
			found++
		}
	}
	if err := s.Err(); err != nil {
		return residentMemory{}, fmt.Errorf("cannot read the memory of process %d: %w", pid, err)
	}
	if found != len(fields) {
		return residentMemory{}, fmt.Errorf("process %d reports only %d of VmRSS, RssAnon and RssFile", pid, found)
	}
	return m, nil
}

// cpuSeconds is the user and system CPU time a process has used
// (utime + stime in /proc/<pid>/stat).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cannot read the CPU time of process %d: %w", pid, err)
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, fmt.Errorf("cannot parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[end+1:]))
	// Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the name.
	if len(fields) < 13 {
		return 0, fmt.Errorf("cannot parse /proc/%d/stat: %d fields", pid, len(fields))
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cannot parse the CPU time of process %d: %w", pid, err)
		}
		ticks += n
	}
	return float64(ticks) / clockTicks, nil
}

// loadAverage is the one-minute load average, which says how busy the machine was.
func loadAverage() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, fmt.Errorf("cannot read the load average: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0, fmt.Errorf("cannot parse /proc/loadavg")
	}
	return strconv.ParseFloat(fields[0], 64)
}
