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

// pool hands out an engine's instances. The first may be compiled at load; more are
// compiled on demand, when every instance is busy, up to one per CPU.
type pool struct {
	files []packageFile
	dir   string
	// idle holds the instances not in use; its capacity is the most there may be.
	idle chan *instance
	// slots holds one token per instance that may still be compiled.
	slots chan struct{}
}

// newPool returns a pool holding first, or no instance yet when first is nil.
func newPool(first *instance, files []packageFile, dir string) *pool {
	size := max(runtime.GOMAXPROCS(0), 1)
	p := &pool{files: files, dir: dir, idle: make(chan *instance, size), slots: make(chan struct{}, size)}
	tokens := size
	if first != nil {
		p.idle <- first
		tokens--
	}
	for range tokens {
		p.slots <- struct{}{}
	}
	return p
}

// acquire returns an idle instance, compiles another when all are busy and there is
// room for one, or waits for one to be released until ctx ends.
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
		// The files compiled once already, so a failure here is not expected; should
		// it happen, the slot is given back and the caller waits for an instance.
		inst, err := compileInstance(p.files, p.dir)
		if err == nil {
			return inst, nil
		}
		p.slots <- struct{}{}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case inst := <-p.idle:
		return inst, nil
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
