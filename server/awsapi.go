package server

import (
	"context"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/violation"
)

// The operation handlers: each binds the model's URI, querystring and body
// members onto the Engine's input, calls the Engine and returns the
// response shape. Validation is the Engine's; a handler only refuses what
// cannot be bound (a malformed number, timestamp or body).

// empty is the response of operations whose output shape has no members.
type empty struct{}

func createDimension(s *Server, q *apiRequest) (any, error) {
	var in ruledetect.CreateDimensionInput
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	in.Name = q.path("name")
	return s.engine.CreateDimension(q.r.Context(), in)
}

func describeDimension(s *Server, q *apiRequest) (any, error) {
	return s.engine.DescribeDimension(q.r.Context(), q.path("name"))
}

func updateDimension(s *Server, q *apiRequest) (any, error) {
	var in ruledetect.UpdateDimensionInput
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	in.Name = q.path("name")
	return s.engine.UpdateDimension(q.r.Context(), in)
}

func deleteDimension(s *Server, q *apiRequest) (any, error) {
	return empty{}, s.engine.DeleteDimension(q.r.Context(), q.path("name"))
}

func listDimensions(s *Server, q *apiRequest) (any, error) {
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	return s.engine.ListDimensions(q.r.Context(), ruledetect.ListDimensionsInput{NextToken: q.str("nextToken"), MaxResults: n})
}

func createCustomMetric(s *Server, q *apiRequest) (any, error) {
	var in ruledetect.CreateCustomMetricInput
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	in.MetricName = q.path("metricName")
	return s.engine.CreateCustomMetric(q.r.Context(), in)
}

func describeCustomMetric(s *Server, q *apiRequest) (any, error) {
	return s.engine.DescribeCustomMetric(q.r.Context(), q.path("metricName"))
}

func updateCustomMetric(s *Server, q *apiRequest) (any, error) {
	var in ruledetect.UpdateCustomMetricInput
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	in.MetricName = q.path("metricName")
	return s.engine.UpdateCustomMetric(q.r.Context(), in)
}

func deleteCustomMetric(s *Server, q *apiRequest) (any, error) {
	return empty{}, s.engine.DeleteCustomMetric(q.r.Context(), q.path("metricName"))
}

func listCustomMetrics(s *Server, q *apiRequest) (any, error) {
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	return s.engine.ListCustomMetrics(q.r.Context(), ruledetect.ListCustomMetricsInput{NextToken: q.str("nextToken"), MaxResults: n})
}

func createSecurityProfile(s *Server, q *apiRequest) (any, error) {
	in, err := behavior.ParseSecurityProfile(q.bodyOrEmpty())
	if err != nil {
		return nil, invalidRequest(err.Error())
	}
	in.SecurityProfileName = q.path("securityProfileName")
	return s.engine.CreateSecurityProfile(q.r.Context(), *in)
}

// profileResponse is a profile as Describe/UpdateSecurityProfileResponse
// carry it: the model's response shapes have no tags.
func profileResponse(sp ruledetect.SecurityProfile, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	sp.Tags = nil
	return &sp, nil
}

func describeSecurityProfile(s *Server, q *apiRequest) (any, error) {
	return profileResponse(s.engine.DescribeSecurityProfile(q.r.Context(), q.path("securityProfileName")))
}

func updateSecurityProfile(s *Server, q *apiRequest) (any, error) {
	in, err := behavior.ParseUpdateSecurityProfile(q.bodyOrEmpty())
	if err != nil {
		return nil, invalidRequest(err.Error())
	}
	in.SecurityProfileName = q.path("securityProfileName")
	v, err := q.int64Ptr("expectedVersion")
	if err != nil {
		return nil, err
	}
	if v != nil {
		in.ExpectedVersion = v
	}
	return profileResponse(s.engine.UpdateSecurityProfile(q.r.Context(), *in))
}

func deleteSecurityProfile(s *Server, q *apiRequest) (any, error) {
	v, err := q.int64Ptr("expectedVersion")
	if err != nil {
		return nil, err
	}
	return empty{}, s.engine.DeleteSecurityProfile(q.r.Context(), q.path("securityProfileName"), v)
}

func listSecurityProfiles(s *Server, q *apiRequest) (any, error) {
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	return s.engine.ListSecurityProfiles(q.r.Context(), ruledetect.ListSecurityProfilesInput{
		NextToken: q.str("nextToken"), MaxResults: n,
		DimensionName: q.str("dimensionName"), MetricName: q.str("metricName"),
	})
}

func validateSecurityProfileBehaviors(s *Server, q *apiRequest) (any, error) {
	bs, err := behavior.ParseBehaviors(q.bodyOrEmpty())
	if err != nil {
		return nil, invalidRequest(err.Error())
	}
	return s.engine.ValidateSecurityProfileBehaviors(q.r.Context(), bs)
}

func attachSecurityProfile(s *Server, q *apiRequest) (any, error) {
	arn, err := q.required("securityProfileTargetArn")
	if err != nil {
		return nil, err
	}
	return empty{}, s.engine.AttachSecurityProfile(q.r.Context(), q.path("securityProfileName"), arn)
}

func detachSecurityProfile(s *Server, q *apiRequest) (any, error) {
	arn, err := q.required("securityProfileTargetArn")
	if err != nil {
		return nil, err
	}
	return empty{}, s.engine.DetachSecurityProfile(q.r.Context(), q.path("securityProfileName"), arn)
}

func listTargetsForSecurityProfile(s *Server, q *apiRequest) (any, error) {
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	return s.engine.ListTargetsForSecurityProfile(q.r.Context(), ruledetect.ListTargetsForSecurityProfileInput{
		SecurityProfileName: q.path("securityProfileName"), NextToken: q.str("nextToken"), MaxResults: n,
	})
}

func listSecurityProfilesForTarget(s *Server, q *apiRequest) (any, error) {
	arn, err := q.required("securityProfileTargetArn")
	if err != nil {
		return nil, err
	}
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	rec, err := q.boolPtr("recursive")
	if err != nil {
		return nil, err
	}
	return s.engine.ListSecurityProfilesForTarget(q.r.Context(), ruledetect.ListSecurityProfilesForTargetInput{
		SecurityProfileTargetArn: arn, Recursive: rec != nil && *rec, NextToken: q.str("nextToken"), MaxResults: n,
	})
}

// violationFilter binds the filters both violation listings take.
func violationFilter(q *apiRequest) (ruledetect.ViolationFilter, error) {
	sup, err := q.boolPtr("listSuppressedAlerts")
	if err != nil {
		return ruledetect.ViolationFilter{}, err
	}
	f := ruledetect.ViolationFilter{
		ThingName:            q.str("thingName"),
		SecurityProfileName:  q.str("securityProfileName"),
		ListSuppressedAlerts: sup,
		VerificationState:    ruledetect.VerificationState(q.str("verificationState")),
	}
	f.BehaviorCriteriaType = violation.CriteriaType(q.str("behaviorCriteriaType"))
	return f, nil
}

func listActiveViolations(s *Server, q *apiRequest) (any, error) {
	ctx := context.Background()
	f, err := violationFilter(q)
	if err != nil {
		return nil, err
	}
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	return s.engine.ListActiveViolations(ctx, ruledetect.ListActiveViolationsInput{Filter: f, NextToken: q.str("nextToken"), MaxResults: n})
}

func listViolationEvents(s *Server, q *apiRequest) (any, error) {
	ctx := context.Background()
	f, err := violationFilter(q)
	if err != nil {
		return nil, err
	}
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	start, err := q.time("startTime")
	if err != nil {
		return nil, err
	}
	end, err := q.time("endTime")
	if err != nil {
		return nil, err
	}
	return s.engine.ListViolationEvents(ctx, ruledetect.ListViolationEventsInput{
		StartTime: behavior.At(start), EndTime: behavior.At(end),
		Filter: f, NextToken: q.str("nextToken"), MaxResults: n,
	})
}

func putVerificationStateOnViolation(s *Server, q *apiRequest) (any, error) {
	ctx := context.Background()
	var in ruledetect.PutVerificationStateOnViolationInput
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	in.ViolationID = q.path("violationId")
	return empty{}, s.engine.PutVerificationStateOnViolation(ctx, in)
}

// listMetricValues serves the values the engine retained (see
// ruledetect.WithMetricRetention); an engine that retains none answers
// InvalidRequestException, saying so.
func listMetricValues(s *Server, q *apiRequest) (any, error) {
	thing, err := q.required("thingName")
	if err != nil {
		return nil, err
	}
	metric, err := q.required("metricName")
	if err != nil {
		return nil, err
	}
	start, err := q.time("startTime")
	if err != nil {
		return nil, err
	}
	end, err := q.time("endTime")
	if err != nil {
		return nil, err
	}
	n, err := q.int("maxResults")
	if err != nil {
		return nil, err
	}
	return s.engine.ListMetricValues(q.r.Context(), ruledetect.ListMetricValuesInput{
		ThingName: thing, MetricName: metric,
		DimensionName: q.str("dimensionName"), DimensionValueOperator: q.str("dimensionValueOperator"),
		StartTime: behavior.At(start), EndTime: behavior.At(end),
		MaxResults: n, NextToken: q.str("nextToken"),
	})
}
