package render_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/render"
)

// TestBindingEveryEngine: every engine names a rendered Secret <cluster>-connection
// as its binding, which between the keys it renders and the ones it copies holds
// every binding key. The credentials (password, uri) are copied, never rendered: no
// evaluation sees them.
func TestBindingEveryEngine(t *testing.T) {
	reg, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"postgresql", "mongodb", "mysql", "kafka"} {
		e, ok := reg.Get(name)
		if !ok {
			t.Fatalf("no engine %s", name)
		}
		if e.Binding != "connection" {
			t.Errorf("%s: binding %q, want connection", name, e.Binding)
			continue
		}
		r, err := e.Render(cluster(name, "orders", 3))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		i := slices.IndexFunc(r.Objects, func(o render.Object) bool { return o.Key == e.Binding })
		if i < 0 {
			t.Fatalf("%s: no %s object rendered", name, e.Binding)
		}
		secret := r.Objects[i].Object
		if secret.GetKind() != "Secret" || secret.GetName() != "orders-connection" {
			t.Errorf("%s: binding object is %s %s, want Secret orders-connection", name, secret.GetKind(), secret.GetName())
		}
		data, _ := secret.Object["data"].(map[string]any)
		copied := r.SecretData[e.Binding]
		for _, k := range render.BindingKeys {
			_, rendered := data[k]
			if _, ok := copied[k]; !rendered && !ok {
				t.Errorf("%s: binding Secret lacks %s", name, k)
			}
		}
		for _, k := range []string{"password", "uri"} {
			if _, ok := data[k]; ok {
				t.Errorf("%s: binding Secret renders %s, a credential only the operator copies", name, k)
			}
			if ref, ok := copied[k]; !ok || ref.Secret == "" || ref.Key == "" {
				t.Errorf("%s: %s is not copied from a Secret: %+v", name, k, ref)
			}
		}
		if uri := copied["uri"].URI; strings.Count(uri, "{value}") != 1 || !strings.Contains(uri, "@") {
			t.Errorf("%s: uri template %q: want one {value} as the password of its userinfo", name, uri)
		}
	}
}

// TestBindingLacksKey: an engine whose binding Secret lacks a binding key fails the
// render, naming the key and where it belongs.
func TestBindingLacksKey(t *testing.T) {
	err := renderEdited(t, "postgresql", "binding.cue", func(s string) string {
		// The engine stops copying the uri and renders no database.
		s = cut(t, s, "\turi: {secret: _binding.source")
		return cut(t, s, "\t\t\"database\": database\n")
	})
	want := "engine postgresql: the binding Secret (key connection) lacks database, uri: render them or copy them (secretData.connection)"
	if err == nil || err.Error() != want {
		t.Fatalf("render error %v, want %q", err, want)
	}
}

// TestBindingNamesASecret: a binding that names no rendered Secret fails the render.
func TestBindingNamesASecret(t *testing.T) {
	err := renderEdited(t, "postgresql", "binding.cue", func(s string) string {
		return strings.Replace(s, `binding: "connection"`, `binding: "cluster"`, 1)
	})
	if err == nil || !strings.Contains(err.Error(), `engine postgresql: binding "cluster" names no rendered Secret`) {
		t.Fatalf("render error %v, want the binding named", err)
	}
}

// renderEdited renders a cluster of a copy of the engine whose file is edited.
func renderEdited(t *testing.T, engine, file string, edit func(string) string) error {
	t.Helper()
	dir := t.TempDir()
	copyEngine(t, engine, filepath.Join(dir, engine))
	path := filepath.Join(dir, engine, file)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(b))
	if edited == string(b) {
		t.Fatalf("the edit left %s unchanged", file)
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := render.NewRegistry(engines.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := reg.Get(engine)
	_, err = e.Render(cluster(engine, "orders", 3))
	return err
}

// cut removes the line of s that starts with prefix.
func cut(t *testing.T, s, prefix string) string {
	t.Helper()
	i := strings.Index(s, prefix)
	if i < 0 {
		t.Fatalf("no line %q", prefix)
	}
	end := strings.IndexByte(s[i:], '\n')
	return s[:i] + s[i+end+1:]
}
