package render

import (
	"fmt"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
)

// StageError is a render failure attributed to the applier stage where it first
// appeared, with every CUE message and position.
type StageError struct {
	Engine string
	Stage  Stage
	Err    error
}

func (e *StageError) Error() string {
	return fmt.Sprintf("engine %s, stage %s: %s", e.Engine, e.Stage, describe(e.Err))
}

func (e *StageError) Unwrap() error { return e.Err }

// describe flattens a CUE error into one line per message, each with its positions,
// so a condition message or a CLI error names the file and line to fix.
func describe(err error) string {
	var lines []string
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		line := fmt.Sprintf(format, args...)
		if path := e.Path(); len(path) > 0 {
			line = strings.Join(path, ".") + ": " + line
		}
		var pos []string
		for _, p := range cueerrors.Positions(e) {
			pos = append(pos, p.String())
		}
		if len(pos) > 0 {
			line += " (" + strings.Join(pos, ", ") + ")"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return err.Error()
	}
	return strings.Join(lines, "; ")
}
