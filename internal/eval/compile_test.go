package eval

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ruledetect/ruledetect/behavior"
)

// The behavior package's catalog decides which aws: metrics validate; the
// engine's metricSources decides where their datapoints come from. A name in
// the first and not the second used to compile silently as a custom metric,
// validate, and never fire.
func TestEveryCatalogMetricHasASource(t *testing.T) {
	var catalog []string
	for _, m := range behavior.Metrics() {
		catalog = append(catalog, m.Name)
		cb, err := compile("p", behavior.Behavior{Name: "b", Metric: m.Name}, Env{Period: 300 * time.Second})
		require.NoError(t, err, m.Name)
		assert.NotEqual(t, fieldCustom, cb.field, "%s compiles as a custom metric", m.Name)
		assert.Empty(t, cb.custom, m.Name)
	}
	slices.Sort(catalog)
	assert.Equal(t, catalog, slices.Sorted(maps.Keys(metricSources)), "the catalog and the engine's sources list the same metrics")
}

func TestAWSMetricWithoutASourceIsRefused(t *testing.T) {
	_, err := compile("p", behavior.Behavior{Name: "b", Metric: "aws:num-messages-sent"}, Env{Period: 300 * time.Second})
	require.NoError(t, err)
	saved := metricSources["aws:num-messages-sent"]
	delete(metricSources, "aws:num-messages-sent")
	defer func() { metricSources["aws:num-messages-sent"] = saved }()
	_, err = compile("p", behavior.Behavior{Name: "b", Metric: "aws:num-messages-sent"}, Env{Period: 300 * time.Second})
	require.ErrorContains(t, err, "has no source")
}
