package render_test

import (
	"testing"
	"time"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestOperationDefaults: queue and defaultTimeoutSeconds are read once when an
// engine loads, with the contract's defaults (queued, one hour) where the engine
// sets none.
func TestOperationDefaults(t *testing.T) {
	registry, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		engine, op string
		// queued and timeout are what the engine declares for op.
		unqueued bool
		timeout  time.Duration
	}{
		"postgresql scaling": {engine: "postgresql", op: "HorizontalScaling", timeout: time.Hour},
		"postgresql backup":  {engine: "postgresql", op: "Backup", unqueued: true, timeout: 6 * time.Hour},
		"mysql restore":      {engine: "mysql", op: "Restore", unqueued: true, timeout: 6 * time.Hour},
		"kafka restart":      {engine: "kafka", op: "Restart", timeout: time.Hour},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, ok := registry.Get(tc.engine)
			if !ok {
				t.Fatalf("no engine %s", tc.engine)
			}
			if got := e.Unqueued[tc.op]; got != tc.unqueued {
				t.Errorf("unqueued = %v, want %v", got, tc.unqueued)
			}
			if got := e.OperationTimeout(tc.op); got != tc.timeout {
				t.Errorf("timeout = %s, want %s", got, tc.timeout)
			}
		})
	}
}
