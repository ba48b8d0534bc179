#!/usr/bin/env python3
"""Drives a ruledetect server with boto3 through the Detect control plane.

Run by TestBoto3 (acceptance_test.go), which starts the server, seeds
violations of the profile "Seeded" and passes:
  ENDPOINT         the server's URL
  ACCESS_KEY, SECRET_KEY
  EXPECTED_EVENTS  how many violation events the engine holds
  START, END       the ISO 8601 time range that holds them
Exits non-zero with the failed assertion on any difference; prints "ok".
"""
import os
import sys

import boto3
import botocore
from botocore.config import Config

ENDPOINT = os.environ["ENDPOINT"]
CFG = Config(retries={"max_attempts": 1, "mode": "standard"})


def client(key=os.environ["ACCESS_KEY"], secret=os.environ["SECRET_KEY"], **kw):
    return boto3.client("iot", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, config=kw.get("config", CFG))


c = client()


def expect(code, status, fn, **kw):
    """fn(**kw) must raise the modeled exception `code` with HTTP `status`."""
    exc = getattr(c.exceptions, code, None) or botocore.exceptions.ClientError
    try:
        fn(**kw)
    except exc as e:
        got = e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got == (code, status), (code, status, got, e)
        return e.response["Error"]["Message"]
    raise AssertionError("%s(%r) did not raise %s" % (fn.__name__, kw, code))


def collect(op, key, page_size, **kw):
    """All items of a listing through boto3's paginator, page_size at a time."""
    items, pages = [], 0
    for page in c.get_paginator(op).paginate(PaginationConfig={"PageSize": page_size}, **kw):
        items += page[key]
        pages += 1
    return items, pages


# Dimensions: the 10-per-account quota, idempotent create, paging.
for i in range(10):
    c.create_dimension(name="d%d" % i, type="TOPIC_FILTER", stringValues=["a/%d/#" % i], clientRequestToken="tok%d" % i)
again = c.create_dimension(name="d0", type="TOPIC_FILTER", stringValues=["a/0/#"], clientRequestToken="tok0")
assert again["name"] == "d0", again
expect("ResourceAlreadyExistsException", 409, c.create_dimension, name="d0", type="TOPIC_FILTER", stringValues=["b/#"], clientRequestToken="other")
expect("LimitExceededException", 410, c.create_dimension, name="d10", type="TOPIC_FILTER", stringValues=["a/#"], clientRequestToken="tok10")
names, pages = collect("list_dimensions", "dimensionNames", 3)
assert sorted(names) == sorted("d%d" % i for i in range(10)) and pages == 4, (names, pages)
d = c.update_dimension(name="d1", stringValues=["x/+/y"])
assert d["stringValues"] == ["x/+/y"] and d["lastModifiedDate"] >= d["creationDate"], d
for i in range(10):
    c.delete_dimension(name="d%d" % i)
expect("ResourceNotFoundException", 404, c.describe_dimension, name="d1")

# Custom metrics.
c.create_custom_metric(metricName="battery", metricType="number", displayName="Battery", clientRequestToken="t")
assert c.describe_custom_metric(metricName="battery")["metricType"] == "number"
assert c.update_custom_metric(metricName="battery", displayName="Battery %")["displayName"] == "Battery %"
assert c.list_custom_metrics()["metricNames"] == ["battery"]

# Validation in the service's words.
bad = [{"name": "Authorization", "metric": "aws:num-authorization-failures",
        "criteria": {"comparisonOperator": "greater-than", "value": {"count": 12}, "durationSeconds": 300,
                     "consecutiveDatapointsToAlarm": 100000}}]
v = c.validate_security_profile_behaviors(behaviors=bad)
assert v == {"valid": False, "validationErrors": [{"errorMessage": "Behavior Authorization is malformed. consecutiveDatapointsToAlarm 100000 should be in range[1,10]"}],
             "ResponseMetadata": v["ResponseMetadata"]}, v
msg = expect("InvalidRequestException", 400, c.create_security_profile, securityProfileName="Bad", behaviors=bad)
assert msg == "Behavior Authorization is malformed. consecutiveDatapointsToAlarm 100000 should be in range[1,10]", msg

# Security profiles, versions, conflicts.
good = [{"name": "Battery", "metric": "battery", "criteria": {"comparisonOperator": "greater-than", "value": {"number": 10}}}]
c.create_security_profile(securityProfileName="Mine", behaviors=good, tags=[{"Key": "team", "Value": "a"}])
p = c.describe_security_profile(securityProfileName="Mine")
assert p["version"] == 1 and "tags" not in p and p["behaviors"] == good, p
p = c.update_security_profile(securityProfileName="Mine", securityProfileDescription="d", expectedVersion=1)
assert p["version"] == 2 and p["securityProfileDescription"] == "d", p
expect("VersionConflictException", 409, c.update_security_profile, securityProfileName="Mine", securityProfileDescription="e", expectedVersion=1)
expect("VersionConflictException", 409, c.delete_security_profile, securityProfileName="Mine", expectedVersion=1)
expect("ResourceNotFoundException", 404, c.describe_security_profile, securityProfileName="Nope")
expect("ResourceAlreadyExistsException", 409, c.create_security_profile, securityProfileName="Mine", securityProfileDescription="other")
profiles, _ = collect("list_security_profiles", "securityProfileIdentifiers", 1)
assert sorted(p["name"] for p in profiles) == ["Mine", "Seeded"], profiles
by_metric = c.list_security_profiles(metricName="battery")["securityProfileIdentifiers"]
assert [p["name"] for p in by_metric] == ["Mine"], by_metric

# Targets.
arn = "arn:aws:iot:us-east-1:123456789012:"
c.attach_security_profile(securityProfileName="Mine", securityProfileTargetArn=arn + "thinggroup/lab")
targets = c.list_targets_for_security_profile(securityProfileName="Mine")["securityProfileTargets"]
assert targets == [{"arn": arn + "thinggroup/lab"}], targets
m = c.list_security_profiles_for_target(securityProfileTargetArn=arn + "thinggroup/lab")["securityProfileTargetMappings"]
assert m == [{"securityProfileIdentifier": {"name": "Mine", "arn": arn + "securityprofile/Mine"}, "target": {"arn": arn + "thinggroup/lab"}}], m
c.detach_security_profile(securityProfileName="Mine", securityProfileTargetArn=arn + "thinggroup/lab")
assert c.list_targets_for_security_profile(securityProfileName="Mine")["securityProfileTargets"] == []
c.delete_security_profile(securityProfileName="Mine", expectedVersion=2)
c.delete_custom_metric(metricName="battery")

# Thing-group membership (the test reads the result back from the Engine).
c.add_thing_to_thing_group(thingName="dev-9", thingGroupName="lab")
c.update_thing_groups_for_thing(thingName="dev-9", thingGroupsToAdd=["cams", "field"], thingGroupsToRemove=["lab"])
c.remove_thing_from_thing_group(thingArn=arn + "thing/dev-9", thingGroupArn=arn + "thinggroup/field")
expect("InvalidRequestException", 400, c.add_thing_to_thing_group, thingGroupName="lab")

# Violations seeded by the test through the Engine.
import datetime
start = datetime.datetime.fromisoformat(os.environ["START"].replace("Z", "+00:00"))
end = datetime.datetime.fromisoformat(os.environ["END"].replace("Z", "+00:00"))
events, pages = collect("list_violation_events", "violationEvents", 1, startTime=start, endTime=end)
assert len(events) == int(os.environ["EXPECTED_EVENTS"]) and pages == len(events), (len(events), pages)
assert all(e["securityProfileName"] == "Seeded" and isinstance(e["violationEventTime"], datetime.datetime) for e in events), events
active, _ = collect("list_active_violations", "activeViolations", 2, securityProfileName="Seeded")
assert active, active
vid = active[0]["violationId"]
c.put_verification_state_on_violation(violationId=vid, verificationState="TRUE_POSITIVE", verificationStateDescription="seen")
tp = c.list_violation_events(startTime=start, endTime=end, verificationState="TRUE_POSITIVE")["violationEvents"]
assert tp and all(e["violationId"] == vid and e["verificationState"] == "TRUE_POSITIVE" for e in tp), tp
expect("InvalidRequestException", 400, c.list_violation_events, startTime=start, endTime=end, maxResults=251)

# Retained metric values: the one message dev-1 sent, as a datetime and a count.
values = c.list_metric_values(thingName="dev-1", metricName="aws:message-byte-size", startTime=start, endTime=end)["metricDatumList"]
assert len(values) == 1 and values[0]["value"] == {"count": 10} and isinstance(values[0]["timestamp"], datetime.datetime), values
expect("InvalidRequestException", 400, c.list_metric_values, thingName="dev-1", metricName="aws:message-byte-size",
       startTime=start, endTime=end, dimensionValueOperator="IN")

# Authentication: wrong secret, unknown key, no signature at all.
for cl, code in [(client(secret="wrong"), "InvalidSignatureException"),
                 (client(key="AKIDUNKNOWN"), "UnrecognizedClientException"),
                 (client(config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1})), "MissingAuthenticationTokenException")]:
    try:
        cl.list_dimensions()
        raise AssertionError(code + ": request accepted")
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got == (code, 403), (code, got)
print("ok")
