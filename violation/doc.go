// Package violation turns per-datapoint verdicts into AWS IoT Device Defender
// violations: the consecutive-datapoint alarm/clear state machine (Streak),
// deterministic violation IDs (ID), the ViolationEvent and ActiveViolation
// shapes with the service's JSON, and the event log (Log) that keeps them,
// lists them with the service's filters and paging, records verification
// states, forwards alerts (AlertSink, SNSMessage) and survives a restart
// through MarshalBinary/UnmarshalBinary.
//
// The package knows nothing of the engine: the engine owns one Streak per
// (thing, profile, behavior), feeds it the verdict of every datapoint, and
// calls Log.Raise, Log.Violate, Log.Clear or Log.Invalidate according to the
// Transition it returns:
//
//	switch st.Observe(violating, toAlarm, toClear) {
//	case violation.Alarm:
//		log.Raise(key, b, t, value, suppressed)
//	case violation.StillViolating:
//		log.Violate(key, t, value)
//	case violation.Clear:
//		log.Clear(key, t, value)
//	}
//
// Split this way, the hot path (Observe: one byte of state, no lock, no
// allocation) reaches the log only for transitions and for the violating
// datapoints of an open alarm (Violate, which allocates nothing).
package violation
