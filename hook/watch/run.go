package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sys/unix"

	"github.com/awsrole/awsrole/hook"
	"github.com/awsrole/awsrole/hook/privfile"
)

// Defaults of Options.
const (
	DefaultIdle     = 30 * time.Minute
	DefaultDebounce = 50 * time.Millisecond
	// maxLead is how long before a refresh time the background refresh runs.
	maxLead = time.Minute
	// recheckEvery bounds how long a renamed ancestor directory or a missed
	// event can go unnoticed.
	recheckEvery = 30 * time.Second
)

// ErrRunning is returned by Run when another watcher holds the lock.
var ErrRunning = errors.New("another watcher is running")

// Options configure Run.
type Options struct {
	Paths hook.Paths
	// Idle: exit once no registration has been touched for this long.
	// Halfway through, the watcher bumps the generation once, so that every
	// shell still in use registers again at its next prompt.
	Idle time.Duration
	// Debounce gathers the events of one edit (and lets a CLI command that
	// bumps the generation itself do so first).
	Debounce time.Duration
	// Log receives one line per thing done; nil discards.
	Log io.Writer
	// CreateLock lets Run create watch.lock. A watcher started by a prompt
	// creates nothing (Start made the file): its state directory may be
	// going away under it.
	CreateLock bool
	// Refresh refreshes the credentials of registration key in the
	// background; nil runs "awsrole watch --refresh KEY" (RefreshCommand).
	Refresh func(ctx context.Context, key string) error
}

// watched is one directory under an inotify watch and what its events mean.
type watched struct {
	id    fileID
	names map[string]kind // nil: every name counts, as allNames
	all   kind
}

type kind uint8

const (
	kindConfig   kind = 1 << iota // a registered .awsrole.toml
	kindTrust                     // the trust store
	kindAncestor                  // on the way to a directory that is missing
	kindState                     // the state directory: lock, active/
	kindActive                    // registrations
	kindGen                       // the generation marker's directory
)

type fileID struct{ dev, ino uint64 }

type entry struct {
	Registration
	touched   time.Time
	firstSeen time.Time // when this RefreshAt was first seen
	hasEnv    bool
	refreshed time.Time // the RefreshAt whose background refresh was started
	bumped    time.Time // the RefreshAt whose bump was done
	called    time.Time // the touched time whose roll call was done
}

type watcher struct {
	o       Options
	fsw     *fsnotify.Watcher
	lock    *os.File
	lockID  fileID
	log     *log.Logger
	dirs    map[string]*watched
	regs    map[string]*entry
	started time.Time

	pending    bool
	batchStart time.Time
	flushAt    time.Time
	reconcile  bool
	rescan     bool
	reasons    []string
	ownGen     string
	genSeen    time.Time // when another process last bumped the generation
	lastCheck  time.Time
	refreshing map[string]bool
	done       chan refreshResult
	exit       string // why Run is returning
}

type refreshResult struct {
	key string
	err error
}

// Run is the watcher: it holds the lock until ctx ends, the lock file goes
// away (the state directory was removed), or it has been idle for
// o.Idle. It returns ErrRunning when another watcher holds the lock.
func Run(ctx context.Context, o Options) error {
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	w := &watcher{o: o, log: log.New(o.Log, fmt.Sprintf("awsrole watch[%d]: ", os.Getpid()), log.LstdFlags),
		dirs: map[string]*watched{}, regs: map[string]*entry{}, started: time.Now(),
		refreshing: map[string]bool{}, done: make(chan refreshResult, 8)}
	if w.o.Refresh == nil {
		w.o.Refresh = RefreshCommand
	}
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.lock.Close()
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer fsw.Close()
	w.fsw = fsw
	w.log.Printf("started (idle exit after %s)", o.Idle)
	w.scan(time.Now())
	err = w.loop(ctx)
	w.log.Printf("exiting: %s", w.exit)
	return err
}

// acquire takes the lock. Probes by Running (and by other tools) hold a
// shared lock for an instant, so a failure is retried for a moment before
// concluding that another watcher has it.
func (w *watcher) acquire(ctx context.Context) error {
	flags := os.O_RDWR | unix.O_NOFOLLOW
	if w.o.CreateLock {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(lockPath(w.o.Paths), flags, 0o600)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return fmt.Errorf("watch: lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			return ErrRunning
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	w.lock, w.lockID = f, idOf(fi)
	return nil
}

func idOf(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), st.Ino}
	}
	return fileID{}
}

// lockIntact reports whether watch.lock is still the file this watcher
// locked. When it is not, the state directory was removed or replaced and
// the watcher must not write anything there any more.
func (w *watcher) lockIntact() bool {
	fi, err := os.Lstat(lockPath(w.o.Paths))
	return err == nil && idOf(fi) == w.lockID
}

func (w *watcher) loop(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := time.Now()
		next := w.next(now)
		timer.Reset(max(next.Sub(now), time.Millisecond))
		select {
		case <-ctx.Done():
			w.exit = "stopped"
			return nil
		case ev, ok := <-w.fsw.Events:
			if !ok {
				w.exit = "inotify closed"
				return errors.New("watch: inotify closed")
			}
			w.event(ev, time.Now())
		case err, ok := <-w.fsw.Errors:
			if !ok {
				w.exit = "inotify closed"
				return errors.New("watch: inotify closed")
			}
			// An overflow loses events: treat it as "anything may have changed".
			w.log.Printf("inotify: %v", err)
			w.mark(time.Now(), "events were lost")
			w.reconcile, w.rescan = true, true
		case r := <-w.done:
			delete(w.refreshing, r.key)
			if r.err != nil {
				w.log.Printf("background refresh %s: %v", r.key, r.err)
			}
		case <-timer.C:
		}
		now = time.Now()
		if w.pending && !now.Before(w.flushAt) {
			if !w.flush(now) {
				return nil
			}
		}
		if !w.tick(ctx, now) {
			return nil
		}
	}
}

// next is when the loop must wake up at the latest.
func (w *watcher) next(now time.Time) time.Time {
	next := now.Add(recheckEvery)
	at := func(t time.Time) {
		if t.After(now) && t.Before(next) {
			next = t
		}
	}
	if w.pending {
		at(w.flushAt)
	}
	for _, e := range w.regs {
		at(e.touched.Add(w.o.Idle / 2))
		at(e.touched.Add(w.o.Idle))
		if !e.RefreshAt.IsZero() {
			at(w.refreshTime(e))
			at(e.RefreshAt)
		}
	}
	at(w.lastActive().Add(w.o.Idle))
	at(w.lastCheck.Add(recheckEvery))
	return next
}

// refreshTime is when the background refresh of e runs: a little before the
// shell would refresh at its prompt, at most maxLead before.
func (w *watcher) refreshTime(e *entry) time.Time {
	lead := min(maxLead, e.RefreshAt.Sub(e.firstSeen)/4)
	return e.RefreshAt.Add(-max(lead, 0))
}

func (w *watcher) lastActive() time.Time {
	last := w.started
	for _, e := range w.regs {
		if e.touched.After(last) {
			last = e.touched
		}
	}
	return last
}

// mark starts (or extends) a batch of changes that will bump the generation.
func (w *watcher) mark(now time.Time, reason string) {
	if !w.pending {
		w.pending, w.batchStart, w.flushAt = true, now, now.Add(w.o.Debounce)
	}
	if !slices.Contains(w.reasons, reason) {
		w.reasons = append(w.reasons, reason)
	}
}

// schedule starts a batch that only re-reads registrations or watches.
func (w *watcher) schedule(now time.Time) {
	if !w.pending {
		w.pending, w.batchStart, w.flushAt = true, now, now.Add(w.o.Debounce)
	}
}

func (w *watcher) event(ev fsnotify.Event, now time.Time) {
	if ev.Op == fsnotify.Chmod && !w.isConfig(ev.Name) {
		return // touches of registrations, trust store modes: nothing to do
	}
	if d, ok := w.dirs[ev.Name]; ok && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		// A watched directory itself went away or moved.
		w.reconcile = true
		if d.all|unionKinds(d.names) != kindActive {
			w.mark(now, ev.Name+" was removed or renamed")
		} else {
			w.schedule(now)
		}
		w.rescan = true
		return
	}
	dir, name := filepath.Dir(ev.Name), filepath.Base(ev.Name)
	d, ok := w.dirs[dir]
	if !ok {
		return
	}
	k := d.all | d.names[name]
	if k&kindState != 0 {
		switch name {
		case lockName:
			if ev.Has(fsnotify.Remove | fsnotify.Rename) {
				w.schedule(now) // flush checks the lock and exits
			}
		case activeName:
			w.reconcile, w.rescan = true, true
			w.schedule(now)
		}
	}
	if k&kindGen != 0 {
		if g := hook.CurrentGen(w.o.Paths); g != w.ownGen {
			w.genSeen = now
		}
	}
	if k&kindActive != 0 && strings.HasSuffix(name, ".json") {
		w.rescan = true
		w.schedule(now)
	}
	if k&kindTrust != 0 {
		w.mark(now, "the trust store changed")
		if ev.Has(fsnotify.Create) {
			w.reconcile = true // maybe one of its subdirectories
		}
	}
	if k&kindConfig != 0 {
		w.mark(now, ev.Name+" changed")
	}
	if k&kindAncestor != 0 {
		w.reconcile = true
		w.mark(now, ev.Name+" appeared or went away")
	}
}

func unionKinds(m map[string]kind) kind {
	var k kind
	for _, v := range m {
		k |= v
	}
	return k
}

func (w *watcher) isConfig(path string) bool {
	d, ok := w.dirs[filepath.Dir(path)]
	return ok && d.names[filepath.Base(path)]&kindConfig != 0
}

// flush ends a batch; it returns false when the watcher must exit.
func (w *watcher) flush(now time.Time) bool {
	w.pending = false
	if !w.lockIntact() {
		w.exit = "the lock file was removed"
		return false
	}
	if w.rescan {
		w.scan(now)
	} else if w.reconcile && w.watchAll() {
		w.mark(now, "a watched directory was replaced")
	}
	w.rescan, w.reconcile = false, false
	if len(w.reasons) > 0 {
		// A CLI command (allow, deny, edit) that changed things bumped the
		// generation itself right after: no need for a second bump.
		if w.genSeen.Before(w.batchStart) {
			w.bump(strings.Join(w.reasons, "; "))
		}
		w.reasons = nil
	}
	return true
}

// bump gives the generation a new value, so every shell re-evaluates at its
// next prompt. Never after the state directory went away, and only by
// renaming the marker that is there: a watcher must not add an entry to a
// state directory that someone may be removing. No marker means no shell
// ever evaluated, so none has anything to re-evaluate.
func (w *watcher) bump(reason string) {
	if !w.lockIntact() {
		return
	}
	gen, err := hook.RenameGen(w.o.Paths)
	if err != nil {
		w.log.Printf("cannot bump the generation: %v", err)
		return
	}
	w.ownGen = gen
	w.log.Printf("bumped the generation: %s", reason)
}

// duties is what the clock asks of one registration at a time.
type duties struct {
	expire   bool // no prompt for the idle time: stop watching it
	rollCall bool // half the idle time: shells still in use should register again
	refresh  bool // the background refresh is due
	bump     bool // the refresh time is reached: shells must ask the binary
}

func (d duties) any() bool { return d.expire || d.rollCall || d.refresh || d.bump }

func (w *watcher) duties(key string, e *entry, now time.Time) duties {
	d := duties{
		expire:   !now.Before(e.touched.Add(w.o.Idle)),
		rollCall: !now.Before(e.touched.Add(w.o.Idle/2)) && !e.called.Equal(e.touched),
	}
	if !e.RefreshAt.IsZero() {
		d.refresh = e.hasEnv && !now.Before(w.refreshTime(e)) && now.Before(e.RefreshAt) &&
			!e.refreshed.Equal(e.RefreshAt) && !w.refreshing[key]
		d.bump = !now.Before(e.RefreshAt) && !e.bumped.Equal(e.RefreshAt)
	}
	return d
}

// tick does what is due by the clock; it returns false when the watcher
// must exit.
func (w *watcher) tick(ctx context.Context, now time.Time) bool {
	due := false
	for key, e := range w.regs {
		due = due || w.duties(key, e, now).any()
	}
	if due || now.Sub(w.lastCheck) >= recheckEvery || (len(w.regs) == 0 && !now.Before(w.lastActive().Add(w.o.Idle))) {
		if !w.lockIntact() {
			w.exit = "the lock file was removed"
			return false
		}
		w.scan(now) // fresh touch times before judging anything by them
	}
	var reasons []string
	for key, e := range w.regs {
		d := w.duties(key, e, now)
		switch {
		case d.expire:
			w.log.Printf("%s: no prompt for %s; no longer watched", e.File, w.o.Idle)
			os.Remove(filepath.Join(activePath(w.o.Paths), key+".json"))
			os.Remove(filepath.Join(refreshPath(w.o.Paths), key+".env"))
			delete(w.regs, key)
			w.reconcile = true
			continue
		case d.rollCall:
			e.called = e.touched
			reasons = append(reasons, "roll call: shells still in use register again")
		}
		if d.refresh {
			e.refreshed = e.RefreshAt
			w.refreshing[key] = true
			w.log.Printf("%s: refreshing ahead of %s", e.File, e.RefreshAt.Local().Format(time.TimeOnly))
			go func(key string) {
				rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				defer cancel()
				w.done <- refreshResult{key, w.o.Refresh(rctx, key)}
			}(key)
		}
		if d.bump {
			e.bumped = e.RefreshAt
			reasons = append(reasons, e.File+": refresh time")
		}
	}
	if w.reconcile {
		w.reconcile = false
		if w.watchAll() {
			reasons = append(reasons, "a watched directory was replaced")
		}
	}
	if len(reasons) > 0 {
		slices.Sort(reasons)
		w.bump(strings.Join(slices.Compact(reasons), "; "))
	}
	if len(w.regs) == 0 && len(w.refreshing) == 0 && !now.Before(w.lastActive().Add(w.o.Idle)) {
		w.exit = fmt.Sprintf("idle for %s", w.o.Idle)
		os.RemoveAll(refreshPath(w.o.Paths)) // no one will refresh from these
		return false
	}
	return true
}

// scan re-reads the registrations, then re-establishes the watches.
func (w *watcher) scan(now time.Time) {
	w.lastCheck = now
	dir := activePath(w.o.Paths)
	ents, _ := os.ReadDir(dir)
	seen := map[string]bool{}
	var unchecked []*entry // new, or with a new digest: not yet compared with the file
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		key := strings.TrimSuffix(name, ".json")
		b, mtime, err := privfile.Read(filepath.Join(dir, name), maxFile)
		var r Registration
		if err != nil || json.Unmarshal(b, &r) != nil || !filepath.IsAbs(r.File) {
			continue
		}
		seen[key] = true
		_, envErr := os.Lstat(filepath.Join(refreshPath(w.o.Paths), key+".env"))
		e, ok := w.regs[key]
		if !ok {
			e = &entry{firstSeen: now}
			w.regs[key] = e
			w.log.Printf("watching %s", r.File)
		}
		if !e.RefreshAt.Equal(r.RefreshAt) {
			e.firstSeen = now
		}
		if e.Digest != r.Digest {
			unchecked = append(unchecked, e)
		}
		e.Registration, e.touched, e.hasEnv = r, mtime, envErr == nil
	}
	for key := range w.regs {
		if !seen[key] {
			delete(w.regs, key)
		}
	}
	if w.watchAll() {
		w.mark(now, "a watched directory was replaced")
	}
	// An edit between the shell's read of a file and the watch on it sends
	// no event. Compared only now that the watch is in place, no edit falls
	// between the two: it is either seen here or sent as an event.
	for _, e := range unchecked {
		if hook.FileDigest(e.File) != e.Digest {
			w.mark(now, e.File+" changed before it was watched")
		}
	}
}

// testHookWatchAll, when set by a test, runs as watchAll begins: the moment
// before the watches are in place.
var testHookWatchAll func()

// watchAll makes the inotify watches match what is to be watched now: the
// state directory, the registrations, the trust store and the directory of
// every registered file, or, for a directory that does not exist, its
// nearest existing ancestor (so that its return is seen).
func (w *watcher) watchAll() (changed bool) {
	if testHookWatchAll != nil {
		testHookWatchAll()
	}
	want := map[string]*watched{}
	add := func(dir, name string, k kind) {
		for {
			fi, err := os.Stat(dir)
			if err == nil && fi.IsDir() {
				d := want[dir]
				if d == nil {
					d = &watched{id: idOf(fi), names: map[string]kind{}}
					want[dir] = d
				}
				if name == "" {
					d.all |= k
				} else {
					d.names[name] |= k
				}
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir, name, k = parent, filepath.Base(dir), kindAncestor
		}
	}
	p := w.o.Paths
	for _, n := range []string{lockName, activeName} {
		add(p.State, n, kindState)
	}
	if _, err := os.Stat(activePath(p)); err == nil {
		add(activePath(p), "", kindActive)
	}
	if _, err := os.Stat(p.GenDir()); err == nil {
		add(p.GenDir(), "", kindGen)
	}
	add(p.Data, "", kindTrust)
	for _, sub := range []string{"allow", "paths", "deny"} {
		add(filepath.Join(p.Data, sub), "", kindTrust)
	}
	for _, e := range w.regs {
		dir := filepath.Dir(e.File)
		add(dir, filepath.Base(e.File), kindConfig)
		// The parent too: a removed directory that is still a shell's working
		// directory sends no event of its own until the shell leaves it.
		add(filepath.Dir(dir), filepath.Base(dir), kindAncestor)
	}
	for dir, d := range w.dirs {
		if nd, ok := want[dir]; !ok || nd.id != d.id {
			// The same path now names another directory (renamed away and
			// another put in its place): what the files in it are changed.
			if ok && (nd.all|unionKinds(nd.names))&(kindConfig|kindTrust|kindAncestor) != 0 {
				changed = true
			}
			w.fsw.Remove(dir)
			delete(w.dirs, dir)
		}
	}
	for dir, d := range want {
		if _, ok := w.dirs[dir]; ok {
			w.dirs[dir] = d
			continue
		}
		if err := w.fsw.Add(dir); err != nil {
			w.log.Printf("cannot watch %s: %v", dir, err)
			continue
		}
		w.dirs[dir] = d
	}
	return changed
}

// RefreshCommand runs "awsrole watch --refresh KEY" with this process's own
// environment (HOME, PATH, XDG_* when started by Start): the refresh's
// environment comes from the 0600 file, never from arguments.
func RefreshCommand(ctx context.Context, key string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "watch", "--refresh", key)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}
