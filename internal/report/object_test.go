package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPathDepth decodes reports at the deepest places a path reaches, as
// JSON and as CBOR: the path has room for them (maxDepth), and an unknown
// key's value, however deep, is skipped whole without a step on the path.
func TestPathDepth(t *testing.T) {
	deep := `{"a":[{"b":{"c":[[[{"d":1}]]]}}]}`
	cases := []struct {
		name, in, path string
		depth          int
	}{
		{"unknown key in a connection", `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"rad":"10.0.0.1:443","zz":` + deep + `}]}}}}`,
			"met.tc.ec.cs[0].zz", 6},
		{"unknown key in a port entry", `{` + hed + `,"met":{"tp":{"pts":[{"pt":22,"zz":` + deep + `}]}}}`,
			"met.tp.pts[0].zz", 5},
		{"unknown key in tcp_connections", `{` + hed + `,"met":{"tc":{"zz":` + deep + `}}}`,
			"met.tc.zz", 3},
		{"bad string in a custom list", `{` + hed + `,"cmet":{"m":[{"string_list":["a","b c"]}]}}`,
			"cmet.m[0].string_list[1]", 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Less(t, c.depth, maxDepth)
			for _, dec := range []func(testing.TB, []byte) (Report, error){decodeJSON, decodeCBORFromJSON} {
				r, err := dec(t, []byte(c.in))
				require.NoError(t, err)
				require.NotEmpty(t, r.Dropped)
				assert.Equal(t, c.path, r.Dropped[0].Path)
				assert.Equal(t, c.depth, strings.Count(c.path, ".")+strings.Count(c.path, "[")+1)
			}
		})
	}
}

// TestObjectRules checks the key rules object.next and object.known hold
// for every object, in both spellings and both formats: a repeat in either
// spelling rejects the report where it stands, an unknown key rejects it in
// a strict object and is dropped in a lenient one, and the key in hand is off
// the path once the next one is read.
func TestObjectRules(t *testing.T) {
	cases := []struct {
		name, in, path, msg string
	}{
		{"repeat after an unknown key", `{` + hed + `,"met":{"ns":{"bi":1,"zz":2,"bytes_in":3}}}`, "met.ns.bytes_in", "duplicate key"},
		{"repeat after a nested object", `{` + hed + `,"met":{"tc":{"ec":{"cs":[{"rad":"1.1.1.1:1"}]},"established_connections":{}}}}`, "met.tc.established_connections", "duplicate key"},
		{"unknown key after a known one", `{"hed":{"rid":1,"v":"1.0","zz":1},"met":{}}`, "hed.zz", "unknown key (want report_id, version or rid, v)"},
		{"syntax error after a known key", `{` + hed + `,"met":{"ns":{"bi":1,}}}`, "met.ns", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeJSON(t, []byte(c.in))
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, c.path, e.Path)
			assert.Contains(t, e.Msg, c.msg)
		})
	}
}

// decodeCBORFromJSON decodes the JSON report b converted to CBOR.
func decodeCBORFromJSON(t testing.TB, b []byte) (Report, error) {
	t.Helper()
	c, err := jsonToCBOR(b)
	require.NoError(t, err)
	return decodeCBOR(t, c)
}
