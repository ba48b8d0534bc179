package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/internal/fleet"
)

// emitFleet writes the records of the fleet of cfg to name as replay JSON
// Lines (fleet.WriteJSONL), its profile and custom metrics beside it, and
// the command that replays them to w.
func emitFleet(cfg fleet.Config, name string, w io.Writer) error {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	args := []string{"ruledetect", "replay"}
	for _, m := range fleet.CustomMetrics() {
		var in ruledetect.CreateCustomMetricInput
		if err := unmarshalStrict(m, &in); err != nil {
			return err
		}
		p := stem + ".custom-metric-" + in.MetricName + ".json"
		if err := os.WriteFile(p, m, 0o644); err != nil {
			return err
		}
		args = append(args, "--custom-metric", p)
	}
	p := stem + ".profile.json"
	if err := os.WriteFile(p, fleet.Profile(), 0o644); err != nil {
		return err
	}
	args = append(args, "--profile", p, name)

	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := fleet.New(cfg).WriteJSONL(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "ruledetect demo: wrote the fleet's records to %s; replay them with\n  %s\n", name, strings.Join(args, " "))
	return nil
}
