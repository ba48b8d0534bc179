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

// FuzzLoadProfileSetup: any profile file either loads or fails with an
// error; a loaded one has a named profile (or more) and every target is a
// resource path.
func FuzzLoadProfileSetup(f *testing.F) {
	for _, name := range []string{"cfn-security-profile.yaml", "cfn-security-profile.json", "cli-describe-security-profile.output.json",
		"cli-validate-security-profile-behaviors-valid.input.json", "cfn-dimension.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Resources:\n  D: {Type: AWS::IoT::Dimension, Properties: {Type: TOPIC_FILTER, StringValues: [a]}}\n  P: {Type: AWS::IoT::SecurityProfile, Properties: {TargetArns: ['arn:aws:iot:r:1:thinggroup/g']}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := loadProfileSetup(setupSource{name: "fuzz.yaml", data: data})
		if err != nil {
			return
		}
		if len(s.profiles) == 0 {
			t.Fatal("loaded without a profile")
		}
		for _, p := range s.profiles {
			if p.profile == nil || p.profile.SecurityProfileName == "" {
				t.Fatalf("a profile without a name: %+v", p)
			}
			for _, target := range p.targets {
				if target == "" {
					t.Fatal("empty target")
				}
			}
		}
	})
}

// FuzzParseThingGroups: a --thing-groups file parses or fails, never panics.
func FuzzParseThingGroups(f *testing.F) {
	f.Add([]byte(`{"cam-1":["cams"],"s":[]}`))
	f.Add([]byte(`{"cam-1":"cams"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseThingGroups(data)
		if err == nil && !jsontext.Value(data).IsValid() {
			t.Fatalf("accepted invalid JSON %q as %v", data, m)
		}
	})
}
