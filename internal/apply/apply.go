// Package apply writes rendered child objects with server-side apply and prunes the
// ones no longer rendered. It knows nothing of engines: it takes objects and kinds.
package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the server-side apply field manager of every write the operator
// makes to a child object.
const FieldManager = "dbaas-operator"

// Applier applies desired objects and remembers what it last applied, so an object
// whose desired state and observed generation are unchanged is not written again.
type Applier struct {
	Client client.Client

	mu   sync.Mutex
	last map[types.UID]applied
}

// applied is what the Applier knows of one object it wrote.
type applied struct {
	hash    string
	version string
}

// NewApplier returns an Applier writing through c.
func NewApplier(c client.Client) *Applier {
	return &Applier{Client: c, last: map[types.UID]applied{}}
}

// Apply writes desired unless observed (the object as read from the cache, nil when
// absent) is known to be in the state desired was last applied as. It returns the
// object as the API server stored it when it wrote, nil when it did not.
func (a *Applier) Apply(ctx context.Context, desired, observed *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	hash, err := digest(desired)
	if err != nil {
		return nil, err
	}
	if observed != nil {
		a.mu.Lock()
		prev, ok := a.last[observed.GetUID()]
		a.mu.Unlock()
		if ok && prev.hash == hash && prev.version == versionOf(observed) {
			return nil, nil
		}
	}
	obj := desired.DeepCopy()
	if err := a.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return nil, fmt.Errorf("cannot apply %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	if obj.GetUID() != "" {
		a.mu.Lock()
		a.last[obj.GetUID()] = applied{hash: hash, version: versionOf(obj)}
		a.mu.Unlock()
	}
	return obj, nil
}

// Forget drops what the Applier remembers of an object, after it was deleted.
func (a *Applier) Forget(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.last, uid)
}

// versionOf is what changes when someone else edits the object's desired state:
// its generation, or for kinds without one, its resourceVersion.
func versionOf(u *unstructured.Unstructured) string {
	if g := u.GetGeneration(); g != 0 {
		return fmt.Sprint("g", g)
	}
	return "rv" + u.GetResourceVersion()
}

func digest(u *unstructured.Unstructured) (string, error) {
	b, err := json.Marshal(u.Object)
	if err != nil {
		return "", fmt.Errorf("cannot encode %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
