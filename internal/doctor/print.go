package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// PrintTable writes the report as kubectl writes tables: a header, one line per
// check, then what to run for each failed check, for each optional kind that is
// missing and for each engine whose child operator is missing, and the verdict.
func PrintTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENGINE\tCHECK\tSTATUS\tDETAIL")
	for _, c := range r.Checks {
		engine := c.Engine
		if engine == "" {
			engine = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", engine, c.Subject, c.Status, c.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var fixes []string
	for _, c := range r.Checks {
		if c.Failed() && c.Fix != "" && !slices.Contains(fixes, c.Fix) {
			fixes = append(fixes, c.Fix)
		}
	}
	if len(fixes) > 0 {
		fmt.Fprintln(w, "\nTo install what is missing:")
		for _, f := range fixes {
			fmt.Fprintln(w, "  "+f)
		}
	}
	var optional []string
	for _, c := range r.Checks {
		if !c.Required && c.Status != OK && c.Status != NotFound && c.Fix != "" && !slices.Contains(optional, c.Fix) {
			optional = append(optional, c.Fix)
		}
	}
	if len(optional) > 0 {
		fmt.Fprintln(w, "\nTo install what the optional features need:")
		for _, f := range optional {
			fmt.Fprintln(w, "  "+f)
		}
	}
	engines := make([]string, 0, len(r.Engines))
	for e := range r.Engines {
		engines = append(engines, e)
	}
	slices.Sort(engines)
	if len(engines) > 0 {
		fmt.Fprintln(w, "\nA new DatabaseCluster of these engines is refused:")
		for _, e := range engines {
			fmt.Fprintln(w, "  "+r.Engines[e])
		}
	}
	if r.OK {
		_, err := fmt.Fprintln(w, "\nOK: everything a DatabaseCluster needs is installed.")
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d checks failed.\n", r.Failures())
	return err
}

// PrintJSON writes the report as indented JSON.
func PrintJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
