package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"dbaas.io/operator/internal/devcluster"
)

// operatorStopTimeout is how long the operator has to stop on SIGTERM before it is
// killed.
const operatorStopTimeout = 30 * time.Second

// operatorProcess is the dbaas-operator binary, run as a process of its own so that
// its memory and CPU are its own.
type operatorProcess struct {
	cmd *exec.Cmd
	// metricsURL and readyURL are its metrics and readiness endpoints.
	metricsURL, readyURL string
	logPath              string
	log                  *os.File
	// exited is closed when the process has exited; exitErr is then its result.
	exited  chan struct{}
	exitErr error
}

// startOperator runs the operator against the control plane with args (its shard's
// and the user's), its metrics and probes on ports of its own, and waits until it
// reports ready.
func startOperator(ctx context.Context, binary string, args, env []string, cp *devcluster.Cluster, logPath string) (*operatorProcess, error) {
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	probePort, err := freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("cannot create the operator's log: %w", err)
	}
	p := &operatorProcess{
		metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort),
		readyURL:   fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort),
		logPath:    logPath,
		log:        log,
		exited:     make(chan struct{}),
	}
	own := []string{
		"--kubeconfig=" + cp.KubeconfigPath,
		"--metrics-bind-address=" + fmt.Sprintf("127.0.0.1:%d", metricsPort),
		// The benchmark scrapes with no token, on the loopback interface.
		"--metrics-secure=false",
		"--health-probe-bind-address=" + fmt.Sprintf("127.0.0.1:%d", probePort),
	}
	p.cmd = exec.Command(binary, append(own, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	// A process group of its own: a Ctrl-C reaches the benchmark, which stops the
	// operator before the control plane.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("cannot start %s: %w", binary, err), log.Close())
	}
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx); err != nil {
		return nil, errors.Join(err, p.stop())
	}
	return p, nil
}

func (p *operatorProcess) pid() int { return p.cmd.Process.Pid }

// waitReady polls the readiness endpoint until it answers 200.
func (p *operatorProcess) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.readyURL, nil)
		if err != nil {
			return fmt.Errorf("cannot build the readiness request: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("readyz: %s", resp.Status)
		}
		last = err
		select {
		case <-p.exited:
			return fmt.Errorf("the operator exited while starting: %v\n%s", p.exitErr, p.logErrors())
		case <-ctx.Done():
			return fmt.Errorf("the operator did not become ready: %w (last check: %v)", ctx.Err(), last)
		case <-t.C:
		}
	}
}

// running reports an early exit of the operator, with its errors.
func (p *operatorProcess) running() error {
	select {
	case <-p.exited:
		return fmt.Errorf("the operator exited: %v\n%s", p.exitErr, p.logErrors())
	default:
		return nil
	}
}

// stop sends SIGTERM to the operator and waits for it, or kills it after
// operatorStopTimeout, then closes its log.
func (p *operatorProcess) stop() error {
	var errs []error
	select {
	case <-p.exited:
	default:
		// ESRCH: the process exited since the check above.
		if err := syscall.Kill(-p.pid(), syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("cannot stop the operator: %w", err))
		}
		select {
		case <-p.exited:
		case <-time.After(operatorStopTimeout):
			errs = append(errs, errors.New("the operator did not stop in time: killed it"))
			if err := syscall.Kill(-p.pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("cannot kill the operator: %w", err))
			}
			<-p.exited
		}
	}
	if err := p.log.Close(); err != nil {
		errs = append(errs, fmt.Errorf("cannot close the operator's log: %w", err))
	}
	return errors.Join(errs...)
}

// logErrors returns the last error lines of the operator's log.
func (p *operatorProcess) logErrors() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "ERROR") || strings.Contains(l, "error") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return fmt.Sprintf("last errors in %s:\n%s", p.logPath, strings.Join(lines, "\n"))
}

// scrape reads the operator's metrics.
func (p *operatorProcess) scrape(ctx context.Context) (metrics, error) {
	return scrapeHTTP(ctx, p.metricsURL)
}

// memory is one operator process's memory at one moment.
type memory struct {
	RSSBytes int64 `json:"rssBytes"`
	// AnonBytes and FileBytes split RSSBytes: anonymous memory, and pages of the
	// mapped binary.
	AnonBytes int64 `json:"anonBytes"`
	FileBytes int64 `json:"fileBytes"`
	// HeapLiveBytes is the heap the last GC found live (go_gc_heap_live_bytes);
	// nil when the operator does not expose it.
	HeapLiveBytes *int64 `json:"heapLiveBytes,omitempty"`
}

// memory reads the operator's RSS and live heap.
func (p *operatorProcess) memory(ctx context.Context) (memory, error) {
	rss, err := readResidentMemory(p.pid())
	if err != nil {
		return memory{}, err
	}
	s := memory{RSSBytes: rss.RSS, AnonBytes: rss.Anon, FileBytes: rss.File}
	m, err := p.scrape(ctx)
	if err != nil {
		return memory{}, err
	}
	if m.has(heapLiveMetric) {
		live := int64(m.sum(heapLiveMetric, nil))
		s.HeapLiveBytes = &live
	}
	return s, nil
}

// heapLiveMetric is runtime/metrics' /gc/heap/live:bytes, which controller-runtime's
// Go collector exports.
const heapLiveMetric = "go_gc_heap_live_bytes"

// freePort asks the kernel for a free loopback port. Another process may take it
// before the operator binds it; the start then fails and says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("cannot release a free port: %w", err)
	}
	return port, nil
}
