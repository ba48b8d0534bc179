package broker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ruledetect/ruledetect/dimension"
)

// ErrInvalidACL is the error every ACL problem ParseACL and NewACL report
// matches with errors.Is.
var ErrInvalidACL = errors.New("broker: invalid ACL")

// Action is what an ACL rule allows: publishing, or subscribing (and so
// receiving what the subscription matches).
type Action uint8

// The actions.
const (
	Publish Action = iota + 1
	Subscribe
)

// String returns "publish" or "subscribe".
func (a Action) String() string {
	switch a {
	case Publish:
		return "publish"
	case Subscribe:
		return "subscribe"
	}
	return "invalid"
}

// AnyClient is the Rule.Client that makes a rule apply to every client.
const AnyClient = "*"

// Rule allows one client, or every client, one action on the topics a
// filter matches.
type Rule struct {
	// Client is the client id (thing name) the rule applies to, or AnyClient.
	Client string
	// Action is Publish or Subscribe.
	Action Action
	// Filter is an MQTT topic filter ('+' one level, '#' the rest) in which
	// ${iot:ClientId} stands for the id of the client being checked, as in
	// AWS IoT policies and Detect dimensions.
	Filter string
}

// ACL is a compiled set of Rules. Everything a rule does not allow is
// denied. A client may:
//
//   - publish to a topic that a Publish rule's filter matches;
//   - subscribe to a filter that a Subscribe rule's filter covers, that is,
//     every topic the requested filter matches is matched by the rule's
//     filter ("things/dev-1/+" is covered by "things/dev-1/#", and
//     "things/#" is not);
//   - receive a message on a topic that a Subscribe rule's filter matches.
//
// As in MQTT, a filter whose first level is a wildcard does not match
// topics that start with '$'; shared subscriptions ("$share/…") need rules
// that name them. An ACL is immutable and safe for concurrent use.
type ACL struct {
	rules []Rule
	// For each action, the filters of AnyClient rules and those of each
	// named client, compiled.
	any  [2]*dimension.Matcher
	each [2]map[string]*dimension.Matcher
}

// NewACL checks and compiles rules. An error names the first bad rule by
// its index and matches ErrInvalidACL.
func NewACL(rules []Rule) (*ACL, error) {
	var any [2][]string
	var each [2]map[string][]string
	for i, r := range rules {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%w: rule %d: %w", ErrInvalidACL, i, err)
		}
		a := r.Action - 1
		if r.Client == AnyClient {
			any[a] = append(any[a], r.Filter)
			continue
		}
		if each[a] == nil {
			each[a] = map[string][]string{}
		}
		each[a][r.Client] = append(each[a][r.Client], r.Filter)
	}
	acl := &ACL{rules: append([]Rule(nil), rules...)}
	for a := range 2 {
		var err error
		if acl.any[a], err = dimension.Compile(any[a]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidACL, err)
		}
		for client, filters := range each[a] {
			m, err := dimension.Compile(filters)
			if err != nil {
				return nil, fmt.Errorf("%w: client %q: %w", ErrInvalidACL, client, err)
			}
			if acl.each[a] == nil {
				acl.each[a] = map[string]*dimension.Matcher{}
			}
			acl.each[a][client] = m
		}
	}
	return acl, nil
}

func (r Rule) check() error {
	if r.Client == "" {
		return errors.New("client is empty (use " + AnyClient + " for every client)")
	}
	if r.Client != AnyClient {
		if err := checkClientID(r.Client); err != nil {
			return fmt.Errorf("client %q: %w", r.Client, err)
		}
	}
	if r.Action != Publish && r.Action != Subscribe {
		return fmt.Errorf("action %d is neither publish nor subscribe", r.Action)
	}
	return dimension.ValidateFilter(r.Filter)
}

// DefaultACL lets every client publish its own metrics reports and
// subscribe to their replies, and publish and subscribe under
// things/CLIENT/. In ParseACL's format, it is five rules for client "*":
//
//	publish    $aws/things/${iot:ClientId}/defender/metrics/json
//	publish    $aws/things/${iot:ClientId}/defender/metrics/cbor
//	subscribe  $aws/things/${iot:ClientId}/defender/metrics/+/+
//	publish    things/${iot:ClientId}/#
//	subscribe  things/${iot:ClientId}/#
func DefaultACL() *ACL {
	acl, err := ParseACL(strings.NewReader(defaultACL))
	if err != nil {
		panic("broker: the default ACL does not parse: " + err.Error())
	}
	return acl
}

const defaultACL = `
*  publish    $aws/things/${iot:ClientId}/defender/metrics/json
*  publish    $aws/things/${iot:ClientId}/defender/metrics/cbor
*  subscribe  $aws/things/${iot:ClientId}/defender/metrics/+/+
*  publish    things/${iot:ClientId}/#
*  subscribe  things/${iot:ClientId}/#
`

// ParseACL reads rules in a line format and compiles them with NewACL. Each
// non-blank line that does not start with '#' (a comment) is one rule of
// three fields separated by spaces or tabs:
//
//	CLIENT  ACTION  FILTER
//
// CLIENT is a client id or "*" for every client, ACTION is "publish" or
// "subscribe", and FILTER, the rest of the line with surrounding space
// trimmed, is an MQTT topic filter that may contain ${iot:ClientId}. For
// example, a gateway that publishes reports on behalf of other things:
//
//	gateway-1  publish  $aws/things/+/defender/metrics/json
//
// An error names the line and matches ErrInvalidACL.
func ParseACL(r io.Reader) (*ACL, error) {
	var rules []Rule
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		client, rest := cutField(line)
		action, filter := cutField(rest)
		r := Rule{Client: client, Filter: filter}
		switch action {
		case "publish":
			r.Action = Publish
		case "subscribe":
			r.Action = Subscribe
		default:
			return nil, fmt.Errorf("%w: line %d: action %q is neither publish nor subscribe", ErrInvalidACL, n, action)
		}
		if filter == "" {
			return nil, fmt.Errorf("%w: line %d: no topic filter (want CLIENT ACTION FILTER)", ErrInvalidACL, n)
		}
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrInvalidACL, n, err)
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidACL, err)
	}
	return NewACL(rules)
}

// cutField splits s at its first run of spaces or tabs.
func cutField(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// Rules returns a copy of the rules the ACL was compiled from.
func (a *ACL) Rules() []Rule { return append([]Rule(nil), a.rules...) }

// CanPublish reports whether client may publish to topic.
func (a *ACL) CanPublish(client, topic string) bool {
	return a.match(Publish, client, topic)
}

// CanReceive reports whether client may be delivered a message on topic.
func (a *ACL) CanReceive(client, topic string) bool {
	return a.match(Subscribe, client, topic)
}

// CanSubscribe reports whether client may subscribe to filter: whether a
// Subscribe rule's filter covers it.
func (a *ACL) CanSubscribe(client, filter string) bool {
	if !strings.ContainsAny(filter, "+#") {
		return a.match(Subscribe, client, filter) // a filter without wildcards is a topic
	}
	req := strings.Split(filter, "/")
	for _, r := range a.rules {
		if r.Action == Subscribe && (r.Client == AnyClient || r.Client == client) && covers(r.Filter, client, req) {
			return true
		}
	}
	return false
}

func (a *ACL) match(act Action, client, topic string) bool {
	i := act - 1
	return a.any[i].Match(topic, client) || a.each[i][client].Match(topic, client)
}

// covers reports whether every topic that the filter with levels req
// matches is matched by allowed, with ${iot:ClientId} in allowed standing
// for client (which has no '/', '+' or '#': see checkClientID).
func covers(allowed, client string, req []string) bool {
	al := strings.Split(strings.ReplaceAll(allowed, dimension.ClientIDVariable, client), "/")
	dollar := strings.HasPrefix(req[0], "$")
	for i, r := range req {
		if i >= len(al) {
			return false
		}
		switch a := al[i]; {
		case a == "#":
			return i > 0 || !dollar
		case a == "+":
			if r == "#" || (i == 0 && dollar) {
				return false
			}
		case a != r:
			return false // a literal level covers only itself, not '+' or '#'
		}
	}
	// "a/#" also matches "a" itself.
	return len(al) == len(req) || (len(al) == len(req)+1 && al[len(req)] == "#")
}
