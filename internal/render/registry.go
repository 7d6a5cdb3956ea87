package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// LastGood keeps the files of the last version of each override that loaded, so
// that a restart with a broken override serves that version.
type LastGood interface {
	Load(ctx context.Context, name string) (files map[string][]byte, ok bool, err error)
	Save(ctx context.Context, name string, files map[string][]byte) error
}

// Registry holds the loaded engines: the embedded ones, replaced or extended by the
// engines of an override folder (one folder per engine, named after it). Engines
// are compiled once per content digest. A reload that fails for one engine keeps
// that engine's last good version serving. At start, when there is no last good
// version yet, it is read from the LastGood store; without one the engine is not
// served at all (Problem says why): serving the embedded version instead would
// re-render every cluster of that engine with another engine.
type Registry struct {
	embedded    fs.FS
	overrideDir string
	lastGood    LastGood

	mu       sync.Mutex // serialises loads
	compiled map[string]*Engine
	// timeout is the deadline of an evaluation of every engine; 0: the default.
	timeout time.Duration
	// memoBytes is the budget of each engine's reconciler memo; 0: the default.
	memoBytes int64
	// loadTimeout bounds the compilation of an engine folder (DefaultLoadTimeout).
	loadTimeout time.Duration
	// slow are the digests that did not compile within loadTimeout, with the error:
	// they are not compiled again, which would pile up compilations of the same files.
	slow map[string]error
	// saved is the digest last saved to lastGood, by override folder.
	saved   map[string]string
	current atomic.Pointer[map[string]*Engine]
	// problems are the override folders that do not load and have no version to
	// serve, by folder name.
	problems atomic.Pointer[map[string]error]
}

// NewRegistry loads the engines of embedded (one folder per engine) and, when
// overrideDir is not empty, of that folder. A broken embedded engine is an error; a
// broken override is returned as an error too, but the registry is usable.
// lastGood may be nil.
func NewRegistry(embedded fs.FS, overrideDir string, lastGood ...LastGood) (*Registry, error) {
	r := &Registry{embedded: embedded, overrideDir: overrideDir, compiled: map[string]*Engine{},
		loadTimeout: DefaultLoadTimeout, slow: map[string]error{}}
	if len(lastGood) > 0 {
		r.lastGood = lastGood[0]
	}
	engines := map[string]*Engine{}
	if err := r.loadAll(embedded, "embedded", engines, nil); err != nil {
		return nil, err
	}
	r.current.Store(&engines)
	r.problems.Store(&map[string]error{})
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
	problems := map[string]error{}
	err := r.loadAll(os.DirFS(r.overrideDir), r.overrideDir, next, problems)
	r.current.Store(&next)
	r.problems.Store(&problems)
	return err
}

// loadAll loads every engine folder of fsys into engines. A folder that fails leaves
// engines as they were for that engine when it was loaded from this source before;
// otherwise (problems is not nil: an override) its last good version is served, or
// none, and the problem is recorded. Every failure is returned.
func (r *Registry) loadAll(fsys fs.FS, source string, engines map[string]*Engine, problems map[string]error) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("cannot read engines from %s: %w", source, err)
	}
	var errs []error
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		e, err := r.loadFolder(fsys, d.Name(), source)
		if err == nil {
			engines[e.Name] = e
			if err := r.saveLastGood(e, fsys, d.Name()); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		errs = append(errs, err)
		if problems == nil {
			continue
		}
		if prev, ok := engines[d.Name()]; ok && prev.Source == source {
			continue // a reload: the last good version keeps serving
		}
		if e, lgErr := r.loadLastGood(d.Name(), source); lgErr == nil && e != nil {
			engines[e.Name] = e
			continue
		}
		delete(engines, d.Name())
		problems[d.Name()] = fmt.Errorf("the override of engine %s in %s does not load, and no earlier version of it is known: %w", d.Name(), source, err)
	}
	return errors.Join(errs...)
}

// loadFolder compiles one engine folder, reusing an engine of the same digest.
func (r *Registry) loadFolder(fsys fs.FS, dir, source string) (*Engine, error) {
	files, digest, err := readPackage(fsys, dir)
	if err != nil {
		return nil, err
	}
	if e, ok := r.compiled[digest]; ok {
		return e, nil
	}
	if err, ok := r.slow[digest]; ok {
		return nil, err
	}
	e, err := r.compile(files, digest, dir, source)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	e.SetEvalTimeout(r.timeout)
	e.setMemoBudget(r.memoBytes)
	r.compiled[digest] = e
	return e, nil
}

// DefaultLoadTimeout bounds the compilation of an engine folder; an engine compiles
// in well under a second.
const DefaultLoadTimeout = 30 * time.Second

// compile loads an engine folder within the registry's load deadline. CUE cannot
// cancel a compilation, so one that passes the deadline runs on to its end in the
// background and its result, and its CUE context, are dropped; its digest is
// remembered as failed.
func (r *Registry) compile(files []packageFile, digest, dir, source string) (*Engine, error) {
	type loaded struct {
		e   *Engine
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- loaded{err: fmt.Errorf("engine %s failed to compile: %v", dir, p)}
			}
		}()
		e, err := loadFiles(files, digest, dir, source)
		done <- loaded{e, err}
	}()
	timer := time.NewTimer(r.loadTimeout)
	defer timer.Stop()
	select {
	case l := <-done:
		return l.e, l.err
	case <-timer.C:
		err := fmt.Errorf("engine %s: %w (%s): the compilation is abandoned; these files are not compiled again", dir, ErrDeadline, r.loadTimeout)
		r.slow[digest] = fmt.Errorf("%s: %w", source, err)
		return nil, err
	}
}

// saveLastGood keeps the files of an override engine that loaded. A failure is
// returned (the engine serves all the same) and tried again at the next reload.
func (r *Registry) saveLastGood(e *Engine, fsys fs.FS, dir string) error {
	if r.lastGood == nil || e.Source == "embedded" || r.saved[dir] == e.Digest {
		return nil
	}
	files, _, err := readPackage(fsys, dir)
	if err != nil {
		return err
	}
	set := map[string][]byte{}
	for _, f := range files {
		set[path.Base(f.name)] = f.src
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.lastGood.Save(ctx, "engine-"+dir, set); err != nil {
		return fmt.Errorf("engine %s serves, but its files could not be kept as the last good version: %w", dir, err)
	}
	if r.saved == nil {
		r.saved = map[string]string{}
	}
	r.saved[dir] = e.Digest
	return nil
}

// loadLastGood compiles the last good version of an override folder, nil when
// there is none.
func (r *Registry) loadLastGood(dir, source string) (*Engine, error) {
	if r.lastGood == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	files, ok, err := r.lastGood.Load(ctx, "engine-"+dir)
	if err != nil || !ok {
		return nil, err
	}
	fsys := fs.FS(mapFS(dir, files))
	return r.loadFolder(fsys, dir, source+" (last good version)")
}

// SetEvalTimeout sets the deadline of each evaluation of the engines loaded now and
// later (see Engine.SetEvalTimeout); d <= 0 restores DefaultEvalTimeout.
func (r *Registry) SetEvalTimeout(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timeout = d
	for _, e := range r.compiled {
		e.SetEvalTimeout(d)
	}
}

// SetMemoBudget sets the bytes that each engine's memo of the reconcilers'
// evaluations may hold, for the engines loaded now and later; n <= 0 restores
// DefaultMemoBytes. A smaller memo costs renders of clusters that did not change
// when they are reconciled again (a resync, a restart); a larger one, memory.
func (r *Registry) SetMemoBudget(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.memoBytes = n
	for _, e := range r.compiled {
		e.setMemoBudget(n)
	}
}

// Get returns the engine named name.
func (r *Registry) Get(name string) (*Engine, bool) {
	e, ok := (*r.current.Load())[name]
	return e, ok
}

// Problem says why an engine is not served: its override does not load and no
// earlier version of it is known. Nil when there is no such problem.
func (r *Registry) Problem(name string) error {
	return (*r.problems.Load())[name]
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
