package peers

// Blank imports keep every peer in go.mod and go.sum while the side-by-side
// benchmarks are written; each benchmark file imports what it measures.
import (
	_ "github.com/DataDog/sketches-go/ddsketch"
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/caio/go-tdigest/v4"
	_ "github.com/eclipse/paho.mqtt.golang"
	_ "github.com/expr-lang/expr"
	_ "github.com/gaissmai/bart"
	_ "github.com/mochi-mqtt/server/v2"
	_ "github.com/stretchr/testify/require"
	_ "github.com/yl2chen/cidranger"
	_ "go4.org/netipx"
)
