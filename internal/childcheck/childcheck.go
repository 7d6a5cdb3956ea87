// Package childcheck tells whether an engine's child operator is installed on a
// cluster: whether the API server serves every kind the engine renders, at the
// version the engine renders. The admission webhook refuses a new DatabaseCluster
// whose engine fails the check, and `dbaasctl doctor` reports it, in the same words
// (Result.Message). The kinds come from the engine (its kinds), the install command
// from its operator: nothing here knows an engine.
package childcheck

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"dbaas.io/operator/internal/render"
)

// State is the outcome of the check of one kind.
type State string

// The states of a kind. They are what `dbaasctl doctor` prints.
const (
	// OK: the API server serves the kind at the version the engine renders.
	OK State = "OK"
	// Missing: the API server serves the kind at no version (its CRD is not
	// installed, or not established yet).
	Missing State = "MISSING"
	// WrongVersion: the API server serves the kind, but not at the version the
	// engine renders (another release of the child operator).
	WrongVersion State = "WRONG VERSION"
)

// Kind is the check of one kind.
type Kind struct {
	GVK   schema.GroupVersionKind
	State State
	// Served are the versions of the group that serve the kind, when State is
	// WrongVersion.
	Served []string
}

// String names the kind as apiVersion and kind, as an engine lists it.
func (k Kind) String() string {
	return k.GVK.GroupVersion().String() + " " + k.GVK.Kind
}

// Result is the check of one engine's kinds.
type Result struct {
	Engine string
	// Operator is the engine's child operator; nil when the engine names none.
	Operator *render.Operator
	Kinds    []Kind
}

// Installed reports whether every kind is served at the engine's version.
func (r Result) Installed() bool {
	return !slices.ContainsFunc(r.Kinds, func(k Kind) bool { return k.State != OK })
}

// Message says what is missing and how to install it; empty when Installed. The
// webhook's refusal and doctor's hint are this text.
func (r Result) Message() string {
	// The kinds not served are named by apiVersion, in the engine's order.
	var versions []schema.GroupVersion
	missing := map[schema.GroupVersion][]string{}
	var wrong []string
	for _, k := range r.Kinds {
		switch k.State {
		case Missing:
			gv := k.GVK.GroupVersion()
			if missing[gv] == nil {
				versions = append(versions, gv)
			}
			missing[gv] = append(missing[gv], k.GVK.Kind)
		case WrongVersion:
			wrong = append(wrong, fmt.Sprintf("%s is served only as %s", k.String(), strings.Join(k.Served, ", ")))
		}
	}
	var problems []string
	for _, gv := range versions {
		kinds := missing[gv]
		if n := len(kinds); n > 1 {
			problems = append(problems, fmt.Sprintf("%s %s and %s are not served", gv, strings.Join(kinds[:n-1], ", "), kinds[n-1]))
		} else {
			problems = append(problems, fmt.Sprintf("%s %s is not served", gv, kinds[0]))
		}
	}
	problems = append(problems, wrong...)
	if len(problems) == 0 {
		return ""
	}
	if r.Operator == nil {
		return fmt.Sprintf("the child operator of engine %s is not installed (%s): install the operator that serves these kinds",
			r.Engine, strings.Join(problems, "; "))
	}
	return fmt.Sprintf("engine %s needs %s %s, which is not installed (%s); install it with: %s",
		r.Engine, r.Operator.Name, r.Operator.Version, strings.Join(problems, "; "), r.Operator.Install)
}

// Discovery is what the check asks the API server: discovery.DiscoveryInterface
// has both methods.
type Discovery interface {
	ServerGroups() (*metav1.APIGroupList, error)
	ServerResourcesForGroupVersion(groupVersion string) (*metav1.APIResourceList, error)
}

// Checker checks engines against the API server. A kind found served is remembered
// for TTL; a kind not served is asked again at every check, so that a CRD
// installed a moment ago is seen at once. Safe for concurrent use.
type Checker struct {
	discovery Discovery
	ttl       time.Duration
	now       func() time.Time

	mu sync.Mutex
	// served holds when each kind was last found served.
	served map[schema.GroupVersionKind]time.Time
}

// New returns a checker that remembers served kinds for ttl (0: not at all).
func New(d Discovery, ttl time.Duration) *Checker {
	return &Checker{discovery: d, ttl: ttl, now: time.Now, served: map[schema.GroupVersionKind]time.Time{}}
}

// Engine checks every kind of the engine but its add-on kinds, which only the
// clusters that render them need (see AddOns).
func (c *Checker) Engine(e *render.Engine) (Result, error) {
	r := Result{Engine: e.Name, Operator: e.Operator}
	for _, gvk := range e.Kinds {
		if e.IsAddOn(gvk) {
			continue
		}
		k, err := c.Kind(gvk)
		if err != nil {
			return r, err
		}
		r.Kinds = append(r.Kinds, k)
	}
	return r, nil
}

// Kind checks one kind: served at its version, else at which other versions.
func (c *Checker) Kind(gvk schema.GroupVersionKind) (Kind, error) {
	k := Kind{GVK: gvk, State: OK}
	if c.remembered(gvk) {
		return k, nil
	}
	found, err := c.serves(gvk.GroupVersion(), gvk.Kind)
	if err != nil {
		return k, err
	}
	if found {
		c.remember(gvk)
		return k, nil
	}
	k.State = Missing
	groups, err := c.discovery.ServerGroups()
	if err != nil {
		return k, fmt.Errorf("cannot list the API groups: %w", err)
	}
	for _, g := range groups.Groups {
		if g.Name != gvk.Group {
			continue
		}
		for _, v := range g.Versions {
			if v.Version == gvk.Version {
				continue
			}
			found, err := c.serves(schema.GroupVersion{Group: gvk.Group, Version: v.Version}, gvk.Kind)
			if err != nil {
				return k, err
			}
			if found {
				k.State, k.Served = WrongVersion, append(k.Served, v.Version)
			}
		}
	}
	return k, nil
}

// serves reports whether the API server serves kind in gv.
func (c *Checker) serves(gv schema.GroupVersion, kind string) (bool, error) {
	list, err := c.discovery.ServerResourcesForGroupVersion(gv.String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot discover the resources of %s: %w", gv, err)
	}
	for _, res := range list.APIResources {
		// Subresources (clusters/status) carry their parent's kind.
		if res.Kind == kind && !strings.Contains(res.Name, "/") {
			return true, nil
		}
	}
	return false, nil
}

func (c *Checker) remembered(gvk schema.GroupVersionKind) bool {
	if c.ttl <= 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.served[gvk]
	return ok && c.now().Sub(at) < c.ttl
}

func (c *Checker) remember(gvk schema.GroupVersionKind) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.served[gvk] = c.now()
}
