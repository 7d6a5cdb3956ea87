package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"
)

// outputFormats are the values of -o, the first the default.
var tableFormats = []string{"table", "wide", "yaml", "json"}

// addOutputFlag adds -o with the given formats and completes them.
func addOutputFlag(cmd *cobra.Command, out *string, formats []string) {
	*out = formats[0]
	cmd.Flags().StringVarP(out, "output", "o", formats[0], "output format: "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// checkOutput names -o when its value is not one of formats.
func checkOutput(out string, formats []string) error {
	if !slices.Contains(formats, out) {
		return usagef("--output: unknown format %q: use one of %s", out, strings.Join(formats, ", "))
	}
	return nil
}

// printObject prints obj as YAML or JSON, with its apiVersion and kind and without
// managed fields, as kubectl get -o does.
func printObject(w io.Writer, format string, obj runtime.Object) error {
	obj = obj.DeepCopyObject()
	if gvk, err := apiutil.GVKForObject(obj, scheme); err == nil {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	if m, ok := obj.(metav1.Object); ok {
		m.SetManagedFields(nil)
	}
	return printData(w, format, obj)
}

// printData prints v as YAML or JSON.
func printData(w io.Writer, format string, v any) error {
	var b []byte
	var err error
	if format == "json" {
		b, err = json.MarshalIndent(v, "", "    ")
		b = append(b, '\n')
	} else {
		b, err = yaml.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// table writes aligned columns, as kubectl get does.
type table struct{ w *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "<none>"
		}
	}
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.w.Flush() }

// age is how long ago t was, as kubectl shows it.
func age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}

// since is the time and age of t for describe, or "" when unset.
func since(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), age(*t))
}
