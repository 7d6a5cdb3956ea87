package faults

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Verb is the Kubernetes verb of a request, as RBAC and audit logs name it.
type Verb string

// The verbs a request can have.
const (
	Get              Verb = "get"
	List             Verb = "list"
	Watch            Verb = "watch"
	Create           Verb = "create"
	Update           Verb = "update"
	Patch            Verb = "patch"
	Delete           Verb = "delete"
	DeleteCollection Verb = "deletecollection"
)

// verbs lists every verb, each with its bit in a Verbs set.
var verbs = []Verb{Get, List, Watch, Create, Update, Patch, Delete, DeleteCollection}

// Verbs is a set of verbs.
type Verbs uint16

// Sets of verbs with a name. Watch streams are in none of them but WatchStreams, so
// they fail only when asked. Informers start with a watch stream too (client-go's
// watch-list replaces their initial list), so only WatchStreams faults their sync.
const (
	// Reads are gets and lists, including the lists informers start with.
	Reads = Verbs(1<<0 | 1<<1)
	// WatchStreams are the long-running watch requests.
	WatchStreams = Verbs(1 << 2)
	// Mutating are create, update, patch, delete and deletecollection.
	Mutating = Verbs(1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7)
	// All are reads and mutating requests, not watch streams.
	All = Reads | Mutating
)

func (v Verb) bit() Verbs {
	return Verbs(1) << slices.Index(verbs, v)
}

// Has reports whether the set holds verb.
func (s Verbs) Has(verb Verb) bool {
	return slices.Contains(verbs, verb) && s&verb.bit() != 0
}

// String names the set by its named parts where it can ("all", "reads,watch").
func (s Verbs) String() string {
	var parts []string
	for _, named := range []struct {
		set  Verbs
		name string
	}{{All, "all"}, {Reads, "reads"}, {Mutating, "mutating"}, {WatchStreams, "watch"}} {
		if s&named.set == named.set {
			parts = append(parts, named.name)
			s &^= named.set
		}
	}
	for _, v := range verbs {
		if s.Has(v) {
			parts = append(parts, string(v))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// ParseVerbs reads a comma-separated list of sets (all, reads, mutating, watch) and
// verbs (get, list, create, update, patch, delete, deletecollection).
func ParseVerbs(s string) (Verbs, error) {
	var set Verbs
	for _, part := range strings.Split(s, ",") {
		switch part = strings.TrimSpace(part); part {
		case "all":
			set |= All
		case "reads":
			set |= Reads
		case "mutating":
			set |= Mutating
		case "watch":
			set |= WatchStreams
		default:
			if !slices.Contains(verbs, Verb(part)) {
				return 0, fmt.Errorf("unknown verb %q: want all, reads, mutating, watch or a verb (%s)", part, strings.Join(verbNames(), ", "))
			}
			set |= Verb(part).bit()
		}
	}
	return set, nil
}

func verbNames() []string {
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = string(v)
	}
	return names
}

// Mutating reports whether the verb changes what the API server stores.
func (v Verb) Mutating() bool {
	return Mutating.Has(v)
}

// request is what a fault needs to know of an HTTP request to the API server.
type request struct {
	verb     Verb
	resource schema.GroupResource
	name     string
}

// namespaceSubresources are the subresources of a Namespace, which its path
// /api/v1/namespaces/<name>/<subresource> cannot tell from a namespaced resource.
var namespaceSubresources = []string{"status", "finalize"}

// describe finds the verb, resource and name of a request by its method and path,
// as the API server does (k8s.io/apiserver's RequestInfoFactory), for the paths
// client-go builds: /api/v1/... and /apis/<group>/<version>/... Other paths
// (discovery, /version, /openapi) are gets of no resource.
func describe(req *http.Request) request {
	r := request{verb: verbOfMethod(req)}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		r.resource.Group = parts[1]
		parts = parts[3:]
	default:
		if r.verb == List {
			r.verb = Get
		}
		return r
	}
	// The deprecated watch paths: /api/v1/watch/namespaces/<ns>/<resource>.
	if parts[0] == "watch" && len(parts) > 1 {
		r.verb, parts = Watch, parts[1:]
	}
	if parts[0] == "namespaces" && len(parts) > 2 && !slices.Contains(namespaceSubresources, parts[2]) {
		parts = parts[2:]
	}
	r.resource.Resource = parts[0]
	if len(parts) > 1 {
		r.name = parts[1]
	}
	switch {
	case r.name != "" && r.verb == List:
		r.verb = Get
	case r.name == "" && r.verb == Delete:
		r.verb = DeleteCollection
	}
	return r
}

// verbOfMethod is the verb of a method, List for every GET and Delete for every
// DELETE until the path says whether they name one object.
func verbOfMethod(req *http.Request) Verb {
	switch req.Method {
	case http.MethodPost:
		return Create
	case http.MethodPut:
		return Update
	case http.MethodPatch:
		return Patch
	case http.MethodDelete:
		return Delete
	}
	if w := req.URL.Query().Get("watch"); w == "true" || w == "1" {
		return Watch
	}
	return List
}
