package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// escapeActions writes text so that Helm prints it as it is: the {{ … }} of
// Prometheus's alert templates and Grafana's legends are not the chart's.
func escapeActions(text string) string {
	const open, close = "\x00open\x00", "\x00close\x00"
	text = strings.NewReplacer("{{", open, "}}", close).Replace(text)
	return strings.NewReplacer(open, `{{ "{{" }}`, close, `{{ "}}" }}`).Replace(text)
}

// replaceExactly replaces old with new in text, failing unless old occurs want times:
// the source's layout changed, and the template would silently miss a value.
func replaceExactly(src, text, old, new string, want int) (string, error) {
	if n := strings.Count(text, old); n != want {
		return "", fmt.Errorf("%s: %q occurs %d times, want %d (update hack/chartgen with the layout)", src, old, n, want)
	}
	return strings.ReplaceAll(text, old, new), nil
}

// ruleTemplate copies the PrometheusRule of config/prometheus as text (its comments
// and block scalars stay as written), in the release's namespace, with the chart's
// labels and its values for how long a condition holds (`for: 10m` in config) and the
// severity (`severity: warning`); the operator-down alert keeps its own.
func ruleTemplate(src string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	text := escapeActions(string(b))
	steps := []struct {
		old, new string
		want     int
	}{
		{"  namespace: dbaas-system\n", "  namespace: {{ .Release.Namespace }}\n", 1},
		{"  name: dbaas-operator\n", "  name: dbaas-operator\n" +
			"  labels:\n" +
			"    {{- include \"dbaas-operator.labels\" . | nindent 4 }}\n" +
			"    {{- with .Values.prometheusRule.labels }}\n" +
			"    {{- toYaml . | nindent 4 }}\n" +
			"    {{- end }}\n", 1},
		{"      for: 10m\n", "      for: {{ .Values.prometheusRule.for }}\n", 2},
		{"        severity: warning\n", "        severity: {{ .Values.prometheusRule.severity }}\n", 5},
	}
	for _, s := range steps {
		if text, err = replaceExactly(src, text, s.old, s.new, s.want); err != nil {
			return "", err
		}
	}
	return "{{- if .Values.prometheusRule.enabled }}\n" + fmt.Sprintf(header, src) + text + "{{- end }}\n", nil
}

// dashboardTemplate puts the Grafana dashboard of config/grafana into a ConfigMap
// that Grafana's dashboard sidecar loads (it looks for the label grafanaDashboard.labels
// gives, grafana_dashboard: "1" by default).
func dashboardTemplate(src, key string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	if !json.Valid(b) {
		return "", fmt.Errorf("%s: not valid JSON", src)
	}
	var body strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		body.WriteString("    " + line + "\n")
	}
	return "{{- if .Values.grafanaDashboard.enabled }}\n" + fmt.Sprintf(header, src) +
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dbaas-operator-dashboard\n" +
		"  namespace: {{ .Release.Namespace }}\n" +
		"  labels:\n" +
		"    {{- include \"dbaas-operator.labels\" . | nindent 4 }}\n" +
		"    {{- with .Values.grafanaDashboard.labels }}\n" +
		"    {{- toYaml . | nindent 4 }}\n" +
		"    {{- end }}\n" +
		"data:\n  " + key + ": |\n" + escapeActions(body.String()) + "{{- end }}\n", nil
}
