package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"dbaas.io/operator/schemas"
)

// packageFile is one CUE file of an engine package.
type packageFile struct {
	name string
	src  []byte
}

// readPackage reads the *.cue files directly inside dir (subfolders such as testdata
// or simulate are not part of the engine) and digests them.
func readPackage(fsys fs.FS, dir string) ([]packageFile, string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read engine folder %s: %w", dir, err)
	}
	var files []packageFile
	h := sha256.New()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") {
			continue
		}
		name := path.Join(dir, e.Name())
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, "", fmt.Errorf("cannot read %s: %w", name, err)
		}
		files = append(files, packageFile{name: name, src: src})
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(src))
		h.Write(src)
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("engine folder %s has no .cue files", dir)
	}
	return files, hex.EncodeToString(h.Sum(nil)), nil
}

// compile builds one CUE package from files in a fresh context. Only the CUE standard
// library may be imported, so an engine is self-contained and loads from any folder.
func compile(ctx *cue.Context, pkg string, files []packageFile, leaveOut ...string) (cue.Value, error) {
	inst := build.NewContext().NewInstance(pkg, nil)
	for _, f := range files {
		syntax, err := parser.ParseFile(f.name, f.src, parser.ParseComments)
		if err != nil {
			return cue.Value{}, fmt.Errorf("cannot parse %s: %s", f.name, describe(err))
		}
		if len(leaveOut) > 0 {
			leaveOutFields(syntax, leaveOut)
		}
		if err := inst.AddSyntax(syntax); err != nil {
			return cue.Value{}, fmt.Errorf("cannot add %s: %s", f.name, describe(err))
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("cannot compile %s: %s", pkg, describe(err))
	}
	return v, nil
}

// leaveOutFields deletes the file's top-level fields of the names given, the
// comprehensions that declare only such fields, and then the imports nothing else in
// the file uses (CUE refuses an unused import).
func leaveOutFields(f *ast.File, names []string) {
	f.Decls = slices.DeleteFunc(f.Decls, func(d ast.Decl) bool {
		declared, ok := declaredNames(d)
		return ok && !slices.ContainsFunc(declared, func(n string) bool { return !slices.Contains(names, n) })
	})
	used := map[string]bool{}
	for _, d := range f.Decls {
		if _, ok := d.(*ast.ImportDecl); ok {
			continue
		}
		ast.Walk(d, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name] = true
			}
			return true
		}, nil)
	}
	f.Decls = slices.DeleteFunc(f.Decls, func(d ast.Decl) bool {
		imports, ok := d.(*ast.ImportDecl)
		if !ok {
			return false
		}
		imports.Specs = slices.DeleteFunc(imports.Specs, func(spec *ast.ImportSpec) bool {
			return !used[importName(spec)]
		})
		return len(imports.Specs) == 0
	})
}

// importName is the name a file refers to an import by: its alias, or the last
// element of its path.
func importName(spec *ast.ImportSpec) string {
	if spec.Name != nil {
		return spec.Name.Name
	}
	p, _ := strconv.Unquote(spec.Path.Value)
	p, _, _ = strings.Cut(p, ":")
	return path.Base(p)
}

// withoutOperations returns the files that do not define the top-level field
// operations: by convention operations.cue holds the operations and their helpers.
func withoutOperations(files []packageFile) []packageFile {
	var out []packageFile
	for _, f := range files {
		syntax, err := parser.ParseFile(f.name, f.src)
		if err != nil {
			return files
		}
		defines := false
		for _, d := range syntax.Decls {
			if field, ok := d.(*ast.Field); ok {
				if name, _, err := ast.LabelName(field.Label); err == nil && name == "operations" {
					defines = true
				}
			}
		}
		if !defines {
			out = append(out, f)
		}
	}
	return out
}

// contract compiles #Engine from the embedded schemas/engine package.
func contract(ctx *cue.Context) (cue.Value, error) {
	files, _, err := readPackage(schemas.Engine, "engine")
	if err != nil {
		return cue.Value{}, err
	}
	v, err := compile(ctx, "engine", files)
	if err != nil {
		return cue.Value{}, err
	}
	return v.LookupPath(cue.ParsePath("#Engine")), nil
}

func loadFiles(files []packageFile, digest, dir, source string) (*Engine, error) {
	inst, err := compileInstance(files, dir)
	if err != nil {
		return nil, err
	}
	def, err := contract(inst.ctx)
	if err != nil {
		return nil, err
	}
	whole := *inst.whole
	unified := def.Unify(whole)
	if err := unified.Validate(); err != nil {
		return nil, fmt.Errorf("engine %s does not satisfy #Engine: %s", dir, describe(err))
	}
	e := &Engine{Digest: digest, Source: source, shared: &shared{}}
	e.SetEvalTimeout(DefaultEvalTimeout)
	if err := e.readHeader(whole); err != nil {
		return nil, fmt.Errorf("engine %s: %w", dir, err)
	}
	if err := e.readOperationDefaults(unified); err != nil {
		return nil, fmt.Errorf("engine %s: %w", dir, err)
	}
	// The instance that checked the engine holds the whole package and the contract,
	// which evaluations seldom need: the pool starts empty and its instances compile
	// what they evaluate.
	e.ev = newEvaluator(newPool(files, dir), DefaultMemoBytes)
	return e, nil
}

// readHeader reads the fields that do not depend on the input: name, catalog, kinds,
// child operator and operation names.
func (e *Engine) readHeader(value cue.Value) error {
	var err error
	if e.Name, err = value.LookupPath(cue.ParsePath("name")).String(); err != nil {
		return fmt.Errorf("cannot read name: %s", describe(err))
	}
	var versions map[string]Version
	if err := value.LookupPath(cue.ParsePath("versions")).Decode(&versions); err != nil {
		return fmt.Errorf("cannot read versions: %s", describe(err))
	}
	for name, v := range versions {
		v.Name = name
		e.Versions = append(e.Versions, v)
		if v.Default {
			if e.DefaultVersion != "" {
				return fmt.Errorf("versions %s and %s are both marked default", e.DefaultVersion, name)
			}
			e.DefaultVersion = name
		}
	}
	if e.DefaultVersion == "" {
		return fmt.Errorf("no version in the catalog is marked default: true")
	}
	sort.Slice(e.Versions, func(i, j int) bool { return compareVersions(e.Versions[i].Name, e.Versions[j].Name) < 0 })
	var kinds []struct {
		APIVersion, Kind string
		AddOn            *AddOn
	}
	if err := value.LookupPath(cue.ParsePath("kinds")).Decode(&kinds); err != nil {
		return fmt.Errorf("cannot read kinds: %s", describe(err))
	}
	for _, k := range kinds {
		gv, err := schema.ParseGroupVersion(k.APIVersion)
		if err != nil {
			return fmt.Errorf("kind %s: %w", k.Kind, err)
		}
		gvk := gv.WithKind(k.Kind)
		e.Kinds = append(e.Kinds, gvk)
		if k.AddOn != nil {
			if e.AddOns == nil {
				e.AddOns = map[schema.GroupVersionKind]AddOn{}
			}
			e.AddOns[gvk] = *k.AddOn
		}
	}
	if op := value.LookupPath(cue.ParsePath("operator")); op.Exists() {
		e.Operator = &Operator{}
		if err := op.Decode(e.Operator); err != nil {
			return fmt.Errorf("cannot read operator: %s", describe(err))
		}
	}
	// dataBearing, cleanup.retain, binding and the keys of oneShot are read once here: they
	// must not depend on the input.
	for field, out := range map[string]*[]string{"dataBearing": &e.DataBearing, "cleanup.retain": &e.RetainedKeys} {
		if v := value.LookupPath(cue.ParsePath(field)); v.Exists() {
			if err := v.Decode(out); err != nil {
				return fmt.Errorf("cannot read %s: %s", field, describe(err))
			}
		}
	}
	if v := value.LookupPath(cue.ParsePath("binding")); v.Exists() {
		if err := v.Decode(&e.Binding); err != nil {
			return fmt.Errorf("cannot read binding: %s", describe(err))
		}
	}
	if v := value.LookupPath(cue.ParsePath("cli")); v.Exists() {
		e.CLI = &CLI{}
		if err := v.Decode(e.CLI); err != nil {
			return fmt.Errorf("cannot read cli: %s", describe(err))
		}
	}
	if v := value.LookupPath(cue.ParsePath("backups")); v.Exists() {
		e.Backups = &Backups{}
		if err := v.Decode(e.Backups); err != nil {
			return fmt.Errorf("cannot read backups: %s", describe(err))
		}
	}
	if shots := value.LookupPath(cue.ParsePath("oneShot")); shots.Exists() {
		it, err := shots.Fields()
		if err != nil {
			return fmt.Errorf("cannot read oneShot: %s", describe(err))
		}
		for it.Next() {
			e.OneShots = append(e.OneShots, it.Selector().Unquoted())
		}
		sort.Strings(e.OneShots)
	}
	ops := value.LookupPath(cue.ParsePath("operations"))
	if ops.Exists() {
		it, err := ops.Fields()
		if err != nil {
			return fmt.Errorf("cannot read operations: %s", describe(err))
		}
		for it.Next() {
			e.Operations = append(e.Operations, it.Selector().Unquoted())
		}
		sort.Strings(e.Operations)
	}
	return nil
}
