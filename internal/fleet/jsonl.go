package fleet

import (
	"bufio"
	"io"

	"github.com/ruledetect/ruledetect/internal/replay"
)

// WriteJSONL writes the run's records to w as replay JSON Lines, the input
// `ruledetect replay` reads. It returns the first write error.
func (f *Fleet) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	line := make([]byte, 0, 4096)
	for rec := range f.Records() {
		line = replay.AppendRecord(line[:0], rec)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
