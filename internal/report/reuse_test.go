package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecoderReuse(t *testing.T) {
	long := readTestdata(t, "agent-report-embeddedc-reportbuilder-long.json")
	small := readTestdata(t, "agent-report-python-long-delta.json")
	bad := readTestdata(t, "devguide-troubleshoot-report-custom-number-not-array.input.json")
	cb := readTestdata(t, "agent-report-python-short.cbor")

	var d Decoder
	var r Report
	t.Run("decoding twice gives the same Report", func(t *testing.T) {
		require.NoError(t, d.DecodeJSON(long, &r))
		first := norm(&r)
		require.NoError(t, d.DecodeJSON(long, &r))
		assert.Equal(t, first, norm(&r))
		assert.Equal(t, norm(&embeddedCBuilder), first)
	})
	t.Run("a smaller report leaves nothing of the larger one", func(t *testing.T) {
		require.NoError(t, d.DecodeJSON(long, &r))
		require.NoError(t, d.DecodeJSON(small, &r))
		assert.Equal(t, norm(&pythonDelta), norm(&r))
	})
	t.Run("a failed decode leaves an empty Report", func(t *testing.T) {
		require.NoError(t, d.DecodeJSON(long, &r))
		require.ErrorIs(t, d.DecodeJSON(bad, &r), ErrMalformed)
		assert.Equal(t, Report{}, norm(&r))
		// and the Decoder still works
		require.NoError(t, d.DecodeCBOR(cb, &r))
		assert.Equal(t, norm(&pythonShort), norm(&r))
	})
	t.Run("dropped entries do not leak into the next report", func(t *testing.T) {
		in := []byte(`{` + hed + `,"cmet":{"a":[{"number_list":[1,2,1e999]}],"b":[{"number_list":[7]}]}}`)
		require.NoError(t, d.DecodeJSON(long, &r))
		require.NoError(t, d.DecodeJSON(in, &r))
		assert.Equal(t, []CustomValue{{Name: "b", Kind: NumberList, Numbers: []float64{7}}}, norm(&r).Custom)
		assert.Len(t, r.Dropped, 1)
	})
	t.Run("Clone survives the next decode", func(t *testing.T) {
		require.NoError(t, d.DecodeJSON(long, &r))
		c := r.Clone()
		require.NoError(t, d.DecodeJSON(readTestdata(t, "agent-report-embeddedc-demo-short.json"), &r))
		assert.Equal(t, norm(&embeddedCBuilder), norm(&c))
		assert.Equal(t, norm(&embeddedCDemo), norm(&r))
	})
	t.Run("Report methods use a throwaway Decoder", func(t *testing.T) {
		var r2 Report
		require.NoError(t, r2.DecodeJSON(long))
		assert.Equal(t, norm(&embeddedCBuilder), norm(&r2))
		require.NoError(t, r2.DecodeCBOR(cb))
		assert.Equal(t, norm(&pythonShort), norm(&r2))
	})
}

// A warm Decoder decodes a known report without allocating.
func TestDecodeSteadyStateAllocs(t *testing.T) {
	for _, a := range benchAgents {
		var d Decoder
		var r Report
		in := readTestdata(t, a.json)
		require.NoError(t, d.DecodeJSON(in, &r))
		assert.Zero(t, testing.AllocsPerRun(50, func() { _ = d.DecodeJSON(in, &r) }), a.json)
		if a.cbor != "" {
			in := readTestdata(t, a.cbor)
			require.NoError(t, d.DecodeCBOR(in, &r))
			assert.Zero(t, testing.AllocsPerRun(50, func() { _ = d.DecodeCBOR(in, &r) }), a.cbor)
		}
	}
}

func TestCustomByName(t *testing.T) {
	r := embeddedCBuilder.Clone()
	v, ok := r.CustomByName("free_mem")
	require.True(t, ok)
	assert.Equal(t, 15052772.0, v.Number)
	_, ok = r.CustomByName("nope")
	assert.False(t, ok)
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Number: "number", NumberList: "number_list", StringList: "string_list", IPList: "ip_list", 0: "invalid", 9: "invalid"} {
		assert.Equal(t, want, k.String())
	}
}

func TestDecodeJSONFrom(t *testing.T) {
	// A replay record embeds the report in a larger document.
	doc := []byte(`{"thingName":"cam-1","report":` + string(readTestdata(t, "agent-report-python-short.json")) + `,"time":1}`)
	jd := newJSONDecoder(doc)
	tok, err := jd.ReadToken() // {
	require.NoError(t, err)
	require.Equal(t, byte('{'), byte(tok.Kind()))
	for {
		name, err := jd.ReadToken()
		require.NoError(t, err)
		if name.String() == "report" {
			break
		}
		require.NoError(t, jd.SkipValue())
	}
	var d Decoder
	var r Report
	require.NoError(t, d.DecodeJSONFrom(jd, &r))
	assert.Equal(t, norm(&pythonShort), norm(&r))
	name, err := jd.ReadToken()
	require.NoError(t, err)
	assert.Equal(t, "time", name.String(), "the caller's decoder is left after the report")

	jd = newJSONDecoder([]byte(`{"number":1}`))
	require.ErrorIs(t, d.DecodeJSONFrom(jd, &r), ErrMalformed)
	assert.Equal(t, Report{}, norm(&r))
}
