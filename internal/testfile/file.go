package testfile

import (
	"time"

	"github.com/ruledetect/ruledetect/detecttest"
)

// Pos is a place in a test file.
type Pos struct {
	Line, Column int
}

// Doc is a control-plane request document: the contents of a file the test
// file names (Path set) or an inline one (JSON).
type Doc struct {
	Pos  Pos
	Path string // resolved against the test file's directory; empty when inline
	JSON []byte // inline documents, converted to JSON; Load fills it for files
}

// File is a parsed test file.
type File struct {
	Path          string
	Profiles      []Doc
	Dimensions    []Doc
	CustomMetrics []Doc
	ThingGroups   []ThingGroups
	Targets       []string
	Period        time.Duration
	Cumulative    bool
	Start         time.Time
	Tests         []Case
}

// ThingGroups registers a thing as a member of groups.
type ThingGroups struct {
	Thing  string
	Groups []string
}

// Case is one test case: its inputs and what they must produce.
type Case struct {
	Name     string
	Pos      Pos
	Input    string // JSON Lines file, resolved; empty for none
	InputPos Pos
	Series   []Series
	SkipBad  bool
	Until    time.Time // zero: the end of the period of the last input
	Events   []Expected
	Active   []ActiveAt
}

// Series is one input series.
type Series struct {
	Pos      Pos
	Key      string
	Notation string
}

// Expected is one expected violation event.
type Expected struct {
	Pos   Pos
	Event detecttest.Event
}

// ActiveAt is the active violations expected at a time, after every input
// at or before it.
type ActiveAt struct {
	Pos        Pos
	At         time.Time
	Violations []detecttest.Active
}
