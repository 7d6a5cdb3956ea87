package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
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
func compile(ctx *cue.Context, pkg string, files []packageFile) (cue.Value, error) {
	inst := build.NewContext().NewInstance(pkg, nil)
	for _, f := range files {
		syntax, err := parser.ParseFile(f.name, f.src, parser.ParseComments)
		if err != nil {
			return cue.Value{}, fmt.Errorf("cannot parse %s: %s", f.name, describe(err))
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
	unified := def.Unify(inst.value)
	if err := unified.Validate(); err != nil {
		return nil, fmt.Errorf("engine %s does not satisfy #Engine: %s", dir, describe(err))
	}
	e := &Engine{Digest: digest, Source: source, shared: &shared{}}
	e.SetEvalTimeout(DefaultEvalTimeout)
	if err := e.readHeader(inst.value); err != nil {
		return nil, fmt.Errorf("engine %s: %w", dir, err)
	}
	if err := e.readOperationDefaults(unified); err != nil {
		return nil, fmt.Errorf("engine %s: %w", dir, err)
	}
	e.ev = newEvaluator(newPool(inst, files, dir), DefaultMemoBytes)
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
	var kinds []struct{ APIVersion, Kind string }
	if err := value.LookupPath(cue.ParsePath("kinds")).Decode(&kinds); err != nil {
		return fmt.Errorf("cannot read kinds: %s", describe(err))
	}
	for _, k := range kinds {
		gv, err := schema.ParseGroupVersion(k.APIVersion)
		if err != nil {
			return fmt.Errorf("kind %s: %w", k.Kind, err)
		}
		e.Kinds = append(e.Kinds, gv.WithKind(k.Kind))
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
