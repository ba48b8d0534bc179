package behavior

// Conversions between the CloudFormation mirror types and the API types.
// Each pair is a field-by-field copy; nothing is validated here.

func (p *cfnProperties) profile() SecurityProfile {
	sp := SecurityProfile{
		SecurityProfileName:        p.SecurityProfileName,
		SecurityProfileArn:         p.SecurityProfileArn,
		SecurityProfileDescription: p.SecurityProfileDescription,
		Tags:                       p.Tags,
	}
	for _, b := range p.Behaviors {
		sp.Behaviors = append(sp.Behaviors, b.behavior())
	}
	if p.AlertTargets != nil {
		sp.AlertTargets = make(map[string]AlertTarget, len(p.AlertTargets))
		for k, t := range p.AlertTargets {
			sp.AlertTargets[k] = AlertTarget{AlertTargetArn: t.AlertTargetArn, RoleArn: t.RoleArn}
		}
	}
	for _, m := range p.AdditionalMetricsToRetainV2 {
		sp.AdditionalMetricsToRetainV2 = append(sp.AdditionalMetricsToRetainV2,
			MetricToRetain{Metric: m.Metric, MetricDimension: m.MetricDimension.api(), ExportMetric: m.ExportMetric})
	}
	if c := p.MetricsExportConfig; c != nil {
		sp.MetricsExportConfig = &MetricsExportConfig{MQTTTopic: c.MqttTopic, RoleArn: c.RoleArn}
	}
	return sp
}

func (b *cfnBehavior) behavior() Behavior {
	out := Behavior{Name: b.Name, Metric: b.Metric, MetricDimension: b.MetricDimension.api(),
		SuppressAlerts: b.SuppressAlerts, ExportMetric: b.ExportMetric}
	if c := b.Criteria; c != nil {
		out.Criteria = &BehaviorCriteria{
			ComparisonOperator:           c.ComparisonOperator,
			Value:                        c.Value.api(),
			DurationSeconds:              c.DurationSeconds,
			ConsecutiveDatapointsToAlarm: c.ConsecutiveDatapointsToAlarm,
			ConsecutiveDatapointsToClear: c.ConsecutiveDatapointsToClear,
		}
		if s := c.StatisticalThreshold; s != nil {
			out.Criteria.StatisticalThreshold = &StatisticalThreshold{Statistic: s.Statistic}
		}
		if m := c.MlDetectionConfig; m != nil {
			out.Criteria.MLDetectionConfig = &MachineLearningDetectionConfig{ConfidenceLevel: m.ConfidenceLevel}
		}
	}
	return out
}

func (d *cfnMetricDimension) api() *MetricDimension {
	if d == nil {
		return nil
	}
	return &MetricDimension{DimensionName: d.DimensionName, Operator: d.Operator}
}

func (v *cfnValue) api() *MetricValue {
	if v == nil {
		return nil
	}
	out := &MetricValue{CIDRs: v.Cidrs, Ports: v.Ports, Number: v.Number, Numbers: v.Numbers, Strings: v.Strings}
	if v.Count != nil {
		n := int64(*v.Count)
		out.Count = &n
	}
	return out
}

// cloudFormationProperties is the inverse of cfnProperties.profile.
func cloudFormationProperties(p *CloudFormationProfile) cfnProperties {
	sp := &p.Profile
	out := cfnProperties{
		SecurityProfileName:        sp.SecurityProfileName,
		SecurityProfileArn:         sp.SecurityProfileArn,
		SecurityProfileDescription: sp.SecurityProfileDescription,
		Tags:                       sp.Tags,
		TargetArns:                 p.TargetArns,
	}
	for i := range sp.Behaviors {
		out.Behaviors = append(out.Behaviors, cloudFormationBehavior(&sp.Behaviors[i]))
	}
	if sp.AlertTargets != nil {
		out.AlertTargets = make(map[string]cfnAlertTarget, len(sp.AlertTargets))
		for k, t := range sp.AlertTargets {
			out.AlertTargets[k] = cfnAlertTarget{AlertTargetArn: t.AlertTargetArn, RoleArn: t.RoleArn}
		}
	}
	for _, m := range sp.AdditionalMetricsToRetainV2 {
		out.AdditionalMetricsToRetainV2 = append(out.AdditionalMetricsToRetainV2,
			cfnMetricToRetain{Metric: m.Metric, MetricDimension: cloudFormationDimension(m.MetricDimension), ExportMetric: m.ExportMetric})
	}
	if c := sp.MetricsExportConfig; c != nil {
		out.MetricsExportConfig = &cfnMetricsExportConfig{MqttTopic: c.MQTTTopic, RoleArn: c.RoleArn}
	}
	return out
}

func cloudFormationBehavior(b *Behavior) cfnBehavior {
	out := cfnBehavior{Name: b.Name, Metric: b.Metric, MetricDimension: cloudFormationDimension(b.MetricDimension),
		SuppressAlerts: b.SuppressAlerts, ExportMetric: b.ExportMetric}
	c := b.Criteria
	if c == nil {
		return out
	}
	out.Criteria = &cfnCriteria{
		ComparisonOperator:           c.ComparisonOperator,
		DurationSeconds:              c.DurationSeconds,
		ConsecutiveDatapointsToAlarm: c.ConsecutiveDatapointsToAlarm,
		ConsecutiveDatapointsToClear: c.ConsecutiveDatapointsToClear,
	}
	if v := c.Value; v != nil {
		out.Criteria.Value = &cfnValue{Cidrs: v.CIDRs, Ports: v.Ports, Number: v.Number, Numbers: v.Numbers, Strings: v.Strings}
		if v.Count != nil {
			n := cfnCount(*v.Count)
			out.Criteria.Value.Count = &n
		}
	}
	if s := c.StatisticalThreshold; s != nil {
		out.Criteria.StatisticalThreshold = &cfnStatistical{Statistic: s.Statistic}
	}
	if m := c.MLDetectionConfig; m != nil {
		out.Criteria.MlDetectionConfig = &cfnML{ConfidenceLevel: m.ConfidenceLevel}
	}
	return out
}

func cloudFormationDimension(d *MetricDimension) *cfnMetricDimension {
	if d == nil {
		return nil
	}
	return &cfnMetricDimension{DimensionName: d.DimensionName, Operator: d.Operator}
}
