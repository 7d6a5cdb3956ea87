package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestSecretData: the render carries what the engine copies into its Secrets, by
// object and data key, and never the values, which no evaluation sees.
func TestSecretData(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	kafka, _ := reg.Get("kafka")
	r, err := kafka.Render(cluster("kafka", "events", 3))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]render.SecretKeyRef{
		"password":         {Secret: "events-app", Key: "password"},
		"sasl.jaas.config": {Secret: "events-app", Key: "sasl.jaas.config"},
		"ca.crt":           {Secret: "events-cluster-ca-cert", Key: "ca.crt"},
		// The binding's uri is the password put into the listener's address.
		"uri": {Secret: "events-app", Key: "password",
			URI: "kafka://events-app:{value}@events-kafka-bootstrap.ns.svc:9093?security.protocol=SASL_SSL&sasl.mechanism=SCRAM-SHA-512"},
	}
	got := r.SecretData["connection"]
	if len(got) != len(want) {
		t.Fatalf("secretData.connection = %v, want %v", got, want)
	}
	for k, ref := range want {
		if got[k] != ref {
			t.Errorf("secretData.connection[%s] = %v, want %v", k, got[k], ref)
		}
	}
	for _, o := range r.Objects {
		if o.Key != "connection" {
			continue
		}
		data, _ := o.Object.Object["data"].(map[string]any)
		for k := range want {
			if _, ok := data[k]; ok {
				t.Errorf("the rendered connection Secret has %s: copied values are never rendered", k)
			}
		}
		return
	}
	t.Fatal("no connection Secret rendered")
}

// TestSecretDataNamesASecret: secretData under a key that is no rendered Secret fails
// the render, naming the key.
func TestSecretDataNamesASecret(t *testing.T) {
	dir := t.TempDir()
	copyEngine(t, "kafka", filepath.Join(dir, "kafka"))
	wrong := "package kafka\n\nsecretData: kafka: password: {secret: \"events-app\", key: \"password\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "kafka", "wrong.cue"), []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	kafka, _ := reg.Get("kafka")
	_, err = kafka.Render(cluster("kafka", "events", 3))
	if err == nil || !strings.Contains(err.Error(), "secretData.kafka names no rendered Secret") {
		t.Fatalf("render error %v, want secretData.kafka named", err)
	}
}
