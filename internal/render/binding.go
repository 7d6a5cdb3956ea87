package render

import (
	"fmt"
	"sort"
	"strings"
)

// BindingKeys are the Secret keys every engine's binding Secret holds, the same for
// every engine: the well-known entries of a Service Binding (servicebinding.io)
// Secret, and database. An engine may add its own (ca.crt, bootstrap-servers).
var BindingKeys = []string{"type", "provider", "host", "port", "username", "password", "database", "uri"}

// checkBinding checks the engine's binding: it names a rendered Secret which,
// between the keys the engine renders and the ones it copies (secretData), holds
// every key of BindingKeys.
func checkBinding(e *Engine, objects map[string]map[string]any, secretData map[string]map[string]SecretKeyRef) error {
	if e.Binding == "" {
		return nil
	}
	obj, ok := objects[e.Binding]
	if !ok || obj["apiVersion"] != "v1" || obj["kind"] != "Secret" {
		return fmt.Errorf("engine %s: binding %q names no rendered Secret", e.Name, e.Binding)
	}
	have := map[string]bool{}
	for _, field := range []string{"data", "stringData"} {
		if data, ok := obj[field].(map[string]any); ok {
			for k := range data {
				have[k] = true
			}
		}
	}
	for k := range secretData[e.Binding] {
		have[k] = true
	}
	var lacks []string
	for _, k := range BindingKeys {
		if !have[k] {
			lacks = append(lacks, k)
		}
	}
	if len(lacks) > 0 {
		sort.Strings(lacks)
		return fmt.Errorf("engine %s: the binding Secret (key %s) lacks %s: render them or copy them (secretData.%s)",
			e.Name, e.Binding, strings.Join(lacks, ", "), e.Binding)
	}
	return nil
}
