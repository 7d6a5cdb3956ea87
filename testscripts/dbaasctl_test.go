package testscripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"dbaas.io/operator/internal/childcrds"
)

// dbaasctl is the dbaasctl binary the scripts run, built once on first use into a
// temporary directory that TestMain removes.
var dbaasctl struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildDbaasctl builds cmd/dbaasctl as users get it.
func buildDbaasctl() (string, error) {
	dbaasctl.once.Do(func() {
		root, err := childcrds.Root()
		if err != nil {
			dbaasctl.err = err
			return
		}
		if dbaasctl.dir, err = os.MkdirTemp("", "dbaasctl-"); err != nil {
			dbaasctl.err = err
			return
		}
		dbaasctl.path = filepath.Join(dbaasctl.dir, "dbaasctl")
		cmd := exec.Command("go", "build", "-o", dbaasctl.path, "./cmd/dbaasctl")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			dbaasctl.err = &buildError{err: err, out: string(out)}
		}
	})
	return dbaasctl.path, dbaasctl.err
}

// removeDbaasctl removes the built binary, if any.
func removeDbaasctl() {
	if dbaasctl.dir != "" {
		os.RemoveAll(dbaasctl.dir)
	}
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "cannot build dbaasctl: " + e.err.Error() + "\n" + e.out }

// cmdDbaasctl runs the dbaasctl binary with the suite's kubeconfig in $KUBECONFIG,
// in the script's work directory:
//
//	dbaasctl <args>...
//
// Its stdout and stderr are the script's. With !, it must exit non-zero.
func cmdDbaasctl(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: dbaasctl <args>...")
	}
	bin, err := buildDbaasctl()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.cluster.KubeconfigPath)
	cmd.Dir = ts.Getenv("WORK")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	switch {
	case err != nil && !neg:
		ts.Fatalf("dbaasctl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	case err == nil && neg:
		ts.Fatalf("dbaasctl %s succeeded, want a failure", strings.Join(args, " "))
	}
}
