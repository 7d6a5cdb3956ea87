package testscripts

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"dbaas.io/operator/internal/operator"
)

// operatorProcess runs the operator in this test process, as `dbaas-operator` would
// run it, and can restart it with other options (a policy or engine override), or
// kill it from inside one of its reconciles and start a fresh one (kill). Every
// instance records its operations' writes (writes) and calls the kill switch
// (kills) at the operations' named points.
type operatorProcess struct {
	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan error
	mgr     manager.Manager
	options operator.Options
	// restarting counts the fresh operators kill is starting.
	restarting sync.WaitGroup
	// restartErr is the last error of a start after a kill.
	restartErr error
}

// start runs the operator with o plus the control plane's webhook settings. Its API
// calls go through env.faults.
func (p *operatorProcess) start(o operator.Options) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	o.Webhooks = true
	o.RestartableInProcess = true
	o.Namespace = operatorNamespace
	if o.KindPollInterval == 0 {
		o.KindPollInterval = time.Second
	}
	o.WebhookHost = env.cluster.WebhookHost
	o.WebhookPort = env.cluster.WebhookPort
	o.WebhookCertDir = env.cluster.WebhookCertDir
	waitForFreePort(o.WebhookHost, o.WebhookPort)
	o.OpsHook = env.kills.hook()
	// The write log sits next to the API server, so it counts only the writes the
	// API server received; the fault injector answers in its place before that.
	cfg := rest.CopyConfig(env.cluster.Config)
	cfg.Wrap(env.writes.wrap)
	cfg.Wrap(env.used.wrap)
	// It runs as its ServiceAccount, with the roles of config/rbac (see rbac_test.go).
	cfg.Impersonate = rest.ImpersonationConfig{UserName: operatorUser}
	mgr, err := operator.New(env.faults.Wrap(cfg), o)
	if err != nil {
		return fmt.Errorf("cannot create the operator: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done, p.mgr, p.options = cancel, make(chan error, 1), mgr, o
	go func() { p.done <- mgr.Start(ctx) }()
	return nil
}

// waitForFreePort waits, up to 30 s, until nothing listens on the webhook port: the
// webhook server of a manager that stopped may still be closing its listener, and
// a fresh manager that cannot bind the port stops at once, leaving no operator.
func waitForFreePort(host string, port int) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			_ = l.Close()
			return
		}
	}
}

// stop stops the operator and waits for it, after any fresh one a kill is starting.
func (p *operatorProcess) stop() error {
	p.restarting.Wait()
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	return waitStopped(done)
}

// waitStopped waits for a stopping operator's result, and writes the goroutines to
// the operator's log if it takes longer than stopDumpAfter.
func waitStopped(done <-chan error) error {
	select {
	case err := <-done:
		return err
	case <-time.After(stopDumpAfter):
		dumpGoroutines()
		return <-done
	}
}

// stopDumpAfter is how long a stop may take before the goroutines are written to
// the operator's log: a manager that does not stop within its grace period (30 s)
// fails the test, and the dump shows what it waits for.
const stopDumpAfter = 25 * time.Second

// stopDumpHeader starts a dump in the log, so a failed run points to it.
const stopDumpHeader = "the operator does not stop; its goroutines:"

// dumpGoroutines writes every goroutine's stack to the operator's log.
func dumpGoroutines() {
	f, err := os.OpenFile(operatorLogPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, stopDumpHeader)
	_ = pprof.Lookup("goroutine").WriteTo(f, 2)
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

// operatorNamespace is the operator's own namespace, where it keeps the last good
// overrides.
const operatorNamespace = "dbaas-system"

// kill stops the operator at once, as a crash would: it is called from inside one
// of its reconciles, which then panics, so it cannot wait there. A fresh operator
// with the same options starts once the old one has stopped.
func (p *operatorProcess) kill() {
	p.mu.Lock()
	cancel, done, o := p.cancel, p.done, p.options
	p.cancel = nil
	p.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	p.restarting.Add(1)
	go func() {
		defer p.restarting.Done()
		_ = waitStopped(done)
		err := p.start(o)
		p.mu.Lock()
		p.restartErr = err
		p.mu.Unlock()
	}()
}

// ready waits until no fresh operator is being started and the running one serves
// its webhooks, so that a script can apply objects again.
func (p *operatorProcess) ready(ctx context.Context) error {
	p.restarting.Wait()
	p.mu.Lock()
	mgr, err := p.mgr, p.restartErr
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("the fresh operator did not start: %w", err)
	}
	server, ok := mgr.GetWebhookServer().(*webhook.DefaultServer)
	if !ok {
		return nil
	}
	check := server.StartedChecker()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		err := check(req)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the operator's webhooks do not serve: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
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
	if strings.Contains(string(b), stopDumpHeader) {
		fmt.Fprintf(os.Stderr, "an operator did not stop in time: the log has its goroutines after %q\n", stopDumpHeader)
	}
}
