package devcluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	controllerManagerBinary = "kube-controller-manager"

	// collectors are the controllers that make deletion behave as in a real
	// cluster: the garbage collector follows ownerReferences, the namespace
	// controller empties and removes deleted namespaces. Others need nodes, cloud
	// providers or service account keys that a local control plane has not.
	collectors = "garbage-collector-controller,namespace-controller"

	// healthPollInterval is how often the start waits on the health endpoint.
	healthPollInterval = 250 * time.Millisecond
	// logTailLines is how much of the log an error quotes.
	logTailLines = 30
)

// controllerManager is a running kube-controller-manager.
type controllerManager struct {
	cmd *exec.Cmd
	// logPath receives the process's stdout and stderr.
	logPath string
	log     *os.File
	// dir holds the serving certificate (and the log by default); stop removes it.
	dir string
	// exited is closed when the process has exited; exitErr is then its result.
	exited  chan struct{}
	exitErr error
}

// startControllerManager runs kube-controller-manager with the garbage collector and
// namespace controllers against the API server of kubeconfig, and waits until both
// controllers are running. The log goes to logPath, or into a temporary directory
// that stop removes when logPath is empty.
func startControllerManager(ctx context.Context, binary, kubeconfig, logPath string) (*controllerManager, error) {
	dir, err := os.MkdirTemp("", "devcluster-kcm-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a directory for kube-controller-manager: %w", err)
	}
	if logPath == "" {
		logPath = filepath.Join(dir, controllerManagerBinary+".log")
	} else if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, errors.Join(fmt.Errorf("cannot create the directory of the kube-controller-manager log: %w", err), os.RemoveAll(dir))
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("cannot create the kube-controller-manager log: %w", err), os.RemoveAll(dir))
	}
	port, err := freePort()
	if err != nil {
		return nil, errors.Join(err, log.Close(), os.RemoveAll(dir))
	}
	cm := &controllerManager{logPath: logPath, log: log, dir: dir, exited: make(chan struct{})}
	cm.cmd = exec.Command(binary,
		"--kubeconfig="+kubeconfig,
		"--controllers="+collectors,
		"--leader-elect=false",
		// Serve health checks on loopback only, with a self-signed certificate
		// written to dir so that the wait below can verify it.
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+dir,
	)
	cm.cmd.Stdout, cm.cmd.Stderr = log, log
	// A process group of its own, as envtest gives etcd and kube-apiserver, so a
	// Ctrl-C in the terminal reaches the parent, which stops it in order.
	cm.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cm.cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("cannot start kube-controller-manager: %w", err), log.Close(), os.RemoveAll(dir))
	}
	go func() {
		cm.exitErr = cm.cmd.Wait()
		close(cm.exited)
	}()
	if err := cm.waitHealthy(ctx, port); err != nil {
		return nil, errors.Join(err, cm.terminate(), cm.cleanup())
	}
	return cm, nil
}

// waitHealthy polls the health endpoint until it lists both controllers as
// healthy: they are registered only once built, after the API server's discovery
// was read. It gives up when the process exits, ctx ends or startTimeout passes.
func (cm *controllerManager) waitHealthy(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz?verbose", port)
	ticker := time.NewTicker(healthPollInterval)
	defer ticker.Stop()
	var last error
	for {
		if last = cm.checkHealth(ctx, url); last == nil {
			return nil
		}
		select {
		case <-cm.exited:
			return fmt.Errorf("kube-controller-manager exited while starting: %v\n%s", cm.exitErr, cm.logTail())
		case <-ctx.Done():
			return fmt.Errorf("kube-controller-manager did not become healthy: %w (last check: %v)\n%s", ctx.Err(), last, cm.logTail())
		case <-ticker.C:
		}
	}
}

// checkHealth reports why the controllers are not healthy yet, or nil once they are.
func (cm *controllerManager) checkHealth(ctx context.Context, url string) error {
	client, err := cm.healthClient()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("cannot build the health request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot get %s: %w", url, err)
	}
	defer client.CloseIdleConnections()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("cannot read the health report: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check returned %s: %s", resp.Status, body)
	}
	for _, name := range strings.Split(collectors, ",") {
		if !bytes.Contains(body, []byte("[+]"+name+" ok")) {
			return fmt.Errorf("%s is not running yet", name)
		}
	}
	return nil
}

// healthClient trusts the certificate that kube-controller-manager writes to its
// certificate directory: the serving certificate followed by its self-signed CA.
func (cm *controllerManager) healthClient() (*http.Client, error) {
	pem, err := os.ReadFile(filepath.Join(cm.dir, controllerManagerBinary+".crt"))
	if err != nil {
		return nil, fmt.Errorf("cannot read the serving certificate: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, errors.New("cannot parse the serving certificate")
	}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		},
	}, nil
}

// stop ends the process and removes its files. It reports an exit before stop was
// asked, with the end of the log, since the controllers stopped collecting then.
func (cm *controllerManager) stop() error {
	select {
	case <-cm.exited:
		early := fmt.Errorf("kube-controller-manager had exited: %v\n%s", cm.exitErr, cm.logTail())
		return errors.Join(early, cm.cleanup())
	default:
		return errors.Join(cm.terminate(), cm.cleanup())
	}
}

// terminate sends SIGTERM and waits for the exit, or sends SIGKILL after stopTimeout.
func (cm *controllerManager) terminate() error {
	select {
	case <-cm.exited:
		return nil
	default:
	}
	// ESRCH: the process exited since the check above.
	if err := syscall.Kill(-cm.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("cannot stop kube-controller-manager: %w", err)
	}
	select {
	case <-cm.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	timeout := errors.New("kube-controller-manager did not stop in time: killed it")
	if err := syscall.Kill(-cm.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return errors.Join(timeout, fmt.Errorf("cannot kill kube-controller-manager: %w", err))
	}
	<-cm.exited
	return timeout
}

// cleanup closes the log and removes the directory of the exited process.
func (cm *controllerManager) cleanup() error {
	var errs []error
	if err := cm.log.Close(); err != nil {
		errs = append(errs, fmt.Errorf("cannot close the kube-controller-manager log: %w", err))
	}
	if err := os.RemoveAll(cm.dir); err != nil {
		errs = append(errs, fmt.Errorf("cannot remove the kube-controller-manager directory: %w", err))
	}
	return errors.Join(errs...)
}

// logTail returns the last lines of the log, or why it cannot be read.
func (cm *controllerManager) logTail() string {
	data, err := os.ReadFile(cm.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", cm.logPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return fmt.Sprintf("last lines of %s:\n%s", cm.logPath, strings.Join(lines, "\n"))
}

// freePort asks the kernel for a free loopback port. Another process may take it
// before kube-controller-manager binds it; the start then fails and says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free port for kube-controller-manager: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("cannot release the port for kube-controller-manager: %w", err)
	}
	return port, nil
}
