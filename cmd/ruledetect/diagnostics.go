package main

import (
	"fmt"
	"io"
)

// maxNotices is how many skipped lines, and how many dropped values, a
// replay lists on standard error; the rest are only counted.
const maxNotices = 100

// notices lists problems with the input on standard error, one line each
// as INPUT:LINE: message, the first maxNotices of them; the summary gives
// the count of the rest. The zero notices lists to nowhere.
type notices struct {
	w      io.Writer
	input  string
	what   string // "skipped" or "dropped value", the prefix of each message
	plural string // "skipped lines" or "dropped values", for end
	listed int
	more   int
}

// add lists one problem (or counts it, past the first maxNotices).
func (n *notices) add(line int, format string, a ...any) {
	if n.listed >= maxNotices {
		n.more++
		return
	}
	n.listed++
	if n.w != nil {
		fmt.Fprintf(n.w, "ruledetect replay: %s:%d: %s: %s\n", n.input, line, n.what, fmt.Sprintf(format, a...))
	}
}

// end says how many problems were counted but not listed, if any.
func (n *notices) end() {
	if n.more > 0 && n.w != nil {
		fmt.Fprintf(n.w, "ruledetect replay: %s: %d more %s not listed\n", n.input, n.more, n.plural)
	}
}

// total is how many problems were added.
func (n *notices) total() int { return n.listed + n.more }
