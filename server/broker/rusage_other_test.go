//go:build !unix

package broker

import "time"

// maxRSS and cpuTime are not measured on this platform.
func maxRSS() int64 { return 0 }

func cpuTime() time.Duration { return 0 }
