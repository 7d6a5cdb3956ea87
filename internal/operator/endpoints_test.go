package operator

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	"dbaas.io/operator/internal/devcluster"
)

// TestEndpoints runs the operator's metrics and probe endpoints against a real API
// server, which authenticates and authorizes the metrics scrapers.
func TestEndpoints(t *testing.T) {
	ctx := context.Background()
	cluster, err := devcluster.Start(ctx, devcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	t.Run("metrics need a token granted dbaas-metrics-reader", func(t *testing.T) { testSecureMetrics(t, cluster) })
	t.Run("readyz follows the webhook server", func(t *testing.T) { testReadyzFollowsWebhooks(t, cluster) })
}

// testSecureMetrics starts the operator as the binary does (--metrics-secure), as
// its ServiceAccount with the generated ClusterRole of config/rbac (so the
// endpoint's TokenReviews and SubjectAccessReviews prove that role grants them),
// and scrapes it as nobody, as a ServiceAccount without the metrics-reader grant,
// and as one bound to config/rbac's dbaas-metrics-reader.
func testSecureMetrics(t *testing.T, cluster *devcluster.Cluster) {
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	serviceAccount := func(ns, name string) {
		t.Helper()
		if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(file, role, ns, name string) {
		t.Helper()
		r := shippedClusterRole(t, file, role)
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: role + "-" + name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}},
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	token := func(ns, name string) string {
		t.Helper()
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	serviceAccount("dbaas-system", "dbaas-operator")
	grant("role.yaml", "dbaas-operator", "dbaas-system", "dbaas-operator")
	serviceAccount("monitoring", "prometheus")
	serviceAccount("monitoring", "stranger")
	grant("metrics_reader_role.yaml", "dbaas-metrics-reader", "monitoring", "prometheus")
	prometheus, stranger := token("monitoring", "prometheus"), token("monitoring", "stranger")

	addr := freeAddr(t)
	asOperator := rest.CopyConfig(cluster.Config)
	asOperator.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:dbaas-system:dbaas-operator"}
	mgr, err := New(asOperator, Options{MetricsAddr: addr, MetricsSecure: true, RestartableInProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, mgr)
	defer stop()

	url := "https://" + addr + "/metrics"
	// The certificate is self-signed: the test checks who may read, not who serves.
	insecure := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	scrape := func(token string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, "", err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := insecure.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	code, _ := eventually(t, func() (int, string, error) { return scrape("") }, func(code int, _ string) bool { return true })
	if code != http.StatusUnauthorized {
		t.Errorf("a scrape without a token got %d, want 401", code)
	}
	if code, body, err := scrape("not-a-token"); err != nil || code != http.StatusUnauthorized || strings.Contains(body, "controller_runtime") {
		t.Errorf("a scrape with a token the API server does not know got %d %v, want 401: %.200s", code, err, body)
	}
	if code, body, err := scrape(stranger); err != nil || code != http.StatusForbidden {
		t.Errorf("a ServiceAccount without the metrics-reader grant got %d %v, want 403: %s", code, err, body)
	}
	code, body := eventually(t, func() (int, string, error) { return scrape(prometheus) }, func(code int, body string) bool {
		return code == http.StatusOK && strings.Contains(body, "controller_runtime_reconcile_total")
	})
	if code != http.StatusOK || !strings.Contains(body, "controller_runtime_reconcile_total") || !strings.Contains(body, "dbaas_engine_reload_errors_total") {
		t.Errorf("the metrics-reader got %d without the operator's metrics:\n%.2000s", code, body)
	}
	plain, err := http.Get("http://" + addr + "/metrics")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Error("the secure endpoint answered plain HTTP")
		}
	}
}

// testReadyzFollowsWebhooks wires the probes as New does to a manager whose webhook
// server starts, and later stops serving, when the test says: /readyz fails before
// it serves, passes while it does, and fails again once it stops; /healthz passes
// throughout.
func testReadyzFollowsWebhooks(t *testing.T, cluster *devcluster.Cluster) {
	probes := freeAddr(t)
	webhookAddr := freeAddr(t)
	host, port, _ := net.SplitHostPort(webhookAddr)
	var webhookPort int
	fmt.Sscan(port, &webhookPort)
	certDir := t.TempDir()
	crt, key, err := certutil.GenerateSelfSignedCertKey(host, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certDir, "tls.crt"), crt, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certDir, "tls.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	release, halt := make(chan struct{}), make(chan struct{})
	server := &gatedWebhooks{
		Server:  webhook.NewServer(webhook.Options{Host: host, Port: webhookPort, CertDir: certDir}),
		release: release, halt: halt,
	}
	mgr, err := ctrl.NewManager(cluster.Config, ctrl.Options{
		HealthProbeBindAddress: probes,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		WebhookServer:          server,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := addProbes(mgr, Options{ProbeAddr: probes, Webhooks: true}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, mgr)
	defer stop()

	probe := func(path string) (int, string, error) {
		resp, err := http.Get("http://" + probes + path + "?verbose")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	ok := func(code int, _ string) bool { return code == http.StatusOK }
	notOK := func(code int, _ string) bool { return code != http.StatusOK }

	eventually(t, func() (int, string, error) { return probe("/healthz") }, ok)
	for range 5 {
		code, body, err := probe("/readyz")
		if err != nil || code == http.StatusOK || !strings.Contains(body, "[-]webhook failed") {
			t.Fatalf("readyz before the webhook server started: %d %v, want the webhook check failing:\n%s", code, err, body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	close(release)
	if code, body := eventually(t, func() (int, string, error) { return probe("/readyz") }, ok); code != http.StatusOK || !strings.Contains(body, "[+]webhook ok") {
		t.Fatalf("readyz with the webhook server serving: %d, want 200 with the webhook check:\n%s", code, body)
	}

	close(halt)
	if code, body := eventually(t, func() (int, string, error) { return probe("/readyz") }, notOK); code == http.StatusOK || !strings.Contains(body, "[-]webhook failed") {
		t.Fatalf("readyz after the webhook server stopped serving: %d, want the webhook check failing:\n%s", code, body)
	}
	if code, body, err := probe("/healthz"); err != nil || code != http.StatusOK {
		t.Fatalf("healthz after the webhook server stopped: %d %v, want 200 (liveness does not depend on it):\n%s", code, err, body)
	}
}

// gatedWebhooks is a webhook server that starts serving once release is closed and
// stops once halt is closed, while the manager goes on.
type gatedWebhooks struct {
	webhook.Server
	release, halt <-chan struct{}
}

func (g *gatedWebhooks) Start(ctx context.Context) error {
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil
	}
	serving, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-g.halt:
			cancel()
		case <-serving.Done():
		}
	}()
	if err := g.Server.Start(serving); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// run starts mgr and returns what stops it and waits for it.
func run(t *testing.T, mgr interface{ Start(context.Context) error }) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("the manager stopped with an error: %v", err)
		}
	}
}

// eventually calls get until done accepts its answer, or a minute has passed;
// it returns the last answer.
func eventually(t *testing.T, get func() (int, string, error), done func(int, string) bool) (int, string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		code, body, err := get()
		if err == nil && done(code, body) {
			return code, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: last answer %d %v:\n%.2000s", code, err, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shippedClusterRole reads the ClusterRole name from a file of config/rbac.
func shippedClusterRole(t *testing.T, file, name string) *rbacv1.ClusterRole {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", file))
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if err != nil {
			t.Fatalf("no ClusterRole %s in config/rbac/%s: %v", name, file, err)
		}
		role := &rbacv1.ClusterRole{}
		if err := yaml.Unmarshal(doc, role); err != nil {
			t.Fatal(err)
		}
		if role.Kind == "ClusterRole" && role.Name == name {
			return role
		}
	}
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
