package behavior

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-json-experiment/json"
)

// FuzzParseAndValidate: no input panics ParseDocument or Validate, a
// failed parse returns no document, and a valid document re-encodes to one
// that parses and validates as valid.
func FuzzParseAndValidate(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`[]`, `{}`, `{"behaviors":null}`, `[{"name":"b","metric":"custom","criteria":{"comparisonOperator":"in-set","value":{"strings":["a"]}}}]`,
		`{"Resources":{"P":{"Type":"AWS::IoT::SecurityProfile","Properties":{"Behaviors":[{"Name":"b","Metric":"aws:num-disconnects","Criteria":{"ComparisonOperator":"less-than","Value":{"Count":"1"},"DurationSeconds":300}}]}}}}`,
		`{"securityProfileName":"p","expectedVersion":1,"deleteBehaviors":true}`,
		`{"securityProfileName":"p","version":3,"creationDate":"2026-01-01T00:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDocument(data)
		if err != nil {
			if d != nil {
				t.Fatalf("failed parse returned a document: %v", err)
			}
			return
		}
		if !d.Validate(ValidateOptions{}).Valid {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("re-encoding a valid %s: %v", d.Kind, err)
		}
		again, err := ParseDocument(out)
		if err != nil {
			t.Fatalf("re-encoded %s does not parse: %v\n%s", d.Kind, err, out)
		}
		if r := again.Validate(ValidateOptions{}); !r.Valid {
			t.Fatalf("re-encoded %s is invalid: %v\n%s", d.Kind, r.ValidationErrors, out)
		}
	})
}
