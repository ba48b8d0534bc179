package durable

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ruledetect/ruledetect"
)

// A snapshot file holds the Engine's state after the log record of its
// sequence was applied: snapshot-<seq, 20 digits>.rds in the data
// directory. The name is the one place the sequence is kept, and a file
// only gets that name whole (written to a temporary file, synced, renamed,
// directory synced), so a crash leaves either the old snapshot or both.

const (
	snapshotPrefix = "snapshot-"
	snapshotSuffix = ".rds"
)

func snapshotName(seq uint64) string {
	return fmt.Sprintf("%s%020d%s", snapshotPrefix, seq, snapshotSuffix)
}

// snapshotFile is a snapshot file and the sequence it includes.
type snapshotFile struct {
	path string
	seq  uint64
}

// snapshotFiles lists dir's snapshots, newest (highest sequence) first.
// Temporary files of an interrupted write are removed.
func snapshotFiles(dir string) ([]snapshotFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []snapshotFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-"+snapshotPrefix) {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		digits, ok := strings.CutPrefix(name, snapshotPrefix)
		if !ok {
			continue
		}
		digits, ok = strings.CutSuffix(digits, snapshotSuffix)
		if !ok {
			continue
		}
		seq, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, snapshotFile{path: filepath.Join(dir, name), seq: seq})
	}
	slices.SortFunc(out, func(a, b snapshotFile) int { return cmp.Compare(b.seq, a.seq) }) // newest first
	return out, nil
}

// writeSnapshotFile writes data as the snapshot of seq atomically and
// durably, then removes the older snapshots.
func writeSnapshotFile(dir string, seq uint64, data []byte) error {
	final := filepath.Join(dir, snapshotName(seq))
	tmp, err := os.CreateTemp(dir, ".tmp-"+snapshotName(seq)+"-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync() // the rename itself
		d.Close()
		if err != nil {
			return err
		}
	}
	files, err := snapshotFiles(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.seq < seq {
			os.Remove(f.path)
		}
	}
	return nil
}

// restoreNewest returns an Engine restored from dir's newest snapshot and
// its sequence, or a new Engine and 0 when there is none.
func restoreNewest(ctx context.Context, dir string, opts []ruledetect.Option) (*ruledetect.Engine, uint64, error) {
	files, err := snapshotFiles(dir)
	if err != nil {
		return nil, 0, err
	}
	if len(files) == 0 {
		e, err := ruledetect.New(opts...)
		return e, 0, err
	}
	data, err := os.ReadFile(files[0].path)
	if err != nil {
		return nil, 0, err
	}
	e, err := ruledetect.RestoreSnapshot(ctx, bytes.NewReader(data), opts...)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot %s: %w", files[0].path, err)
	}
	return e, files[0].seq, nil
}
