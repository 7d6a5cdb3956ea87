package operator

import (
	"fmt"
	"io"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// LogFormat is how the operator writes its log: JSON for a log collector (the
// shipped manager), console for a person reading a terminal (dbaasctl dev).
type LogFormat string

const (
	LogJSON    LogFormat = "json"
	LogConsole LogFormat = "console"
)

// ParseLogFormat checks a --log-format value.
func ParseLogFormat(s string) (LogFormat, error) {
	switch f := LogFormat(s); f {
	case LogJSON, LogConsole:
		return f, nil
	}
	return "", fmt.Errorf("log format %q: want json or console", s)
}

// NewLogger returns a logger that writes to w in format. opts are the
// controller-runtime zap options (its --zap-* flags); an encoder they choose
// (--zap-encoder) wins over format, so those flags keep working.
func NewLogger(format LogFormat, w io.Writer, opts zap.Options) logr.Logger {
	encoderChosen := opts.Encoder != nil || opts.NewEncoder != nil
	return zap.New(zap.UseFlagOptions(&opts), zap.WriteTo(w), func(o *zap.Options) {
		if encoderChosen {
			return
		}
		if format == LogConsole {
			zap.ConsoleEncoder()(o)
		} else {
			zap.JSONEncoder()(o)
		}
	})
}
