package cli

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// TestConnectPod fills the engines' pod templates from a cluster's status.
func TestConnectPod(t *testing.T) {
	ready := &dbaasv1.DatabaseCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "orders"},
		Status: dbaasv1.DatabaseClusterStatus{Phase: dbaasv1.ClusterPhase("Ready"), Primary: "orders-2", Members: []dbaasv1.Member{
			{Name: "orders-controllers-0", Role: "controller"}, {Name: "orders-brokers-3", Role: "broker"}, {Name: "orders-brokers-4", Role: "broker"},
		}},
	}
	creating := &dbaasv1.DatabaseCluster{ObjectMeta: metav1.ObjectMeta{Name: "orders"}, Status: dbaasv1.DatabaseClusterStatus{Phase: "Creating"}}
	tests := map[string]struct {
		template string                   // the engine's cli.connect.pod
		cluster  *dbaasv1.DatabaseCluster // the cluster
		want     string                   // the pod
		err      string                   // or the error
	}{
		"the primary":              {template: "{primary}", cluster: ready, want: "orders-2"},
		"a name from the cluster":  {template: "{cluster}-pxc-0", cluster: ready, want: "orders-pxc-0"},
		"the first of a role":      {template: "{member:broker}", cluster: ready, want: "orders-brokers-3"},
		"no primary yet":           {template: "{primary}", cluster: creating, err: "DatabaseCluster orders has no status.primary yet (phase Creating)"},
		"no member of the role":    {template: "{member:broker}", cluster: creating, err: "no member with role broker in status.members yet"},
		"an unterminated template": {template: "{member:broker", cluster: ready, err: "unterminated {member:ROLE}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := connectPod(tc.template, tc.cluster)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestShellJoin quotes what a shell would split or expand, so that the command
// connect --print prints runs as it would have.
func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"kubectl", "--namespace=shop", "exec", "--", "sh", "-c", `exec mongosh -u "$USER"`, "it's", ""})
	want := `kubectl --namespace=shop exec -- sh -c 'exec mongosh -u "$USER"' 'it'\''s' ''`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestRefusal lists each reason of an admission denial with its field, and keeps
// other errors as they are.
func TestRefusal(t *testing.T) {
	denied := apierrors.NewInvalid(schema.GroupKind{Group: "dbaas.io", Kind: "OpsRequest"}, "pets-out", field.ErrorList{
		field.Forbidden(field.NewPath("spec", "horizontalScaling", "replicas"), "at most 5 in tier small"),
		field.Forbidden(field.NewPath("spec", "type"), "the cluster is not Ready"),
	})
	got := refusal("HorizontalScaling of DatabaseCluster pets", denied).Error()
	want := "HorizontalScaling of DatabaseCluster pets was refused:\n" +
		"  spec.horizontalScaling.replicas: Forbidden: at most 5 in tier small\n" +
		"  spec.type: Forbidden: the cluster is not Ready"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := refusal("x", errors.New("connection refused")).Error(); got != "cannot create x: connection refused" {
		t.Fatalf("got %q", got)
	}
}

// TestPluginName: run as kubectl-dbaas, the help speaks of "kubectl dbaas".
func TestPluginName(t *testing.T) {
	saved := os.Args[0]
	defer func() { os.Args[0] = saved }()
	for _, tc := range []struct{ argv0, want string }{
		{"/usr/local/bin/kubectl-dbaas", "kubectl dbaas [command]"},
		{"/usr/local/bin/dbaasctl", "dbaasctl [command]"},
	} {
		os.Args[0] = tc.argv0
		var out, errOut bytes.Buffer
		if code := Execute(NewRoot(Streams{Out: &out, ErrOut: &errOut}), []string{"--help"}); code != 0 {
			t.Fatalf("%s --help: exit code %d: %s", tc.argv0, code, &errOut)
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s --help does not say %q:\n%s", tc.argv0, tc.want, &out)
		}
	}
}
