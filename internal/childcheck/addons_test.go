package childcheck

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"dbaas.io/operator/internal/render"
)

// servedKinds is a Discovery that serves the given kinds of each group version.
type servedKinds map[string][]string

func (s servedKinds) ServerGroups() (*metav1.APIGroupList, error) {
	groups := map[string]*metav1.APIGroup{}
	var list metav1.APIGroupList
	for gvString := range s {
		gv, err := schema.ParseGroupVersion(gvString)
		if err != nil {
			return nil, err
		}
		g := groups[gv.Group]
		if g == nil {
			list.Groups = append(list.Groups, metav1.APIGroup{Name: gv.Group})
			g = &list.Groups[len(list.Groups)-1]
			groups[gv.Group] = g
		}
		g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: gvString, Version: gv.Version})
	}
	return &list, nil
}

func (s servedKinds) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	kinds, ok := s[gv]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{}, gv)
	}
	list := &metav1.APIResourceList{GroupVersion: gv}
	for _, k := range kinds {
		list.APIResources = append(list.APIResources, metav1.APIResource{Name: k + "s", Kind: k})
	}
	return list, nil
}

// TestAddOns checks that an engine's add-on kind does not decide whether its child
// operator is installed, and that a cluster rendering it is told what is missing.
func TestAddOns(t *testing.T) {
	widget := schema.GroupVersionKind{Group: "example.dbaas.io", Version: "v1", Kind: "Widget"}
	monitor := schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"}
	addOn := render.AddOn{Name: "the Prometheus operator", Feature: "spec.monitoring.enabled (or turn podMonitor off)", Install: "kubectl apply -f crds.yaml"}
	engine := &render.Engine{Name: "ex", Kinds: []schema.GroupVersionKind{widget, monitor}, AddOns: map[schema.GroupVersionKind]render.AddOn{monitor: addOn}}
	tests := map[string]struct {
		// served is what the API server serves.
		served servedKinds
		// rendered are the kinds of a cluster's objects.
		rendered []schema.GroupVersionKind
		// want is the AddOns message; empty when nothing is missing.
		want string
	}{
		"add-on not served, not rendered": {
			served:   servedKinds{"example.dbaas.io/v1": {"Widget"}},
			rendered: []schema.GroupVersionKind{widget},
		},
		"add-on not served, rendered twice": {
			served:   servedKinds{"example.dbaas.io/v1": {"Widget"}},
			rendered: []schema.GroupVersionKind{widget, monitor, monitor},
			want:     "spec.monitoring.enabled renders monitoring.coreos.com/v1 PodMonitor, which is not served: install the Prometheus operator's CRDs with: kubectl apply -f crds.yaml; or turn off spec.monitoring.enabled (or turn podMonitor off)",
		},
		"add-on of another version": {
			served:   servedKinds{"example.dbaas.io/v1": {"Widget"}, "monitoring.coreos.com/v1alpha1": {"PodMonitor"}},
			rendered: []schema.GroupVersionKind{monitor},
			want:     "spec.monitoring.enabled renders monitoring.coreos.com/v1 PodMonitor, which is served only as v1alpha1: install the Prometheus operator's CRDs with: kubectl apply -f crds.yaml; or turn off spec.monitoring.enabled (or turn podMonitor off)",
		},
		"add-on served": {
			served:   servedKinds{"example.dbaas.io/v1": {"Widget"}, "monitoring.coreos.com/v1": {"PodMonitor"}},
			rendered: []schema.GroupVersionKind{widget, monitor},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := New(tc.served, 0)
			result, err := c.Engine(engine)
			if err != nil {
				t.Fatal(err)
			}
			if !result.Installed() || len(result.Kinds) != 1 {
				t.Errorf("Engine: %+v, want the child kind alone, installed", result.Kinds)
			}
			got, err := c.AddOns(engine, tc.rendered)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("AddOns:\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
