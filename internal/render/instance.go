package render

import (
	"path"
	"runtime"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// instance is one compiled copy of an engine in a cue.Context of its own. A
// cue.Context is not safe for concurrent use, so an instance evaluates one input at
// a time; an engine keeps a small pool of them so that reconciles, operations and
// webhooks on several cores do not take turns.
type instance struct {
	ctx   *cue.Context
	value cue.Value
	// lean is value without its operations: renders, status and lookups use it.
	lean cue.Value
}

// compileInstance compiles the engine's files, and the lean package without the
// operations file, in a new context. An engine whose other files refer to what the
// operations file defines keeps the full package as its lean one.
func compileInstance(files []packageFile, dir string) (*instance, error) {
	ctx := cuecontext.New()
	value, err := compile(ctx, path.Base(dir), files)
	if err != nil {
		return nil, err
	}
	inst := &instance{ctx: ctx, value: value, lean: value}
	if rest := withoutOperations(files); len(rest) < len(files) {
		if lean, err := compile(ctx, path.Base(dir), rest); err == nil && lean.Validate() == nil {
			inst.lean = lean
		}
	}
	return inst, nil
}

// pool hands out an engine's instances. The first is compiled at load; more are
// compiled on demand, when every instance is busy, up to one per CPU.
type pool struct {
	files []packageFile
	dir   string
	// idle holds the instances not in use; its capacity is the most there may be.
	idle chan *instance
	// slots holds one token per instance that may still be compiled.
	slots chan struct{}
}

func newPool(first *instance, files []packageFile, dir string) *pool {
	size := max(runtime.GOMAXPROCS(0), 1)
	p := &pool{files: files, dir: dir, idle: make(chan *instance, size), slots: make(chan struct{}, size-1)}
	for range size - 1 {
		p.slots <- struct{}{}
	}
	p.idle <- first
	return p
}

// acquire returns an idle instance, compiles another when all are busy and there is
// room for one, or waits for one to be released.
func (p *pool) acquire() *instance {
	select {
	case inst := <-p.idle:
		return inst
	default:
	}
	select {
	case inst := <-p.idle:
		return inst
	case <-p.slots:
		// The files compiled once already, so a failure here is not expected; should
		// it happen, the slot is given back and the caller waits for an instance.
		inst, err := compileInstance(p.files, p.dir)
		if err == nil {
			return inst
		}
		p.slots <- struct{}{}
		return <-p.idle
	}
}

// release returns an instance to the pool.
func (p *pool) release(inst *instance) {
	p.idle <- inst
}
