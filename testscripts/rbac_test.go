package testscripts

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// The operator of the suite runs as its ServiceAccount: its client impersonates it,
// and the API server authorizes every call against the roles in config/rbac, as in a
// real installation. A rule the code needs and the generated role lacks fails the
// scenario that needs it.
const (
	operatorServiceAccount = "dbaas-operator"
	operatorUser           = "system:serviceaccount:" + operatorNamespace + ":" + operatorServiceAccount
	// rbacDir holds the roles `make manifests` generates and the bindings.
	rbacDir = "../config/rbac"
	// operatorRole is the generated ClusterRole (and the namespaced Role of the same
	// name) whose every grant the suite must use.
	operatorRole = "dbaas-operator"
)

// unexercisedGrants are rules of the generated role that the suite's operator cannot
// use, each with the reason and where it is tested instead.
var unexercisedGrants = map[string]string{
	// The suite's control plane issues the webhook certificate itself.
	"/secrets create": "the webhook certificate Secret: internal/certs tests",
	"/secrets update": "the webhook certificate Secret: internal/certs tests",
	"admissionregistration.k8s.io/mutatingwebhookconfigurations get":     "the CA bundle injection: internal/certs tests",
	"admissionregistration.k8s.io/mutatingwebhookconfigurations patch":   "the CA bundle injection: internal/certs tests",
	"admissionregistration.k8s.io/validatingwebhookconfigurations get":   "the CA bundle injection: internal/certs tests",
	"admissionregistration.k8s.io/validatingwebhookconfigurations patch": "the CA bundle injection: internal/certs tests",
	// Admission that the suite's API server does not enable checks it (the recorder
	// sees requests, not the API server's own checks).
	"dbaas.io/databaseclusters/finalizers update": "children owned with blockOwnerDeletion, which OwnerReferencesPermissionEnforcement (OpenShift) checks against it",
	// The policy reads a namespace from the cache; the API server only for one created
	// a moment ago that the cache has not seen, which the suite rarely races into.
	"/namespaces get": "a namespace the informer has not seen yet, read live by cacheThenLive: internal/operator TestCacheThenLiveReadsWhatTheCacheHasNotSeen",
	// The suite serves no metrics endpoint; its authentication is tested apart.
	"authentication.k8s.io/tokenreviews create":        "metrics authentication: internal/operator tests",
	"authorization.k8s.io/subjectaccessreviews create": "metrics authorization: internal/operator tests",
}

// installRBAC creates the operator's ServiceAccount, roles and bindings from
// config/rbac (the kustomization's files, as `kubectl apply -k` would).
func installRBAC(ctx context.Context, c client.Client) error {
	files, err := filepath.Glob(filepath.Join(rbacDir, "*.yaml"))
	if err != nil {
		return err
	}
	for _, file := range files {
		if filepath.Base(file) == "kustomization.yaml" {
			continue
		}
		objects, err := readObjects(file)
		if err != nil {
			return err
		}
		for _, u := range objects {
			if err := c.Create(ctx, u); err != nil {
				return fmt.Errorf("cannot create %s %s from %s: %w", u.GetKind(), u.GetName(), file, err)
			}
		}
	}
	return nil
}

// readObjects decodes the YAML documents of a file.
func readObjects(file string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", file, err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("cannot decode %s: %w", file, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// apiUse records what the operator asked the API server: "<group>/<resource> <verb>"
// with subresources as resource/subresource, the form of an RBAC rule.
// It also records the requests RBAC refused, by the same key.
type apiUse struct {
	mu      sync.Mutex
	used    map[string]bool
	refused map[string]string
}

// wrap is the operator's rest.Config transport wrapper.
func (a *apiUse) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		key, ok := ruleKey(req)
		if ok {
			a.mu.Lock()
			if a.used == nil {
				a.used = map[string]bool{}
			}
			a.used[key] = true
			a.mu.Unlock()
		}
		resp, err := rt.RoundTrip(req)
		if ok && err == nil && resp.StatusCode == http.StatusForbidden {
			if msg, denied := rbacDenial(resp); denied {
				a.mu.Lock()
				if a.refused == nil {
					a.refused = map[string]string{}
				}
				a.refused[key] = msg
				a.mu.Unlock()
			}
		}
		return resp, err
	})
}

// rbacDenial reads a Forbidden answer and reports whether RBAC refused the request
// ("User ... cannot get resource ..."), not admission (a namespace being deleted
// answers Forbidden too). The body is put back for the client.
func rbacDenial(resp *http.Response) (string, bool) {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return "", false
	}
	msg := string(body)
	if !strings.Contains(msg, operatorUser) || !strings.Contains(msg, " cannot ") {
		return "", false
	}
	return msg, true
}

// grantedByScenarios are API groups whose grants scenarios apply themselves, after
// the operator started: the kinds of engines added from a folder, which the
// operator is refused until then (as engines/README.md says of such an engine).
var grantedByScenarios = map[string]bool{"example.dbaas.io": true}

// checkNeverRefused fails when RBAC refused the operator a request: a call the code
// makes that the generated role lacks. Such a call fails on every cluster, which a
// retry with backoff would hide from the scenarios.
func checkNeverRefused(used *apiUse) error {
	used.mu.Lock()
	defer used.mu.Unlock()
	var refused []string
	for key, msg := range used.refused {
		if grantedByScenarios[strings.SplitN(key, "/", 2)[0]] {
			continue
		}
		refused = append(refused, key+": "+msg)
	}
	if len(refused) == 0 {
		return nil
	}
	sort.Strings(refused)
	return fmt.Errorf("RBAC refused the operator requests its code makes (add the verb to a +kubebuilder:rbac marker and run make manifests):\n  %s",
		strings.Join(refused, "\n  "))
}

// ruleKey names the RBAC rule a request needs; non-resource requests (discovery)
// need none the operator is granted.
func ruleKey(req *http.Request) (string, bool) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var group string
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		return "", false
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	resource, named := parts[0], len(parts) > 1
	if len(parts) > 2 {
		resource += "/" + parts[2]
	}
	var verb string
	switch req.Method {
	case http.MethodGet:
		switch {
		case named:
			verb = "get"
		case req.URL.Query().Get("watch") == "true":
			verb = "watch"
		default:
			verb = "list"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
		if !named {
			verb = "deletecollection"
		}
	default:
		return "", false
	}
	return group + "/" + resource + " " + verb, true
}

// granted lists the grants of the operator's generated roles, in the form ruleKey
// gives.
func granted() (map[string]bool, error) {
	objects, err := readObjects(filepath.Join(rbacDir, "role.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, u := range objects {
		if u.GetName() != operatorRole {
			continue
		}
		var role rbacv1.ClusterRole // a Role's rules read the same
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		if err := yaml.Unmarshal(b, &role); err != nil {
			return nil, err
		}
		for _, r := range role.Rules {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						out[g+"/"+res+" "+v] = true
					}
				}
			}
		}
	}
	return out, nil
}

// implied is what the recorded requests needed of RBAC, beyond the requests
// themselves:
//   - a watch implies list: informers list first (or stream the list in a watch, on
//     API servers that support it);
//   - a server-side apply (patch) of an object that does not exist creates it, which
//     needs create;
//   - the applier, the pruner and the status reader treat every child kind of every
//     engine alike, so a verb used on one child kind is the code path of them all.
func implied(used map[string]bool, childKinds map[string]bool) map[string]bool {
	out := map[string]bool{}
	var childVerbs []string
	for key := range used {
		out[key] = true
		resource, verb, _ := strings.Cut(key, " ")
		switch verb {
		case "watch":
			out[resource+" list"] = true
		case "patch":
			out[resource+" create"] = true
		}
		if childKinds[resource] {
			childVerbs = append(childVerbs, verb)
		}
	}
	for resource := range childKinds {
		for _, verb := range childVerbs {
			out[resource+" "+verb] = true
			if verb == "watch" {
				out[resource+" list"] = true
			}
			if verb == "patch" {
				out[resource+" create"] = true
			}
		}
	}
	return out
}

// engineChildResources lists the child kinds of the shipped engines as
// "<group>/<resource>".
func engineChildResources() (map[string]bool, error) {
	mapper := env.client.RESTMapper()
	out := map[string]bool{}
	for _, e := range env.registry.Engines() {
		for _, gvk := range e.Kinds {
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				return nil, fmt.Errorf("cannot map %s of engine %s: %w", gvk, e.Name, err)
			}
			out[m.Resource.Group+"/"+m.Resource.Resource] = true
		}
	}
	return out, nil
}

// checkGrantsUsed fails when the generated roles grant what the suite's operator
// never used (and no test elsewhere exercises): a grant the code does not need. It
// runs only when the whole suite ran.
func checkGrantsUsed(used *apiUse) error {
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		return nil
	}
	grants, err := granted()
	if err != nil {
		return err
	}
	used.mu.Lock()
	defer used.mu.Unlock()
	childKinds, err := engineChildResources()
	if err != nil {
		return err
	}
	covered := implied(used.used, childKinds)
	var unused []string
	for g := range grants {
		if !covered[g] && unexercisedGrants[g] == "" {
			unused = append(unused, g)
		}
	}
	for g, why := range unexercisedGrants {
		if !grants[g] {
			return fmt.Errorf("unexercisedGrants lists %q (%s), which config/rbac/role.yaml does not grant: remove it", g, why)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		var seen []string
		for u := range used.used {
			seen = append(seen, u)
		}
		slices.Sort(seen)
		return fmt.Errorf("config/rbac/role.yaml grants what the operator never used in the suite (drop the +kubebuilder:rbac marker, or cover it):\n  %s\nused:\n  %s",
			strings.Join(unused, "\n  "), strings.Join(seen, "\n  "))
	}
	return nil
}
