package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzYAMLToJSON: any input either fails to convert or converts to valid
// JSON with one YAML position per JSON line; parseProfileDocument never
// panics.
func FuzzYAMLToJSON(f *testing.F) {
	for _, name := range []string{"cfn-security-profile.yaml", "cfn-dimension.yaml", "cfn-custom-metric.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: !Ref b\nc: !GetAtt [d, e]\nf: &x [1, 2.5, .inf]\ng: *x\n"))
	f.Add([]byte("- 2010-09-09\n- ~\n- yes\n- 0x10\n- '5'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		js, pos, err := yamlToJSON(data)
		if err == nil {
			if !jsontext.Value(js).IsValid() {
				t.Fatalf("invalid JSON %q from %q", js, data)
			}
			if n := bytes.Count(js, []byte("\n")) + 1; n != len(pos) {
				t.Fatalf("%d JSON lines, %d positions", n, len(pos))
			}
		}
		parseProfileDocument(data)
	})
}
