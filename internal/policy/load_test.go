package policy

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"dbaas.io/operator/policies"
)

// minimal is the smallest policy tree Load accepts: both gates and one data file.
func minimal(extra map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"cluster/cluster.rego": {Data: []byte("package dbaas.cluster\n\nviolation contains v if {\n\tv := {\"field\": \"spec\", \"reason\": \"Always\", \"msg\": data.dbaas.msgs.text}\n}\n")},
		"ops/ops.rego":         {Data: []byte("package dbaas.ops\n\nviolation contains v if {\n\tfalse\n\tv := 1\n}\n")},
		"msgs.yaml":            {Data: []byte("text: from data\n")},
	}
	for p, text := range extra {
		fsys[p] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func TestLoad(t *testing.T) {
	tests := map[string]struct {
		fsys    fs.FS  // the policy tree
		wantErr string // substring of the error; "" loads
	}{
		"embedded":      {fsys: policies.FS},
		"minimal":       {fsys: minimal(nil)},
		"tests skipped": {fsys: minimal(map[string]string{"cluster/cluster_test.rego": "package broken {"})},
		"syntax error": {
			fsys:    minimal(map[string]string{"cluster/extra.rego": "package dbaas.cluster\n\nviolation contains x if {"}),
			wantErr: "cannot parse policies",
		},
		"http.send": {
			fsys:    minimal(map[string]string{"cluster/net.rego": "package dbaas.cluster\n\nviolation contains r if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"http://x\"})\n}\n"}),
			wantErr: "cluster/net.rego:4: http.send is not allowed: it reaches outside the operator (the network)",
		},
		"opa.runtime": {
			fsys:    minimal(map[string]string{"lib/rt.rego": "package dbaas.lib\n\nenv := opa.runtime().env\n"}),
			wantErr: "opa.runtime is not allowed",
		},
		"strict mode": {
			fsys:    minimal(map[string]string{"lib/unused.rego": "package dbaas.lib\n\nimport data.dbaas.cluster\n\nx := 1\n"}),
			wantErr: "cannot compile policies",
		},
		"missing gate": {
			fsys: fstest.MapFS{
				"cluster/cluster.rego": {Data: []byte("package dbaas.cluster\n\nviolation contains 1 if false\n")},
			},
			wantErr: "no rule defines data.dbaas.ops.violation",
		},
		"data inside a package": {
			fsys:    minimal(map[string]string{"cluster/limits.yaml": "a: 1\n"}),
			wantErr: "package data.dbaas.cluster overlaps a data file",
		},
		"bad yaml": {
			fsys:    minimal(map[string]string{"engines/x.yaml": "a: [1\n"}),
			wantErr: "cannot parse engines/x.yaml",
		},
		"no policy": {
			fsys:    fstest.MapFS{"msgs.yaml": {Data: []byte("a: 1\n")}},
			wantErr: "no .rego file found",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Load(tt.fsys)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Digest()) != 64 {
					t.Errorf("Digest() = %q, want a sha256", s.Digest())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestLoadMountsData checks that data files appear under data.dbaas.<dir>.<name>.
func TestLoadMountsData(t *testing.T) {
	s, err := Load(minimal(nil))
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.EvalCluster(context.Background(), ClusterInput{Cluster: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	assertViolations(t, d, []Violation{{"spec", "Always", "from data"}})
}

// TestEvalRefusesMissingObjects: a nil object would leave every rule undefined, which
// reads as allowed.
func TestEvalRefusesMissingObjects(t *testing.T) {
	s := embedded(t)
	if _, err := s.EvalCluster(context.Background(), ClusterInput{}); err == nil {
		t.Error("EvalCluster without a cluster: no error")
	}
	if _, err := s.EvalOps(context.Background(), OpsInput{Cluster: map[string]any{}}); err == nil {
		t.Error("EvalOps without ops: no error")
	}
}

// TestDigestIgnoresTests: editing a Rego test does not change what is served.
func TestDigestIgnoresTests(t *testing.T) {
	a, err := Load(minimal(nil))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(minimal(map[string]string{"cluster/cluster_test.rego": "package x"}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(minimal(map[string]string{"msgs.yaml": "text: other\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest() != b.Digest() || a.Digest() == c.Digest() {
		t.Errorf("digests %s %s %s: want the first two equal and the third different", a.Digest(), b.Digest(), c.Digest())
	}
}

// TestEvalTimeout: a runaway policy is cut at the deadline. Three nested iterations
// over 300 items are 27 million steps, each allocating nothing a budget would see.
func TestEvalTimeout(t *testing.T) {
	slow := "package dbaas.cluster\n\nviolation contains v if {\n\tsome a in input.cluster.items\n\tsome b in input.cluster.items\n\tsome c in input.cluster.items\n\ta + b + c == -1\n\tv := {\"field\": \"\", \"reason\": \"Never\", \"msg\": \"never\"}\n}\n"
	s, err := Load(minimal(map[string]string{"cluster/cluster.rego": slow}), WithTimeout(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	items := make([]any, 300)
	for i := range items {
		items[i] = i
	}
	start := time.Now()
	_, err = s.EvalCluster(context.Background(), ClusterInput{Cluster: map[string]any{"items": items}})
	if err == nil || !strings.Contains(err.Error(), "within 10ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a deadline error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("evaluation stopped after %s, want about 10ms", d)
	}
}

// TestCapabilitiesLackForbidden: the compiler refuses forbidden built-ins on its own,
// should a call slip past checkForbidden.
func TestCapabilitiesLackForbidden(t *testing.T) {
	for name := range forbidden {
		mods, err := parseModules(map[string]string{"x.rego": "package x\n\ny := " + name + "(1)\n"})
		if err != nil {
			t.Fatal(err)
		}
		c := newCompiler()
		if c.Compile(mods); !c.Failed() || !strings.Contains(c.Errors.Error(), "undefined function "+name) {
			t.Errorf("compile errors %v, want undefined function %s", c.Errors, name)
		}
	}
}
