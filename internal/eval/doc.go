// Package eval is the data plane of the engine: the things and their
// windows, the clock that closes evaluation periods, and the alarm state
// machines that judge datapoints into the violation log. It knows nothing
// of the AWS operations (the root package maps those onto it); it is told
// which behaviors apply to which things (Rules) and hands back what it
// produces through Hooks.
//
// An input goes through four steps, each in its own file, in this order:
//
//   - admit (admit.go, clock.go): the thing's shard is locked and its
//     state found or made and aligned with the rules in force; the clock
//     refuses a late input or one too far ahead (InputError), and an input
//     past a boundary closes it first, in the background when it can.
//   - apply (apply.go, window.go): each behavior the input feeds gets its
//     value; feed (window.go) says what each aggregation does with it:
//     judged at once, counted, summed or kept as the window's last value.
//     Every aggregation rule is in window.go, the input side (feed) beside
//     the window side (windowDatapoint).
//   - close (close.go): at each boundary every thing's windowed behaviors
//     make their datapoint, shard by shard and in parallel; quiet
//     stretches are crossed in one sweep (fastForward); idle things expire.
//   - judge (judge.go, judge_statistical.go, held.go): a datapoint goes
//     through its slot's streak and the log records the transition;
//     statistical behaviors are judged against the fleet's percentile once
//     every shard has closed; with an allowed lateness, per-input
//     datapoints wait (held.go) and are judged in time order.
//
// compile.go compiles a behavior, reading the metric catalog of package
// behavior; coverage.go indexes the behaviors that apply to a kind of thing;
// thing.go holds a thing's state and snapshot.go encodes and restores it.
package eval
