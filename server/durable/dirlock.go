package durable

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrDirInUse is what Open returns (with ErrLog) for a data directory that
// another Log holds, in this process or another: two logs writing one
// directory would prune each other's snapshots and interleave their
// records.
var ErrDirInUse = errors.New("data directory in use")

// lockFileName is the file in the data directory whose lock a Log holds
// while it is open; it says which process holds it.
const lockFileName = "LOCK"

// lockDir takes dir for this Log: an exclusive lock on dir/LOCK (see
// tryLock), released when the returned file is closed, by Close, or by the
// end of the process, a crash included. Where the platform has no such
// lock (tryLock reports errNoLock), the directory is not guarded.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	switch err := tryLock(f); {
	case errors.Is(err, errNoLock):
		return f, nil
	case errors.Is(err, errLocked):
		owner := make([]byte, 32)
		n, _ := f.ReadAt(owner, 0)
		f.Close()
		msg := fmt.Sprintf("%s is held by another log", dir)
		if pid := strings.TrimSpace(string(owner[:n])); pid != "" {
			msg += " (process " + pid + ")"
		}
		return nil, fmt.Errorf("%w: %s", ErrDirInUse, msg)
	case err != nil:
		f.Close()
		return nil, err
	}
	// Who holds it, for the message of the next one that tries.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

var (
	errLocked = errors.New("locked")
	errNoLock = errors.New("no file locks on this platform")
)
