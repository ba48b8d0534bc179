package server

import (
	"fmt"
	"slices"
	"strings"
)

// Thing-group membership. The Engine is told a thing's whole membership
// (SetThingGroups); the model's operations add and remove groups one
// request at a time, so each is a read-modify-write of the Engine's
// membership, serialized by Server.groupsMu. AWS requires the thing and
// the group to exist in its registry; ruledetect has no registry, so any
// valid names are accepted and the thing becomes a registered thing.

// thingGroupRequest is AddThingToThingGroupRequest and
// RemoveThingFromThingGroupRequest: each thing and group is named by name
// or by ARN.
type thingGroupRequest struct {
	ThingGroupName        string `json:"thingGroupName,omitzero"`
	ThingGroupArn         string `json:"thingGroupArn,omitzero"`
	ThingName             string `json:"thingName,omitzero"`
	ThingArn              string `json:"thingArn,omitzero"`
	OverrideDynamicGroups bool   `json:"overrideDynamicGroups,omitzero"`
}

// updateThingGroupsRequest is UpdateThingGroupsForThingRequest.
type updateThingGroupsRequest struct {
	ThingName             string   `json:"thingName,omitzero"`
	ThingGroupsToAdd      []string `json:"thingGroupsToAdd,omitzero"`
	ThingGroupsToRemove   []string `json:"thingGroupsToRemove,omitzero"`
	OverrideDynamicGroups bool     `json:"overrideDynamicGroups,omitzero"`
}

// nameOrArn resolves a resource named by name or by ARN of this server's
// engine (arn:aws:iot:REGION:ACCOUNT:KIND/NAME).
func (s *Server) nameOrArn(member, name, arn, kind string) (string, error) {
	switch {
	case name != "" && arn != "":
		if arn != s.engine.Arn(kind+"/"+name) {
			return "", invalidRequest(fmt.Sprintf("%sName %q and %sArn %q name different resources", member, name, member, arn))
		}
		return name, nil
	case name != "":
		return name, nil
	case arn != "":
		n, ok := strings.CutPrefix(arn, s.engine.Arn(kind+"/"))
		if !ok || n == "" {
			return "", invalidRequest(fmt.Sprintf("%sArn %q: want %s", member, arn, s.engine.Arn(kind+"/NAME")))
		}
		return n, nil
	}
	return "", invalidRequest(fmt.Sprintf("either %sName or %sArn is required", member, member))
}

// changeGroups applies add and remove to thing's membership.
func (s *Server) changeGroups(q *apiRequest, thing string, add, remove []string) error {
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	groups, _ := s.engine.ThingGroups(thing)
	groups = slices.DeleteFunc(append(groups, add...), func(g string) bool { return slices.Contains(remove, g) })
	return s.engine.SetThingGroups(q.r.Context(), thing, groups)
}

func addThingToThingGroup(s *Server, q *apiRequest) (any, error) {
	return s.oneGroupChange(q, true)
}

func removeThingFromThingGroup(s *Server, q *apiRequest) (any, error) {
	return s.oneGroupChange(q, false)
}

func (s *Server) oneGroupChange(q *apiRequest, add bool) (any, error) {
	var in thingGroupRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	thing, err := s.nameOrArn("thing", in.ThingName, in.ThingArn, "thing")
	if err != nil {
		return nil, err
	}
	group, err := s.nameOrArn("thingGroup", in.ThingGroupName, in.ThingGroupArn, "thinggroup")
	if err != nil {
		return nil, err
	}
	if add {
		return empty{}, s.changeGroups(q, thing, []string{group}, nil)
	}
	return empty{}, s.changeGroups(q, thing, nil, []string{group})
}

func updateThingGroupsForThing(s *Server, q *apiRequest) (any, error) {
	var in updateThingGroupsRequest
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	if in.ThingName == "" {
		return nil, invalidRequest("thingName is required")
	}
	for _, g := range in.ThingGroupsToAdd {
		if slices.Contains(in.ThingGroupsToRemove, g) {
			return nil, invalidRequest(fmt.Sprintf("thing group %q is both added and removed", g))
		}
	}
	return empty{}, s.changeGroups(q, in.ThingName, in.ThingGroupsToAdd, in.ThingGroupsToRemove)
}
