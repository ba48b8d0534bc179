#!/usr/bin/env python3
"""Writes iot-detect-model.json: the HTTP bindings, members and error shapes
of the Detect operations and the thing-group membership ones (and the model's error shapes' HTTP statuses) from
botocore's AWS IoT service model (iot/2015-05-28/service-2.json[.gz]).

Run: python3 extract_model.py > iot-detect-model.json
"""
import gzip, json, os, sys
import botocore

OPS = ["CreateDimension", "DescribeDimension", "UpdateDimension", "DeleteDimension", "ListDimensions",
       "CreateCustomMetric", "DescribeCustomMetric", "UpdateCustomMetric", "DeleteCustomMetric", "ListCustomMetrics",
       "CreateSecurityProfile", "DescribeSecurityProfile", "UpdateSecurityProfile", "DeleteSecurityProfile",
       "ListSecurityProfiles", "ValidateSecurityProfileBehaviors", "AttachSecurityProfile", "DetachSecurityProfile",
       "ListTargetsForSecurityProfile", "ListSecurityProfilesForTarget", "ListActiveViolations",
       "ListViolationEvents", "PutVerificationStateOnViolation", "ListMetricValues",
       "AddThingToThingGroup", "RemoveThingFromThingGroup", "UpdateThingGroupsForThing"]

d = os.path.join(os.path.dirname(botocore.__file__), "data", "iot", "2015-05-28")
p = os.path.join(d, "service-2.json")
m = json.load(open(p)) if os.path.exists(p) else json.load(gzip.open(p + ".gz"))
out = {"source": "botocore %s data/iot/2015-05-28/service-2.json" % botocore.__version__,
       "operations": {}, "errors": {}}
for name in OPS:
    op = m["operations"][name]
    inp = m["shapes"][op["input"]["shape"]]
    members = {k: v.get("location", "body") + ("" if "locationName" not in v else ":" + v["locationName"])
               for k, v in inp.get("members", {}).items()}
    outp = m["shapes"][op["output"]["shape"]]
    out["operations"][name] = {"method": op["http"]["method"], "requestUri": op["http"]["requestUri"],
                               "input": members, "required": inp.get("required", []),
                               "output": sorted(outp.get("members", {}).keys()),
                               "errors": [e["shape"] for e in op.get("errors", [])]}
    for e in op.get("errors", []):
        out["errors"][e["shape"]] = m["shapes"][e["shape"]]["error"]["httpStatusCode"]
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
