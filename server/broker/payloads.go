package broker

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ruledetect/ruledetect"
)

// reply is the payload Device Defender publishes on a report topic's
// /accepted or /rejected topic. Field names and order are the service's:
//
//	{"thingName":"DefenderWorkshopThing","reportId":1542697506,"status":"ACCEPTED","timestamp":1542697506269}
//	{"thingName":"myThing","status":"REJECTED","statusDetails":{"ErrorCode":"InvalidPayload","ErrorMessage":"Malformed metrics report"},"timestamp":1635802047699}
//
// A rejected reply has no reportId, as in the service's example: a report
// rejected as malformed may have none to give.
type reply struct {
	ThingName     string         `json:"thingName" cbor:"thingName"`
	ReportID      int64          `json:"reportId,omitempty" cbor:"reportId,omitempty"`
	Status        string         `json:"status" cbor:"status"`
	StatusDetails *statusDetails `json:"statusDetails,omitempty" cbor:"statusDetails,omitempty"`
	// Timestamp is the time the report was received, in Unix milliseconds.
	Timestamp int64 `json:"timestamp" cbor:"timestamp"`
}

type statusDetails struct {
	ErrorCode    string `json:"ErrorCode" cbor:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage" cbor:"ErrorMessage"`
}

// The reply statuses and error codes. InvalidPayload with "Malformed
// metrics report" is the one the service documents; a report the engine
// refuses for its time (too late, or too far ahead, which a broker that
// stamps at receipt sees only when the engine's clock was moved by other
// means) is not the device's fault, so it gets InternalServerError.
const (
	statusAccepted           = "ACCEPTED"
	statusRejected           = "REJECTED"
	errorCodeInvalidPayload  = "InvalidPayload"
	errorCodeInternal        = "InternalServerError"
	errorMessageMalformed    = "Malformed metrics report"
	errorMessageNotEvaluated = "Metrics report could not be evaluated at its receipt time"
)

func acceptedReply(thing string, res ruledetect.IngestResult, at time.Time) reply {
	return reply{ThingName: thing, ReportID: res.ReportID, Status: statusAccepted, Timestamp: at.UnixMilli()}
}

// rejectedReply answers a report the engine refused with err.
func rejectedReply(thing string, err error, at time.Time) reply {
	d := &statusDetails{ErrorCode: errorCodeInvalidPayload, ErrorMessage: errorMessageMalformed}
	var e *ruledetect.Error
	switch {
	case errors.Is(err, ruledetect.ErrMalformedReport):
	case errors.Is(err, ruledetect.ErrLateInput), errors.Is(err, ruledetect.ErrClockJump):
		d = &statusDetails{ErrorCode: errorCodeInternal, ErrorMessage: errorMessageNotEvaluated}
	case errors.As(err, &e) && e.Message != "":
		d.ErrorMessage = e.Message // e.g. a thing name the service would refuse
	}
	return reply{ThingName: thing, Status: statusRejected, StatusDetails: d, Timestamp: at.UnixMilli()}
}

// encode renders r in the report's format: the service answers a CBOR
// report in CBOR and a JSON report in JSON.
func (r reply) encode(format ruledetect.ReportFormat) ([]byte, error) {
	if format == ruledetect.CBOR {
		return cbor.Marshal(r)
	}
	return json.Marshal(r)
}
