package feed

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/internal/replay"
)

// FuzzRun checks that Run, inline and with several workers, gives any input, valid or
// not, the outcomes and engine state of a loop over Reader.Next and Apply.
func FuzzRun(f *testing.F) {
	f.Add([]byte(`{"time":1767225900,"thingName":"a","type":"disconnect"}` + "\n" + `bad` + "\n"))
	f.Add([]byte(`{"time":1767225900,"thingName":"a","report":{"hed":{"rid":1,"v":"1.0"},"met":{"tp":{"pts":[{"pt":443}],"t":1}}}}` + "\n" +
		`{"time":1767225000,"thingName":"a","report":{"hed":}}` + "\n\n" +
		`{"time":1767226900,"thingName":"b","reportCbor":"oWNoZWSiY3JpZBoAAAABYXZjMS4w"}`))
	// Reports whose end a worker takes on trust (ParseDeferred), rightly
	// and wrongly.
	f.Add([]byte(`{"time":1767225900,"thingName":"a","report":{"hed":{"rid":1,"v":"1.0"},"met":{}},"type":{"a":1}}` + "\n" +
		`{"report":{"hed":{"rid":1,"v":"1.0"},"met":{}},"time":1767225900}}` + "\n" +
		`{"time":1767225900,"thingName":"a","report":{"hed":{"rid":2,"v":"1.0"},"met":{}} }` + "\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		type seen struct {
			line int
			err  string
		}
		ref, err := ruledetect.New()
		require.NoError(t, err)
		var want []seen
		r := replay.NewReader(bytes.NewReader(input))
		for rec, err := range r.All() {
			if err != nil {
				require.ErrorIs(t, err, replay.ErrBadRecord, "an in-memory input has no read errors")
			} else {
				_, err = Apply(context.Background(), ref, rec)
			}
			want = append(want, seen{r.Line(), errString(err)})
		}
		for _, workers := range []int{1, 3} {
			e, err := ruledetect.New()
			require.NoError(t, err)
			var got []seen
			require.NoError(t, Run(context.Background(), e, replay.NewReader(bytes.NewReader(input)), workers, func(o *Outcome) error {
				got = append(got, seen{o.Line, errString(o.Err)})
				return nil
			}))
			require.Equal(t, want, got, "%d workers", workers)
			require.Equal(t, ref.Stats(), e.Stats(), "%d workers", workers)
		}
	})
}
