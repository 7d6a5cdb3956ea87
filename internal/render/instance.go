package render

import (
	"context"
	"path"
	"runtime"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// instance is one compiled copy of an engine in a cue.Context of its own. A
// cue.Context is not safe for concurrent use, so an instance evaluates one input at
// a time; an engine keeps a small pool of them so that reconciles, operations and
// webhooks on several cores do not take turns.
//
// Filling an input into a package makes CUE evaluate all of that package, so each
// use evaluates the smallest package that serves it: renders (requires,
// preconditions, stages) the package without the operations, status mappings and
// operations the one with only what they refer to. Each is compiled on its first
// use (about 2.5 MB apiece): the webhooks' instances never map a status, and an
// operator without operations never compiles them.
type instance struct {
	ctx   *cue.Context
	files []packageFile
	dir   string
	// whole, lean, statusLean and opsLean are nil until first used.
	whole, lean, statusLean, opsLean *cue.Value
}

// newInstance returns an instance of the engine's files that has compiled nothing
// yet.
func newInstance(files []packageFile, dir string) *instance {
	return &instance{ctx: cuecontext.New(), files: files, dir: dir}
}

// compileInstance returns an instance that has compiled the whole package, which
// loading an engine checks.
func compileInstance(files []packageFile, dir string) (*instance, error) {
	inst := newInstance(files, dir)
	if _, err := inst.wholePackage(); err != nil {
		return nil, err
	}
	return inst, nil
}

// wholePackage is the package with everything.
func (inst *instance) wholePackage() (cue.Value, error) {
	if inst.whole == nil {
		v, err := compile(inst.ctx, path.Base(inst.dir), inst.files)
		if err != nil {
			return cue.Value{}, err
		}
		inst.whole = &v
	}
	return *inst.whole, nil
}

// renderPackage is the package without the operations file. An engine whose other
// files refer to what the operations file defines renders with the whole package.
func (inst *instance) renderPackage() (cue.Value, error) {
	if inst.lean == nil {
		v, err := inst.leaner(withoutOperations(inst.files))
		if err != nil {
			return cue.Value{}, err
		}
		inst.lean = &v
	}
	return *inst.lean, nil
}

// statusPackage is the package with what the status mapping and the one-shot
// predicates refer to, transitively: not the stages, the operations or the
// commands.
func (inst *instance) statusPackage() (cue.Value, error) {
	if inst.statusLean == nil {
		v, err := inst.reaching("status", "oneShot", "input")
		if err != nil {
			return cue.Value{}, err
		}
		inst.statusLean = &v
	}
	return *inst.statusLean, nil
}

// operationsPackage is the package with the operations, their input and what they
// refer to, transitively: an operation is evaluated on every change of what it
// observes, and the stages, status mappings and commands it does not read would
// double the cost of each evaluation.
func (inst *instance) operationsPackage() (cue.Value, error) {
	if inst.opsLean == nil {
		v, err := inst.reaching("operations", "ops", "input")
		if err != nil {
			return cue.Value{}, err
		}
		inst.opsLean = &v
	}
	return *inst.opsLean, nil
}

// reaching compiles the package without the top-level fields that roots do not
// reach (unreachedFields), or returns the whole package when that does not compile.
func (inst *instance) reaching(roots ...string) (cue.Value, error) {
	unreached, ok := unreachedFields(inst.files, roots...)
	if !ok {
		return inst.wholePackage()
	}
	return inst.leaner(inst.files, unreached...)
}

// leaner compiles files leaving out the top-level fields named, or returns the whole
// package when they do not compile and validate on their own.
func (inst *instance) leaner(files []packageFile, leaveOut ...string) (cue.Value, error) {
	if len(files) < len(inst.files) || len(leaveOut) > 0 {
		v, err := compile(inst.ctx, path.Base(inst.dir), files, leaveOut...)
		if err == nil && v.Validate() == nil {
			return v, nil
		}
	}
	return inst.wholePackage()
}

// pool hands out an engine's instances, started on demand when every instance is
// busy, up to one per CPU.
type pool struct {
	files []packageFile
	dir   string
	// idle holds the instances not in use; its capacity is the most there may be.
	idle chan *instance
	// slots holds one token per instance that may still be started.
	slots chan struct{}
}

// newPool returns a pool with no instance yet.
func newPool(files []packageFile, dir string) *pool {
	size := max(runtime.GOMAXPROCS(0), 1)
	p := &pool{files: files, dir: dir, idle: make(chan *instance, size), slots: make(chan struct{}, size)}
	for range size {
		p.slots <- struct{}{}
	}
	return p
}

// acquire returns an idle instance, starts another when all are busy and there is
// room for one (it compiles what it evaluates on first use), or waits for one to be
// released until ctx ends.
func (p *pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case inst := <-p.idle:
		return inst, nil
	default:
	}
	select {
	case inst := <-p.idle:
		return inst, nil
	case <-p.slots:
		return newInstance(p.files, p.dir), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns an instance to the pool.
func (p *pool) release(inst *instance) {
	p.idle <- inst
}

// discard forgets an instance whose context must not evaluate again (an evaluation
// abandoned at its deadline, or one that panicked, used it), and makes room for a new
// one.
func (p *pool) discard(*instance) {
	p.slots <- struct{}{}
}
