package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/util"
	"sigs.k8s.io/yaml"
)

// dataRoot is where data files are mounted: <dir>/<name>.yaml is data.dbaas.<dir>.<name>,
// as package paths mirror folders under the same root.
const dataRoot = "dbaas"

// maxDepth bounds the walk, so a symlink loop in an override directory cannot hang it.
const maxDepth = 16

// sources are the files of one policy generation, read but not compiled.
type sources struct {
	modules map[string]string // path → Rego text, tests excluded
	tests   map[string]string // path → Rego text of *_test.rego
	data    map[string]any    // the data document, rooted at data
}

// file is one policy file as read from the file system.
type file struct {
	path string
	body []byte
}

// readSources sorts files (see readFiles) into Rego modules, Rego tests and data.
func readSources(files []file) (*sources, error) {
	src := &sources{
		modules: map[string]string{},
		tests:   map[string]string{},
		data:    map[string]any{},
	}
	for _, f := range files {
		switch {
		case strings.HasSuffix(f.path, "_test.rego"):
			src.tests[f.path] = string(f.body)
		case strings.HasSuffix(f.path, ".rego"):
			src.modules[f.path] = string(f.body)
		default:
			if err := mount(src.data, f); err != nil {
				return nil, err
			}
		}
	}
	if len(src.modules) == 0 {
		return nil, fmt.Errorf("cannot load policies: no .rego file found")
	}
	return src, nil
}

// readFiles returns the policy files of fsys (.rego, .json, .yaml, .yml), sorted by path.
// Names starting with "." or "_" are skipped, as go:embed does, which also skips the
// "..data" links and timestamped folders of a mounted ConfigMap.
func readFiles(fsys fs.FS) ([]file, error) {
	var files []file
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > maxDepth {
			return fmt.Errorf("cannot read policies: %s is nested deeper than %d folders", dir, maxDepth)
		}
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return fmt.Errorf("cannot read policies: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			p := path.Join(dir, name)
			// Stat follows symlinks: ConfigMap files and folders are links.
			info, err := fs.Stat(fsys, p)
			if err != nil {
				return fmt.Errorf("cannot read policies: %w", err)
			}
			if info.IsDir() {
				if err := walk(p, depth+1); err != nil {
					return err
				}
				continue
			}
			if !isPolicyFile(name) {
				continue
			}
			body, err := fs.ReadFile(fsys, p)
			if err != nil {
				return fmt.Errorf("cannot read policies: %w", err)
			}
			files = append(files, file{path: p, body: body})
		}
		return nil
	}
	if err := walk(".", 0); err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

func isPolicyFile(name string) bool {
	switch path.Ext(name) {
	case ".rego", ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// digest hashes the files that make a generation: Rego modules and data, not tests, so
// editing a test does not reload the policies.
func digest(files []file) string {
	h := sha256.New()
	for _, f := range files {
		if strings.HasSuffix(f.path, "_test.rego") {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f.path, len(f.body))
		h.Write(f.body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mount places a data file into the data document at data.dbaas.<dir>.<name>.
func mount(root map[string]any, f file) error {
	body := f.body
	if ext := path.Ext(f.path); ext == ".yaml" || ext == ".yml" {
		var err error
		if body, err = yaml.YAMLToJSON(body); err != nil {
			return fmt.Errorf("cannot parse %s: %w", f.path, err)
		}
	}
	var value any
	if err := util.UnmarshalJSON(body, &value); err != nil {
		return fmt.Errorf("cannot parse %s: %w", f.path, err)
	}
	keys := append([]string{dataRoot}, strings.Split(strings.TrimSuffix(f.path, path.Ext(f.path)), "/")...)
	node := root
	for _, k := range keys[:len(keys)-1] {
		next, ok := node[k].(map[string]any)
		if !ok {
			if _, taken := node[k]; taken {
				return fmt.Errorf("cannot mount %s: data.%s is already a value", f.path, strings.Join(keys, "."))
			}
			next = map[string]any{}
			node[k] = next
		}
		node = next
	}
	last := keys[len(keys)-1]
	if _, taken := node[last]; taken {
		return fmt.Errorf("cannot mount %s: data.%s is defined twice", f.path, strings.Join(keys, "."))
	}
	node[last] = value
	return nil
}
