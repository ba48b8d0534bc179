package broker_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect"
	"github.com/ruledetect/ruledetect/server/broker"
)

// An ACL in ParseACL's format: every thing reports for itself, and a
// gateway may also report for others.
func ExampleParseACL() {
	acl, err := broker.ParseACL(strings.NewReader(`
# CLIENT   ACTION     FILTER
*          publish    $aws/things/${iot:ClientId}/defender/metrics/json
*          subscribe  $aws/things/${iot:ClientId}/defender/metrics/json/+
gateway-1  publish    $aws/things/+/defender/metrics/json
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(acl.CanPublish("cam-1", "$aws/things/cam-1/defender/metrics/json"))
	fmt.Println(acl.CanPublish("cam-1", "$aws/things/cam-2/defender/metrics/json"))
	fmt.Println(acl.CanPublish("gateway-1", "$aws/things/cam-2/defender/metrics/json"))
	fmt.Println(acl.CanSubscribe("cam-1", "$aws/things/cam-1/defender/metrics/json/+"))
	fmt.Println(acl.CanSubscribe("cam-1", "$aws/things/+/defender/metrics/json/+"))

	_, err = broker.ParseACL(strings.NewReader("* pub things/#"))
	fmt.Println(err)
	// Output:
	// true
	// false
	// true
	// true
	// false
	// broker: invalid ACL: line 1: action "pub" is neither publish nor subscribe
}

// A service runs the broker beside its engine, stamps inputs at receipt
// (the broker's default clock) and closes quiet evaluation periods with
// Advance from a ticker.
func ExampleNew() {
	e, err := ruledetect.New()
	if err != nil {
		panic(err)
	}
	b, err := broker.New(broker.Config{
		Engine:    e,
		Listen:    "127.0.0.1:0",
		Passwords: map[string]string{"cam-1": "secret"},
		Logger:    slog.New(slog.DiscardHandler), // a service passes its JSON logger
	})
	if err != nil {
		panic(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				if err := e.Advance(ctx, now); err != nil {
					return // ctx ended: the broker stops too
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	stop() // an example does not wait for a signal
	if err := b.Serve(ctx); err != nil {
		panic(err)
	}
	fmt.Println(b.Stats().Inputs.Connects)
	// Output: 0
}
