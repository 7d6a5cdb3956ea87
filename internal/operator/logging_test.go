package operator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// TestLogFormats: the JSON log is one JSON object a line, with the message and its
// values as fields; the console log is text a person reads, not JSON.
func TestLogFormats(t *testing.T) {
	var out bytes.Buffer
	NewLogger(LogJSON, &out, zap.Options{}).Info("reconciled", "cluster", "pets")
	var entry map[string]any
	if err := json.Unmarshal(out.Bytes(), &entry); err != nil {
		t.Fatalf("the JSON log %q does not parse: %v", out.String(), err)
	}
	if entry["msg"] != "reconciled" || entry["cluster"] != "pets" {
		t.Errorf("JSON entry %v, want msg reconciled and cluster pets", entry)
	}

	out.Reset()
	NewLogger(LogConsole, &out, zap.Options{Development: true}).Info("reconciled", "cluster", "pets")
	line := out.String()
	if json.Valid(bytes.TrimSpace(out.Bytes())) {
		t.Errorf("the console log %q is JSON", line)
	}
	if !strings.Contains(line, "\tINFO\t") || !strings.Contains(line, "reconciled") {
		t.Errorf("the console log %q does not read level, then message", line)
	}
}

// TestLogFormatFlag: --log-format takes json or console, and nothing else.
func TestLogFormatFlag(t *testing.T) {
	for _, s := range []string{"json", "console"} {
		if f, err := ParseLogFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseLogFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseLogFormat("text"); err == nil {
		t.Error("ParseLogFormat accepted text")
	}
}
