// Package policy evaluates the Rego policies that gate DatabaseClusters and OpsRequests.
// It knows the policies' input and output shapes, not the engines: engine knowledge lives
// in the policies and their data.
package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// The queries of the two gates.
const (
	clusterQuery = "data.dbaas.cluster.violation"
	opsQuery     = "data.dbaas.ops.violation"
)

// DefaultTimeout bounds one evaluation, so a runaway policy cannot stall admission.
const DefaultTimeout = time.Second

// precomputeTimeout bounds the indexes computed once at load: they walk all the
// policy data, which takes longer than one decision (and several times longer under
// the race detector), yet a runaway one in an override must still end.
const precomputeTimeout = 10 * time.Second

// Set is one compiled generation of the policies. It is immutable and safe for
// concurrent use: prepared queries may be evaluated from many goroutines.
type Set struct {
	compiler     *ast.Compiler
	store        storage.Store
	cluster, ops ast.Body       // the compiled query of each gate (see prepare)
	pre          *precomputed   // nil when no rule is marked to precompute
	clusterCache *decisionCache // nil when disabled
	opsCache     *decisionCache // nil when disabled
	digest       string
	timeout      time.Duration
	memory       int64 // bytes the built-ins of one evaluation may produce
}

// Option configures Load and NewReloader.
type Option func(*options)

type options struct {
	timeout   time.Duration // per evaluation
	memory    int64         // bytes per evaluation (see budget.go)
	interval  time.Duration // between polls of a Reloader
	cacheSize int           // decisions remembered per gate; 0 disables
	lastGood  LastGood      // keeps the last generation of a Reloader that loaded
}

// LastGood keeps the files of the last policies that loaded, so that a restart with
// a broken override serves them.
type LastGood interface {
	Load(ctx context.Context, name string) (files map[string][]byte, ok bool, err error)
	Save(ctx context.Context, name string, files map[string][]byte) error
}

// WithLastGood keeps a Reloader's last generation that loaded in store, and serves
// it when the directory does not load at start.
func WithLastGood(store LastGood) Option { return func(o *options) { o.lastGood = store } }

// WithTimeout bounds each evaluation (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMemoryBudget bounds the bytes the built-ins of each evaluation may produce
// (default DefaultMemoryBudget).
func WithMemoryBudget(n int64) Option { return func(o *options) { o.memory = n } }

// WithDecisionCache sets how many decisions per gate a Set remembers (default
// DefaultCacheSize); 0 disables the cache.
func WithDecisionCache(n int) Option { return func(o *options) { o.cacheSize = n } }

// WithPollInterval sets how often a Reloader reads its directory (default DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

func newOptions(opts []Option) options {
	o := options{timeout: DefaultTimeout, interval: DefaultPollInterval, cacheSize: DefaultCacheSize, memory: DefaultMemoryBudget}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		o.timeout = DefaultTimeout
	}
	if o.memory <= 0 {
		o.memory = DefaultMemoryBudget
	}
	if o.interval <= 0 {
		o.interval = DefaultPollInterval
	}
	return o
}

// Load compiles the policies of fsys (policies.FS, or os.DirFS of an override directory):
// every *.rego except *_test.rego, and every *.json, *.yaml and *.yml as data mounted at
// data.dbaas.<dir>.<name>. It compiles in strict mode, without the forbidden built-ins
// (those that reach outside the process or allocate without bound), evaluates the rules marked to precompute (see precomputeKey) and
// prepares both gates' queries once.
func Load(fsys fs.FS, opts ...Option) (*Set, error) {
	files, err := readFiles(fsys)
	if err != nil {
		return nil, err
	}
	return loadFiles(files, digest(files), newOptions(opts))
}

// loadFiles compiles files already read, whose digest is sum (see Load).
func loadFiles(files []file, sum string, o options) (*Set, error) {
	src, err := readSources(files)
	if err != nil {
		return nil, err
	}
	modules, err := parseModules(src.modules)
	if err != nil {
		return nil, err
	}
	compiler, err := compileModules(modules)
	if err != nil {
		return nil, err
	}
	if err := checkDataPaths(modules, src.data); err != nil {
		return nil, err
	}
	store := newStore(src.data)
	s := &Set{compiler: compiler, store: store, digest: sum, timeout: o.timeout, memory: o.memory}
	if deterministic(modules) {
		s.clusterCache, s.opsCache = newDecisionCache(o.cacheSize), newDecisionCache(o.cacheSize)
	}
	if s.pre, err = precompute(compiler, store, max(o.timeout, precomputeTimeout), o.memory); err != nil {
		return nil, err
	}
	if s.cluster, err = prepare(compiler, clusterQuery); err != nil {
		return nil, err
	}
	if s.ops, err = prepare(compiler, opsQuery); err != nil {
		return nil, err
	}
	return s, nil
}

// Digest is the sha256 of the Rego modules and data files the set was compiled from.
func (s *Set) Digest() string { return s.digest }

// parseModules parses Rego v1 modules, annotations included so malformed METADATA fails.
func parseModules(files map[string]string) (map[string]*ast.Module, error) {
	modules := make(map[string]*ast.Module, len(files))
	var errs []error
	for path, text := range files {
		m, err := ast.ParseModuleWithOpts(path, text, ast.ParserOptions{
			RegoVersion:       ast.RegoV1,
			ProcessAnnotation: true,
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		modules[path] = m
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("cannot parse policies: %w", err)
	}
	return modules, nil
}

// compileModules compiles modules in strict mode after refusing forbidden built-ins.
func compileModules(modules map[string]*ast.Module) (*ast.Compiler, error) {
	if err := checkForbidden(modules); err != nil {
		return nil, err
	}
	c := newCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, fmt.Errorf("cannot compile policies: %w", c.Errors)
	}
	return c, nil
}

// newCompiler is the compiler every policy goes through, tests included.
func newCompiler() *ast.Compiler {
	return ast.NewCompiler().
		WithStrict(true).
		WithCapabilities(capabilities()).
		WithDefaultRegoVersion(ast.RegoV1)
}

// newStore holds data as AST values, so evaluations read it without converting it.
func newStore(data map[string]any) storage.Store {
	return inmem.NewFromObjectWithOpts(data,
		inmem.OptRoundTripOnWrite(false),
		inmem.OptReturnASTValuesOnRead(true))
}

// resultVar holds a gate's violations in its compiled query.
var resultVar = ast.Var("result")

// prepare compiles a gate's query once: result = <query>. Evaluations run it with
// topdown directly, which spares the rego package's per-evaluation set-up and the
// conversion of the result to Go values.
func prepare(c *ast.Compiler, query string) (ast.Body, error) {
	if len(c.GetRulesExact(ast.MustParseRef(query))) == 0 {
		return nil, fmt.Errorf("cannot load policies: no rule defines %s", query)
	}
	body, err := c.QueryCompiler().
		WithStrict(true).
		Compile(ast.NewBody(ast.Equality.Expr(ast.NewTerm(resultVar), ast.MustParseTerm(query))))
	if err != nil {
		return nil, fmt.Errorf("cannot prepare %s: %w", query, err)
	}
	return body, nil
}

// checkDataPaths refuses data mounted at or inside a package path (or a package inside a
// data value), which would make data.<path> ambiguous.
func checkDataPaths(modules map[string]*ast.Module, data map[string]any) error {
	var conflicts []string
	for path, m := range modules {
		if overlaps(data, m.Package.Path[1:]) {
			conflicts = append(conflicts, fmt.Sprintf("%s: package %s overlaps a data file", path, m.Package.Path))
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return fmt.Errorf("cannot load policies: %s", strings.Join(conflicts, "; "))
	}
	return nil
}

// overlaps reports whether data holds a value at pkg or at one of its prefixes.
func overlaps(data map[string]any, pkg ast.Ref) bool {
	node := any(data)
	for _, term := range pkg {
		key, ok := term.Value.(ast.String)
		obj, isObj := node.(map[string]any)
		if !ok || !isObj {
			return !isObj
		}
		if node, ok = obj[string(key)]; !ok {
			return false
		}
	}
	return true
}
