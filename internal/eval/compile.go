package eval

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/criteria"
	"github.com/ruledetect/ruledetect/dimension"
)

// input is the kind of input a behavior's datapoints come from.
type input uint8

const (
	inMessageSent input = iota
	inMessageReceived
	inAuthFailure
	inConnect
	inDisconnect
	inReport
	numInputs
)

// field is which part of a device report feeds a behavior.
type field uint8

const (
	fieldNone field = iota
	fieldBytesIn
	fieldBytesOut
	fieldPacketsIn
	fieldPacketsOut
	fieldListeningTCPCount
	fieldListeningUDPCount
	fieldEstablishedCount
	fieldListeningTCPPorts
	fieldListeningUDPPorts
	fieldDestinationIPs
	fieldCustom
)

// evaluation is how a behavior's datapoints are judged.
type evaluation uint8

const (
	evalNone        evaluation = iota // not compiled for evaluation
	evalStatic                        // criteria.value
	evalStatistical                   // criteria.statisticalThreshold
	// evalRetain: ML Detect, no criteria, or additionalMetricsToRetainV2:
	// datapoints are retained and exported, never judged.
	evalRetain
)

// Behavior is one behavior of one profile version, ready for the hot
// path. It is immutable; a profile update compiles new ones and keeps the
// identity (id) of behaviors that did not change, so their alarm state carries
// over; the alarms of changed or removed behaviors are invalidated.
type Behavior struct {
	id      uint64
	profile string
	b       behavior.Behavior // as stored; events carry a copy of it

	in     input
	agg    agg
	field  field
	custom string // custom metric name, for fieldCustom
	// sourceIP is true for aws:source-ip-address (list datapoints of one
	// address, from connects or, with a dimension, messages).
	sourceIP bool
	float    bool // datapoints are float64 (custom number), not integer counts
	periods  int  // window length in evaluation periods (durationSeconds / P); 0 = per input

	eval      evaluation
	crit      *criteria.Criterion // evalStatic
	op        criteria.Operator   // evalStatistical
	statistic criteria.Statistic  // evalStatistical

	dim   *dimension.Matcher // nil: no dimension
	dimOp dimension.Operator
	// series names the metric's retained values (ListMetricValues): the
	// metric with its dimension's name and operator.
	series Series

	toAlarm, toClear int
	suppressed       bool
}

// sourceOf returns the input, and for a report the field, that a catalog
// row's source (behavior.Source) names, and false for a source this
// package does not know: the one catalog, in package behavior, says
// where each metric's datapoints come from.
func sourceOf(m behavior.Metric) (input, field, bool) {
	switch m.Source {
	case behavior.FromMessagesSent:
		return inMessageSent, fieldNone, true
	case behavior.FromMessagesReceived:
		return inMessageReceived, fieldNone, true
	case behavior.FromAuthorizationFailures:
		return inAuthFailure, fieldNone, true
	case behavior.FromConnects:
		return inConnect, fieldNone, true
	case behavior.FromDisconnects:
		return inDisconnect, fieldNone, true
	case behavior.FromBytesIn:
		return inReport, fieldBytesIn, true
	case behavior.FromBytesOut:
		return inReport, fieldBytesOut, true
	case behavior.FromPacketsIn:
		return inReport, fieldPacketsIn, true
	case behavior.FromPacketsOut:
		return inReport, fieldPacketsOut, true
	case behavior.FromListeningTCPCount:
		return inReport, fieldListeningTCPCount, true
	case behavior.FromListeningUDPCount:
		return inReport, fieldListeningUDPCount, true
	case behavior.FromEstablishedCount:
		return inReport, fieldEstablishedCount, true
	case behavior.FromListeningTCPPorts:
		return inReport, fieldListeningTCPPorts, true
	case behavior.FromListeningUDPPorts:
		return inReport, fieldListeningUDPPorts, true
	case behavior.FromDestinationIPs:
		return inReport, fieldDestinationIPs, true
	case behavior.FromCustom:
		return inReport, fieldCustom, true
	}
	return 0, 0, false
}

// Env is what compiling a behavior looks up: the dimensions and custom
// metrics it may refer to, and the evaluation period.
type Env struct {
	// Dimension returns the matcher of the dimension named name.
	Dimension func(name string) (*dimension.Matcher, bool)
	// MetricType returns the type of the custom metric named name
	// ("number", "string-list", …).
	MetricType func(name string) (string, bool)
	Period     time.Duration
}

// CompileProfile compiles the behaviors of profile, already validated, for
// evaluation. A behavior that monitors the same as one of old (the
// profile's current compiled behaviors) keeps its id, and with it the
// alarm state of every thing; the others are numbered from *nextID up.
func CompileProfile(profile string, behaviors []behavior.Behavior, old []*Behavior, env Env, nextID *uint64) ([]*Behavior, error) {
	var out []*Behavior
	for _, b := range behaviors {
		cb, err := compile(profile, b, env)
		if err != nil {
			return nil, err
		}
		for _, o := range old {
			if o.b.Name == b.Name && sameMonitoring(&o.b, &b) {
				cb.id = o.id
			}
		}
		if cb.id == 0 {
			*nextID++
			cb.id = *nextID
		}
		out = append(out, cb)
	}
	return out, nil
}

// ID returns the behavior's identity: the same across profile versions for
// as long as what it monitors does not change.
func (cb *Behavior) ID() uint64 { return cb.id }

// Name returns the behavior's name.
func (cb *Behavior) Name() string { return cb.b.Name }

// Profile returns the name of the behavior's profile.
func (cb *Behavior) Profile() string { return cb.profile }

// Def returns the behavior as its profile defines it (not to be changed).
func (cb *Behavior) Def() *behavior.Behavior { return &cb.b }

// Statistical reports whether it is judged against the fleet's percentile.
func (cb *Behavior) Statistical() bool { return cb.eval == evalStatistical }

// compile prepares b, already validated, for evaluation.
func compile(profile string, b behavior.Behavior, env Env) (*Behavior, error) {
	cb := &Behavior{profile: profile, b: b, toAlarm: 1, toClear: 1}
	if b.SuppressAlerts != nil {
		cb.suppressed = *b.SuppressAlerts
	}
	if err := cb.compileMetric(env.metric(b.Metric)); err != nil {
		return nil, err
	}
	cb.series = SeriesOf(b.Metric, b.MetricDimension)
	if b.MetricDimension != nil {
		m, ok := env.dimension(b.MetricDimension.DimensionName)
		if !ok {
			return nil, fmt.Errorf("behavior %s: dimension %s does not exist", b.Name, b.MetricDimension.DimensionName)
		}
		op := ""
		if b.MetricDimension.Operator != nil {
			op = *b.MetricDimension.Operator
		}
		dop, err := dimension.ParseOperator(op)
		if err != nil {
			return nil, fmt.Errorf("behavior %s: %w", b.Name, err)
		}
		cb.dim, cb.dimOp = m, dop
		if cb.sourceIP {
			// With a dimension, source IPs come from the sent messages whose topic passes it.
			cb.in = inMessageSent
		}
	}
	c := b.Criteria
	if c == nil {
		cb.retainOnly()
		return cb, nil
	}
	if c.ConsecutiveDatapointsToAlarm != nil {
		cb.toAlarm = int(*c.ConsecutiveDatapointsToAlarm)
	}
	if c.ConsecutiveDatapointsToClear != nil {
		cb.toClear = int(*c.ConsecutiveDatapointsToClear)
	}
	if err := cb.compileWindow(c, env.Period); err != nil {
		return nil, err
	}
	if err := cb.compileCriteria(c); err != nil {
		return nil, err
	}
	if cb.eval == evalNone {
		cb.retainOnly()
	}
	return cb, nil
}

// compileMetric sets where cb's datapoints come from and how a window
// aggregates them, from its metric's catalog row. A row without a source
// or aggregation this package knows would validate and never fire: it is
// refused (TestEveryCatalogMetricHasASource).
func (cb *Behavior) compileMetric(m behavior.Metric) error {
	in, f, ok := sourceOf(m)
	a, aok := aggOf(m)
	if !ok || !aok {
		return fmt.Errorf("behavior %s: metric %s has no source in the engine", cb.b.Name, m.Name)
	}
	cb.in, cb.field, cb.agg = in, f, a
	// Source IPs: list datapoints of one address, from connects or, with
	// a dimension, sent messages.
	cb.sourceIP = m.Source == behavior.FromConnects && a == aggPerInput
	if f == fieldCustom {
		cb.custom = m.Name
		cb.float = m.Value == behavior.ValueNumber
	}
	return nil
}

// retainOnly makes cb a behavior whose datapoints are only retained (ML
// Detect, a behavior without criteria, a metric to retain): cloud-side
// counts per evaluation period, everything else per input.
func (cb *Behavior) retainOnly() {
	cb.eval = evalRetain
	switch {
	case cb.agg.perPeriod():
		cb.periods = 1
	case cb.periods == 0:
		cb.agg = aggPerInput
	}
}

// compileWindow sets the aggregation window from durationSeconds.
func (cb *Behavior) compileWindow(c *behavior.BehaviorCriteria, period time.Duration) error {
	if c.DurationSeconds == nil || c.MLDetectionConfig != nil {
		if cb.agg.perPeriod() {
			cb.periods = 1
		} else {
			cb.agg = aggPerInput // gauges, byte size and custom numbers without a window
		}
		return nil
	}
	d := time.Duration(*c.DurationSeconds) * time.Second
	if d%period != 0 {
		return fmt.Errorf("behavior %s: durationSeconds %d is not a multiple of the evaluation period %v", cb.b.Name, *c.DurationSeconds, period)
	}
	if cb.agg == aggPerInput {
		return nil // a list metric; validation forbids the duration, nothing to window
	}
	cb.periods = int(d / period)
	return nil
}

// compileCriteria compiles the comparison of c.
func (cb *Behavior) compileCriteria(c *behavior.BehaviorCriteria) error {
	switch {
	case c.MLDetectionConfig != nil:
		cb.eval = evalNone
	case c.StatisticalThreshold != nil:
		op, err := criteria.ParseOperator(c.ComparisonOperator)
		if err != nil {
			return fmt.Errorf("behavior %s: %w", cb.b.Name, err)
		}
		st := ""
		if c.StatisticalThreshold.Statistic != nil {
			st = *c.StatisticalThreshold.Statistic
		}
		stat, err := criteria.ParseStatistic(st)
		if err != nil {
			return fmt.Errorf("behavior %s: %w", cb.b.Name, err)
		}
		cb.eval, cb.op, cb.statistic = evalStatistical, op, stat
		if cb.periods == 0 {
			return fmt.Errorf("behavior %s: a statistical threshold needs durationSeconds", cb.b.Name)
		}
	case c.Value != nil:
		op, err := criteria.ParseOperator(c.ComparisonOperator)
		if err != nil {
			return fmt.Errorf("behavior %s: %w", cb.b.Name, err)
		}
		v := c.Value
		crit, err := criteria.Compile(op, criteria.Value{
			Count: v.Count, Number: v.Number, CIDRs: v.CIDRs, Ports: v.Ports,
			Numbers: v.Numbers, Strings: v.Strings,
		})
		if err != nil {
			return fmt.Errorf("behavior %s: %w", cb.b.Name, err)
		}
		cb.eval, cb.crit = evalStatic, crit
	}
	return nil
}

// sameMonitoring reports whether a and b monitor the same thing the same way,
// so that an alarm of a carries over to b across a profile update: same name,
// metric, dimension and criteria. suppressAlerts and exportMetric may differ.
func sameMonitoring(a, b *behavior.Behavior) bool {
	ja, err1 := behaviorKey(a)
	jb, err2 := behaviorKey(b)
	return err1 == nil && err2 == nil && ja == jb
}

// behaviorKey is the identity of what a behavior monitors: everything but
// suppressAlerts and exportMetric.
func behaviorKey(b *behavior.Behavior) (string, error) {
	k := struct {
		Name      string
		Metric    string
		Dimension *behavior.MetricDimension
		Criteria  *behavior.BehaviorCriteria
	}{b.Name, b.Metric, b.MetricDimension, b.Criteria}
	j, err := json.Marshal(k)
	return string(j), err
}

func (env *Env) dimension(name string) (*dimension.Matcher, bool) {
	if env.Dimension == nil {
		return nil, false
	}
	return env.Dimension(name)
}

func (env *Env) metricType(name string) (string, bool) {
	if env.MetricType == nil {
		return "", false
	}
	return env.MetricType(name)
}

// metric returns the catalog row of the metric called name: an aws:
// metric's own, or a custom metric's type's. A custom metric the control
// plane does not know (none passes validation) is taken per input.
func (env *Env) metric(name string) behavior.Metric {
	if m, ok := behavior.LookupMetric(name); ok {
		return m
	}
	typ, _ := env.metricType(name)
	if m := behavior.CustomMetricType(typ).Metric(name); m.IsValid() {
		return m
	}
	return behavior.Metric{Name: name, Side: behavior.SideCustom, Source: behavior.FromCustom, Aggregation: behavior.PerInput}
}
