package testscripts

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSetenv sets a variable to the previous command's stdout, without its trailing
// newline, for a later argument to compare against a value only the run knows (a
// generated password):
//
//	setenv <name>
func cmdSetenv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: setenv <name>")
	}
	ts.Setenv(args[0], strings.TrimRight(ts.ReadFile("stdout"), "\n"))
}

// cmdWaitStdout runs kubectl, in the script's namespace, until its stdout is the
// content of a file of the script, trailing newlines aside (a value another object
// was seen to take), for a change that follows another one asynchronously:
//
//	wait-stdout <timeout> <file> <kubectl args>...
func cmdWaitStdout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: wait-stdout <timeout> <file> <kubectl args>...")
	}
	timeout, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("wait-stdout: %v", err)
	}
	want := ts.ReadFile(args[1])
	full := append([]string{"--namespace", ts.Getenv("NAMESPACE")}, args[2:]...)
	var last string
	for deadline := time.Now().Add(timeout); ; {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(env.kubectl, full...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+env.cluster.KubeconfigPath)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			last = err.Error() + ": " + stderr.String()
		} else if last = stdout.String(); strings.TrimRight(last, "\n") == strings.TrimRight(want, "\n") {
			return
		}
		if time.Now().After(deadline) {
			// The values compared may be secret: say only that they differ.
			ts.Fatalf("wait-stdout: kubectl %s did not print the content of %s within %s (last: %d bytes)", strings.Join(args[2:], " "), args[1], timeout, len(last))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
