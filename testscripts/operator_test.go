package testscripts

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"dbaas.io/operator/internal/operator"
)

// operatorProcess runs the operator in this test process, as `dbaas-operator` would
// run it, and can restart it with other options (a policy or engine override).
type operatorProcess struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
}

// start runs the operator with o plus the control plane's webhook settings. Its API
// calls go through env.faults.
func (p *operatorProcess) start(o operator.Options) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	o.Webhooks = true
	o.RestartableInProcess = true
	o.WebhookHost = env.cluster.WebhookHost
	o.WebhookPort = env.cluster.WebhookPort
	o.WebhookCertDir = env.cluster.WebhookCertDir
	mgr, err := operator.New(env.faults.Wrap(env.cluster.Config), o)
	if err != nil {
		return fmt.Errorf("cannot create the operator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan error, 1)
	go func() { p.done <- mgr.Start(ctx) }()
	return nil
}

// stop stops the operator and waits for it.
func (p *operatorProcess) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	err := <-p.done
	p.cancel = nil
	return err
}

// restart stops the operator and starts it with o.
func (p *operatorProcess) restart(o operator.Options) error {
	if err := p.stop(); err != nil {
		return fmt.Errorf("cannot stop the operator: %w", err)
	}
	if err := p.start(o); err != nil {
		return fmt.Errorf("cannot start the operator: %w", err)
	}
	return nil
}

// operatorLogPath is the file the operator logs to: DBAAS_OPERATOR_LOG, or a
// temporary file whose errors are printed when a test fails.
var operatorLogPath string

// operatorLog opens the operator's log file, so test output stays readable.
func operatorLog() io.Writer {
	operatorLogPath = os.Getenv("DBAAS_OPERATOR_LOG")
	if operatorLogPath == "" {
		operatorLogPath = filepath.Join(os.TempDir(), fmt.Sprintf("dbaas-operator-%d.log", os.Getpid()))
	}
	f, err := os.Create(operatorLogPath)
	if err != nil {
		return io.Discard
	}
	return f
}

// printOperatorErrors prints the errors and warnings the operator logged, the last
// ones first in importance, so a failure in CI can be understood from its output.
func printOperatorErrors() {
	b, err := os.ReadFile(operatorLogPath)
	if err != nil {
		return
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "\tERROR\t") || strings.Contains(l, `"type": "Warning"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	fmt.Fprintf(os.Stderr, "operator log: %s; its last errors and warnings:\n%s\n", operatorLogPath, strings.Join(lines, "\n"))
}
