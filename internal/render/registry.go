package render

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// Registry holds the loaded engines: the embedded ones, replaced or extended by the
// engines of an override folder. Engines are compiled once per content digest. A
// reload that fails for one engine keeps that engine's last good version serving.
type Registry struct {
	embedded    fs.FS
	overrideDir string

	mu       sync.Mutex // serialises loads
	compiled map[string]*Engine
	current  atomic.Pointer[map[string]*Engine]
}

// NewRegistry loads the engines of embedded (one folder per engine) and, when
// overrideDir is not empty, of that folder. A broken embedded engine is an error; a
// broken override is returned as an error too, but the registry is usable.
func NewRegistry(embedded fs.FS, overrideDir string) (*Registry, error) {
	r := &Registry{embedded: embedded, overrideDir: overrideDir, compiled: map[string]*Engine{}}
	engines := map[string]*Engine{}
	if err := r.loadAll(embedded, "embedded", engines); err != nil {
		return nil, err
	}
	r.current.Store(&engines)
	return r, r.Reload()
}

// Reload loads the override folder again. Engines that fail keep their previous
// version; the error names each failure.
func (r *Registry) Reload() error {
	if r.overrideDir == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	next := maps.Clone(*r.current.Load())
	err := r.loadAll(os.DirFS(r.overrideDir), r.overrideDir, next)
	r.current.Store(&next)
	return err
}

// loadAll loads every engine folder of fsys into engines. A folder that fails leaves
// engines as they were for that engine; every failure is returned.
func (r *Registry) loadAll(fsys fs.FS, source string, engines map[string]*Engine) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("cannot read engines from %s: %w", source, err)
	}
	var errs []error
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		files, digest, err := readPackage(fsys, d.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e, ok := r.compiled[digest]
		if !ok {
			if e, err = loadFiles(files, digest, d.Name(), source); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", source, err))
				continue
			}
			r.compiled[digest] = e
		}
		engines[e.Name] = e
	}
	return errors.Join(errs...)
}

// Get returns the engine named name.
func (r *Registry) Get(name string) (*Engine, bool) {
	e, ok := (*r.current.Load())[name]
	return e, ok
}

// Engines returns the loaded engines sorted by name.
func (r *Registry) Engines() []*Engine {
	current := *r.current.Load()
	out := make([]*Engine, 0, len(current))
	for _, e := range current {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the names of the loaded engines, sorted.
func (r *Registry) Names() []string {
	var names []string
	for _, e := range r.Engines() {
		names = append(names, e.Name)
	}
	return names
}
