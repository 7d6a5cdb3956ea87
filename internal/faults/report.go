package faults

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Report is what an injector did: the requests it saw and the faults it injected.
type Report struct {
	// Seen counts the requests by verb, failed or not.
	Seen map[Verb]int
	// Injected counts the faults by kind and verb.
	Injected map[Kind]map[Verb]int
}

// Report returns a copy of the counts.
func (in *Injector) Report() Report {
	in.mu.Lock()
	defer in.mu.Unlock()
	r := Report{Seen: maps.Clone(in.seen), Injected: map[Kind]map[Verb]int{}}
	for k, byVerb := range in.injected {
		r.Injected[k] = maps.Clone(byVerb)
	}
	return r
}

// Requests is the number of requests seen.
func (r Report) Requests() int {
	n := 0
	for _, c := range r.Seen {
		n += c
	}
	return n
}

// Total is the number of faults injected.
func (r Report) Total() int {
	n := 0
	for _, byVerb := range r.Injected {
		for _, c := range byVerb {
			n += c
		}
	}
	return n
}

// OfKind is the number of faults of one kind.
func (r Report) OfKind(k Kind) int {
	n := 0
	for _, c := range r.Injected[k] {
		n += c
	}
	return n
}

// String reads as a table: a total line, then a line per kind with its count and
// its counts by verb.
//
//	injected 12 faults in 130 requests
//	Conflict 3 patch=2 update=1
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "injected %d faults in %d requests\n", r.Total(), r.Requests())
	for _, k := range Kinds {
		byVerb := r.Injected[k]
		if len(byVerb) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s %d", k, r.OfKind(k))
		for _, v := range slices.Sorted(maps.Keys(byVerb)) {
			fmt.Fprintf(&b, " %s=%d", v, byVerb[v])
		}
		b.WriteString("\n")
	}
	return b.String()
}
