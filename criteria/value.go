package criteria

// Value is the configured side of a static criterion, mirroring the service
// model's MetricValue (behavior.MetricValue) field for field so that criteria
// stays a leaf package. Exactly the field that fits the operator is set:
// Count or Number for the comparisons, CIDRs for the CIDR-set operators,
// Ports for the port-set operators, Numbers or Strings for in-set and
// not-in-set.
type Value struct {
	Count   *int64
	Number  *float64
	CIDRs   []string
	Ports   []int64
	Numbers []float64
	Strings []string
}

// fields lists the set fields of v by their JSON names, in model order. A
// list counts as set when it is non-nil: an explicit empty list is a value.
func (v Value) fields() []string {
	var fs []string
	if v.Count != nil {
		fs = append(fs, "count")
	}
	if v.CIDRs != nil {
		fs = append(fs, "cidrs")
	}
	if v.Ports != nil {
		fs = append(fs, "ports")
	}
	if v.Number != nil {
		fs = append(fs, "number")
	}
	if v.Numbers != nil {
		fs = append(fs, "numbers")
	}
	if v.Strings != nil {
		fs = append(fs, "strings")
	}
	return fs
}
