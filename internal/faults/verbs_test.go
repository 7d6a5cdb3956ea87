package faults

import (
	"net/http"
	"net/url"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDescribe(t *testing.T) {
	tests := map[string]struct {
		method, path, query string
		// want is the verb, resource and name the API server would see.
		want request
	}{
		"get of a namespaced object": {
			method: "GET", path: "/api/v1/namespaces/shop/configmaps/orders",
			want: request{verb: Get, resource: schema.GroupResource{Resource: "configmaps"}, name: "orders"},
		},
		"list of a group's resource": {
			method: "GET", path: "/apis/dbaas.io/v1alpha1/namespaces/shop/databaseclusters",
			want: request{verb: List, resource: schema.GroupResource{Group: "dbaas.io", Resource: "databaseclusters"}},
		},
		"list across namespaces": {
			method: "GET", path: "/apis/postgresql.cnpg.io/v1/clusters",
			want: request{verb: List, resource: schema.GroupResource{Group: "postgresql.cnpg.io", Resource: "clusters"}},
		},
		"watch": {
			method: "GET", path: "/apis/dbaas.io/v1alpha1/opsrequests", query: "watch=true&resourceVersion=12",
			want: request{verb: Watch, resource: schema.GroupResource{Group: "dbaas.io", Resource: "opsrequests"}},
		},
		"watch, the deprecated path": {
			method: "GET", path: "/api/v1/watch/namespaces/shop/pods",
			want: request{verb: Watch, resource: schema.GroupResource{Resource: "pods"}},
		},
		"a namespace": {
			method: "GET", path: "/api/v1/namespaces/shop",
			want: request{verb: Get, resource: schema.GroupResource{Resource: "namespaces"}, name: "shop"},
		},
		"a namespace's finalize subresource": {
			method: "PUT", path: "/api/v1/namespaces/shop/finalize",
			want: request{verb: Update, resource: schema.GroupResource{Resource: "namespaces"}, name: "shop"},
		},
		"status patch": {
			method: "PATCH", path: "/apis/dbaas.io/v1alpha1/namespaces/shop/opsrequests/scale/status",
			want: request{verb: Patch, resource: schema.GroupResource{Group: "dbaas.io", Resource: "opsrequests"}, name: "scale"},
		},
		"create": {
			method: "POST", path: "/apis/postgresql.cnpg.io/v1/namespaces/shop/backups",
			want: request{verb: Create, resource: schema.GroupResource{Group: "postgresql.cnpg.io", Resource: "backups"}},
		},
		"delete": {
			method: "DELETE", path: "/api/v1/namespaces/shop/persistentvolumeclaims/orders-3",
			want: request{verb: Delete, resource: schema.GroupResource{Resource: "persistentvolumeclaims"}, name: "orders-3"},
		},
		"delete of a collection": {
			method: "DELETE", path: "/api/v1/namespaces/shop/pods",
			want: request{verb: DeleteCollection, resource: schema.GroupResource{Resource: "pods"}},
		},
		"discovery": {
			method: "GET", path: "/apis/dbaas.io/v1alpha1",
			want: request{verb: Get},
		},
		"version": {
			method: "GET", path: "/version",
			want: request{verb: Get},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := &http.Request{Method: tc.method, URL: &url.URL{Path: tc.path, RawQuery: tc.query}}
			if got := describe(req); got != tc.want {
				t.Errorf("describe(%s %s) = %+v, want %+v", tc.method, tc.path, got, tc.want)
			}
		})
	}
}

func TestParseVerbs(t *testing.T) {
	tests := map[string]struct {
		in string
		// has and hasNot are verbs the set must and must not hold.
		has, hasNot []Verb
		// name is the set's String.
		name string
	}{
		"all":         {in: "all", has: []Verb{Get, List, Create, Patch, DeleteCollection}, hasNot: []Verb{Watch}, name: "all"},
		"mutating":    {in: "mutating", has: []Verb{Create, Update, Patch, Delete}, hasNot: []Verb{Get, List, Watch}, name: "mutating"},
		"reads":       {in: "reads", has: []Verb{Get, List}, hasNot: []Verb{Watch, Patch}, name: "reads"},
		"with watch":  {in: "reads,watch", has: []Verb{Get, Watch}, hasNot: []Verb{Create}, name: "reads,watch"},
		"single verb": {in: "patch", has: []Verb{Patch}, hasNot: []Verb{Update, Get}, name: "patch"},
		"verbs":       {in: "get, update", has: []Verb{Get, Update}, hasNot: []Verb{List}, name: "get,update"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			set, err := ParseVerbs(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.has {
				if !set.Has(v) {
					t.Errorf("%q does not hold %s", tc.in, v)
				}
			}
			for _, v := range tc.hasNot {
				if set.Has(v) {
					t.Errorf("%q holds %s", tc.in, v)
				}
			}
			if set.String() != tc.name {
				t.Errorf("String() = %q, want %q", set.String(), tc.name)
			}
		})
	}
	if _, err := ParseVerbs("writes"); err == nil {
		t.Error(`ParseVerbs("writes") succeeded, want an error`)
	}
}
