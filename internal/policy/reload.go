package policy

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// DefaultPollInterval is how often a Reloader reads its directory.
const DefaultPollInterval = 2 * time.Second

// Reloader serves the policies of a directory and reloads them when its content changes.
// A change that fails to load is reported once and the last good Set keeps serving.
// It polls by content digest: simple, and it sees ConfigMap updates, which swap symlinks.
type Reloader struct {
	dir     string
	log     logr.Logger
	onError func(error)
	opts    options
	current atomic.Pointer[Set]

	mu        sync.Mutex // serialises Reload
	failed    string     // the last failure (content digest or read error), reported once
	failedErr error      // its error, returned again while the failure lasts
}

// NewReloader loads dir and returns a Reloader serving it. A directory that does not load
// is an error here: at start there is no last good version of the override to keep.
// onError (may be nil) receives each later failure, besides the log and the metrics.
func NewReloader(dir string, log logr.Logger, onError func(error), opts ...Option) (*Reloader, error) {
	s, err := Load(os.DirFS(dir), opts...)
	if err != nil {
		reloadErrors.Inc()
		lastReloadSuccess.Set(0)
		return nil, fmt.Errorf("cannot load policies from %s: %w", dir, err)
	}
	lastReloadSuccess.Set(1)
	r := &Reloader{dir: dir, log: log, onError: onError, opts: newOptions(opts)}
	r.current.Store(s)
	return r, nil
}

// Current is the Set in service.
func (r *Reloader) Current() *Set { return r.current.Load() }

// Start polls the directory until ctx ends; it is a controller-runtime Runnable.
func (r *Reloader) Start(ctx context.Context) error {
	t := time.NewTicker(r.opts.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			_, _ = r.Reload()
		}
	}
}

// NeedLeaderElection is false: every replica serves webhooks, so every replica reloads.
func (r *Reloader) NeedLeaderElection() bool { return false }

// Reload reads the directory once and swaps in a new Set when the content changed and
// loads. It reports whether it swapped, and the error of a failed load.
func (r *Reloader) Reload() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	files, err := readFiles(os.DirFS(r.dir))
	if err != nil {
		return false, r.fail("read: "+err.Error(), err)
	}
	d := digest(files)
	if d == r.Current().Digest() {
		if r.failed != "" {
			// The directory is back to the content in service.
			r.failed, r.failedErr = "", nil
			lastReloadSuccess.Set(1)
		}
		return false, nil
	}
	if d == r.failed {
		return false, r.failedErr
	}
	// Compile the files just digested: reading the directory again could see newer ones.
	s, err := loadFiles(files, d, r.opts)
	if err != nil {
		return false, r.fail(d, err)
	}
	r.failed, r.failedErr = "", nil
	r.current.Store(s)
	lastReloadSuccess.Set(1)
	r.log.Info("reloaded policies", "dir", r.dir, "digest", s.Digest())
	return true, nil
}

// fail reports a failed load once per distinct failure (content digest or read error),
// not at every poll.
func (r *Reloader) fail(key string, err error) error {
	if key == r.failed {
		return r.failedErr
	}
	err = fmt.Errorf("cannot reload policies from %s, keeping digest %s: %w", r.dir, r.Current().Digest(), err)
	r.failed, r.failedErr = key, err
	reloadErrors.Inc()
	lastReloadSuccess.Set(0)
	r.log.Error(err, "policy reload failed")
	if r.onError != nil {
		r.onError(err)
	}
	return err
}
