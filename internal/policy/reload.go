package policy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
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
	// problem is why no Set serves, while none does.
	problem atomic.Pointer[error]
}

// NewReloader loads dir and returns a Reloader serving it. A directory that does not
// load at start is served from its last good version (WithLastGood); without one,
// the Reloader serves no policies, and every decision is a denial that says why
// (Current is nil, Problem the error), until the directory loads: neither the
// embedded policies nor none at all would be what the platform team wrote. onError
// (may be nil) receives each failure, besides the log and the metrics.
func NewReloader(dir string, log logr.Logger, onError func(error), opts ...Option) (*Reloader, error) {
	r := &Reloader{dir: dir, log: log, onError: onError, opts: newOptions(opts)}
	files, err := readFiles(os.DirFS(dir))
	var s *Set
	if err == nil {
		s, err = loadFiles(files, digest(files), r.opts)
	}
	if err == nil {
		lastReloadSuccess.Set(1)
		r.current.Store(s)
		r.saveLastGood(files)
		return r, nil
	}
	err = fmt.Errorf("cannot load policies from %s: %w", dir, err)
	reloadErrors.Inc()
	lastReloadSuccess.Set(0)
	if onError != nil {
		onError(err)
	}
	if last, lgErr := r.loadLastGood(); lgErr != nil {
		return nil, errors.Join(err, lgErr)
	} else if last != nil {
		log.Error(err, "the policies do not load: their last good version serves", "digest", last.Digest())
		r.current.Store(last)
		r.failedErr = err
		return r, nil
	}
	log.Error(err, "the policies do not load and no earlier version is known: every decision is a denial until they load")
	r.problem.Store(&err)
	return r, nil
}

// Current is the Set in service; nil when the policies never loaded (see Problem).
func (r *Reloader) Current() *Set { return r.current.Load() }

// Problem says why no policies serve; nil when a Set serves.
func (r *Reloader) Problem() error {
	if r.current.Load() != nil {
		return nil
	}
	if p := r.problem.Load(); p != nil {
		return *p
	}
	return nil
}

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
	if cur := r.Current(); cur != nil && d == cur.Digest() {
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
	r.saveLastGood(files)
	return true, nil
}

// saveLastGood keeps the files of a generation that loaded; a failure is logged and
// reported (the policies serve all the same).
func (r *Reloader) saveLastGood(files []file) {
	if r.opts.lastGood == nil {
		return
	}
	set := map[string][]byte{}
	for _, f := range files {
		set[f.path] = f.body
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.opts.lastGood.Save(ctx, lastGoodName, set); err != nil {
		err = fmt.Errorf("the policies serve, but could not be kept as the last good version: %w", err)
		r.log.Error(err, "cannot save the last good policies")
		if r.onError != nil {
			r.onError(err)
		}
	}
}

// loadLastGood compiles the last good version of the policies, nil when none is
// known.
func (r *Reloader) loadLastGood() (*Set, error) {
	if r.opts.lastGood == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	set, ok, err := r.opts.lastGood.Load(ctx, lastGoodName)
	if err != nil || !ok {
		return nil, err
	}
	var files []file
	for p, body := range set {
		files = append(files, file{path: p, body: body})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return loadFiles(files, digest(files), r.opts)
}

// lastGoodName is the name the policies are kept under in the LastGood store.
const lastGoodName = "policies"

// fail reports a failed load once per distinct failure (content digest or read error),
// not at every poll.
func (r *Reloader) fail(key string, err error) error {
	if key == r.failed {
		return r.failedErr
	}
	keeping := "none: every decision is a denial"
	if cur := r.Current(); cur != nil {
		keeping = "digest " + cur.Digest()
	}
	err = fmt.Errorf("cannot reload policies from %s, keeping %s: %w", r.dir, keeping, err)
	r.failed, r.failedErr = key, err
	reloadErrors.Inc()
	lastReloadSuccess.Set(0)
	r.log.Error(err, "policy reload failed")
	if r.onError != nil {
		r.onError(err)
	}
	return err
}
