package controller_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/controller"
)

// TestOpsRotateCredentialsWritesThePasswordOnce: the operator dies after the
// Password step wrote the new password to <cluster>-app and before it recorded the
// step Done; the retry finds the Secret written by this operation (its UID, in the
// same patch) and does not generate a second password. The derived keys carry the
// new password and none the old one, and the password appears in no status or Event.
func TestOpsRotateCredentialsWritesThePasswordOnce(t *testing.T) {
	ns := namespace(t)
	readyCluster(t, newCluster(ns, "pets"))
	before := appSecret(t, ns, "pets-app")
	oldPassword := string(before.Data["password"])
	if oldPassword == "" {
		t.Fatal("the simulated CloudNativePG wrote no password to pets-app")
	}
	createOps(t, newOps(ns, "pets-rotate", "pets", dbaasv1.OpsRotateCredentials))
	f := &faults{}
	r, _ := opsReconciler(t, f.client(k8s))

	if !reconcileUntil(t, r, ns, "pets-rotate", controller.StepPoint("after", 0)) {
		t.Fatal("the operation never wrote its password")
	}
	written := appSecret(t, ns, "pets-app")
	password := string(written.Data["password"])
	if password == oldPassword || len(password) != 32 {
		t.Fatalf("after the step: a password of %d characters, changed: %t; want a new one of 32", len(password), password != oldPassword)
	}
	uid := string(getOps(t, ns, "pets-rotate").UID)
	if got := written.Annotations[dbaasv1.PasswordRotatedByAnnotation]; got != uid {
		t.Fatalf("annotation %s = %q, want the OpsRequest's UID %s", dbaasv1.PasswordRotatedByAnnotation, got, uid)
	}

	mustReconcileOps(t, r, ns, "pets-rotate")
	o := getOps(t, ns, "pets-rotate")
	if !o.Status.Plan.Applied() || o.Status.Plan.Steps[0].Message != "Secret pets-app has the new password already" {
		t.Fatalf("after the retry: steps %+v; want the step found done", o.Status.Plan.Steps)
	}
	after := appSecret(t, ns, "pets-app")
	if string(after.Data["password"]) != password {
		t.Fatal("the retry generated a second password")
	}
	if n := f.calls("patch", "Secret"); n != 1 {
		t.Fatalf("the Secret was patched %d times, want 1", n)
	}
	for k, v := range after.Data {
		if strings.Contains(string(v), oldPassword) {
			t.Errorf("key %s still carries the old password", k)
		}
	}
	for _, k := range []string{"uri", "jdbc-uri", "fqdn-uri", "fqdn-jdbc-uri", "pgpass"} {
		if !strings.Contains(string(after.Data[k]), password) {
			t.Errorf("key %s does not carry the new password", k)
		}
	}
	if string(after.Data["username"]) != "app" {
		t.Errorf("username = %q, want app unchanged", after.Data["username"])
	}
	status, err := json.Marshal(o.Status)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(status), password) {
		t.Error("the OpsRequest's status carries the password")
	}
	for ev := range drain(r.Recorder.(*events.FakeRecorder)) {
		if strings.Contains(ev, password) {
			t.Errorf("an Event carries the password: %q", ev)
		}
	}
}

// appSecret reads a Secret.
func appSecret(t *testing.T, ns, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// drain returns the Events recorded so far.
func drain(r *events.FakeRecorder) chan string {
	out := make(chan string, len(r.Events))
	for {
		select {
		case e := <-r.Events:
			out <- e
		default:
			close(out)
			return out
		}
	}
}

// TestPasswordData: the new password goes into the key and, in each derived key, in
// place of the old one as is and escaped for a URI's userinfo or query; a derived
// key without the old password stays as it is, and one that is absent is not added.
func TestPasswordData(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	data := map[string]any{
		"password": b64("p@ss/w rd"),
		"uri":      b64("postgresql://app:p%40ss%2Fw%20rd@h:5432/app"),
		"jdbc-uri": b64("jdbc:postgresql://h:5432/app?password=p%40ss%2Fw+rd&user=app"),
		"pgpass":   b64("h:5432:app:app:p@ss/w rd\n"),
		"host":     b64("h"),
	}
	step := &dbaasv1.OpsPasswordStep{Key: "password", Derived: []string{"uri", "jdbc-uri", "pgpass", "host", "fqdn-uri"}}
	got, err := controller.PasswordData(data, step, "NEW")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"password": b64("NEW"),
		"uri":      b64("postgresql://app:NEW@h:5432/app"),
		"jdbc-uri": b64("jdbc:postgresql://h:5432/app?password=NEW&user=app"),
		"pgpass":   b64("h:5432:app:app:NEW\n"),
		"host":     b64("h"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("data patch:\n got %v\nwant %v", got, want)
	}
}

// TestNewPassword: 32 letters and digits, a different one each time.
func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p, err := controller.NewPassword()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(p) {
			t.Fatalf("password of %d characters outside letters and digits", len(p))
		}
		if seen[p] {
			t.Fatal("the same password twice")
		}
		seen[p] = true
	}
}
