package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/provider"
	"dbaas.io/operator/internal/render"
)

// runRender prints, as a YAML stream, the objects the operator would apply for each
// DatabaseCluster in the file: the same engines, the same stages, the same labels.
func runRender(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "file of DatabaseCluster YAML documents (- for standard input)")
	enginesDir := fs.String("engines-dir", "", "folder of engine packages that override the embedded ones")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("-f is required")
	}
	registry, err := loadRegistry(*enginesDir)
	if err != nil {
		return err
	}
	objects, err := readObjects(*file)
	if err != nil {
		return err
	}
	clusters := objects.clusters
	if len(clusters) == 0 {
		return fmt.Errorf("%s has no DatabaseCluster", *file)
	}
	factory := &provider.Factory{Registry: registry}
	for _, c := range clusters {
		p, err := factory.Get(c.Spec.Engine)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		children, err := renderChildren(p, c)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		for _, child := range children {
			b, err := sigsyaml.Marshal(child.Object)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "---\n%s", b)
		}
	}
	return nil
}

// renderChildren renders the child objects of c with the engine of p, as the operator
// would apply them: in c's namespace, with the operator's labels.
func renderChildren(p provider.Provider, c *dbaasv1.DatabaseCluster) ([]*unstructured.Unstructured, error) {
	in, err := provider.ClusterInput(c)
	if err != nil {
		return nil, err
	}
	result, err := p.Engine().Render(render.Input{Cluster: in})
	if err != nil {
		return nil, err
	}
	children := make([]*unstructured.Unstructured, len(result.Objects))
	for i, o := range result.Objects {
		children[i] = provider.Child(c, o.Key, o.Object, p.Engine().Ownerless(o.Key))
	}
	return children, nil
}

// loadRegistry loads the embedded engines and, if dir is set, the overrides; unlike
// the operator, the CLI fails on a broken override so CI catches it.
func loadRegistry(dir string) (*render.Registry, error) {
	return render.NewRegistry(engines.FS(), dir)
}

// objects are the documents of a YAML file that dbaasctl understands.
type objects struct {
	clusters []*dbaasv1.DatabaseCluster
	ops      []*dbaasv1.OpsRequest
}

// readObjects decodes every DatabaseCluster and OpsRequest document of a YAML file,
// strictly, so a misspelt field is an error rather than silently ignored; other
// documents are skipped. Objects without a namespace get "default".
func readObjects(path string) (*objects, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	out := &objects{}
	reader := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", path, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta struct{ Kind string }
		if err := sigsyaml.Unmarshal(doc, &meta); err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", path, err)
		}
		var obj metav1.Object
		switch meta.Kind {
		case "DatabaseCluster":
			c := &dbaasv1.DatabaseCluster{}
			out.clusters = append(out.clusters, c)
			obj = c
		case "OpsRequest":
			o := &dbaasv1.OpsRequest{}
			out.ops = append(out.ops, o)
			obj = o
		default:
			continue
		}
		if err := decodeStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace("default")
		}
	}
	return out, nil
}

// decodeStrict decodes a YAML document as the API server does with
// fieldValidation=Strict: field names are case-sensitive and unknown or duplicate
// fields are errors.
func decodeStrict(doc []byte, into any) error {
	data, err := sigsyaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	strict, err := json.UnmarshalStrict(data, into)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}
