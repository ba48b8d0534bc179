package ruledetect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ruledetect/ruledetect/internal/echo"
	"github.com/ruledetect/ruledetect/internal/eval"

	"github.com/ruledetect/ruledetect/behavior"
	"github.com/ruledetect/ruledetect/internal/wire"
)

// Snapshot format (version 2). A snapshot is
//
//	magic    "ruledetect/Engine\x00" and the version byte 0x02
//	control  uvarint length, then JSON (snapControl): the options that
//	         shape the state, the time and stats counters, the control
//	         plane, and the tables the thing section refers to
//	log      uvarint length, then violation.Log.MarshalBinary
//	things   uvarint length, then the binary thing records (internal/eval)
//	metrics  uvarint length, then the retained metric values (empty without
//	         retention; metricvalues_snapshot.go)
//	crc      CRC-32C (Castagnoli) of every byte before it, little endian
//
// Every uvarint and varint is encoding/binary's in its shortest form: restore
// reads them with internal/wire, which refuses a longer one.
//
// The thing section and the tables it refers to (keys, layouts, kinds) are
// the data plane's: see internal/eval, where a thing encodes and restores
// itself beside its definition.
const (
	snapshotMagic   = "ruledetect/Engine\x00"
	snapshotVersion = 2
)

var snapshotCRC = crc32.MakeTable(crc32.Castagnoli)

// snapControl is the JSON part of a snapshot. Times of the control plane
// are RFC 3339 with nanoseconds, so they come back exactly.
type snapControl struct {
	Region    string `json:"region"`
	Account   string `json:"account"`
	Period    int64  `json:"periodNs"`
	Horizon   int64  `json:"invalidationHorizonNs"`
	Lateness  int64  `json:"allowedLatenessNs"`
	Started   bool   `json:"started"`
	Watermark int64  `json:"watermarkNs"`
	Closed    int64  `json:"closedPeriod"`

	Stats snapStats `json:"stats"`

	Dimensions    []snapDimension    `json:"dimensions"`
	CustomMetrics []snapCustomMetric `json:"customMetrics"`
	Profiles      []snapProfile      `json:"profiles"`
	Targets       []snapTarget       `json:"targets"`

	// The tables the thing section refers to.
	eval.Tables

	// Held are the per-input datapoints waiting for the allowed lateness,
	// HeldSeq the last arrival number given.
	Held    []eval.HeldRecord `json:"held,omitzero"`
	HeldSeq uint64            `json:"heldSeq,omitzero"`

	// Exports are the metric exports waiting for the next period close
	// (the retained metric values are a section of their own).
	Exports []snapExport `json:"exports,omitzero"`
}

// snapExport is one destination's waiting metric exports.
type snapExport struct {
	Topic   string           `json:"mqttTopic"`
	RoleArn string           `json:"roleArn"`
	Metrics []exportedMetric `json:"metrics"`
}

type snapStats struct {
	Inputs         uint64 `json:"inputs"`
	Late           uint64 `json:"late"`
	ClockJumps     uint64 `json:"clockJumps,omitzero"`
	Unavailable    uint64 `json:"percentilesUnavailable,omitzero"`
	Rejected       uint64 `json:"rejected"`
	Datapoints     uint64 `json:"datapoints"`
	ExchangeErrors uint64 `json:"exchangeErrors"`
}

type snapDimension struct {
	Name    string         `json:"name"`
	Token   string         `json:"clientRequestToken,omitzero"`
	Values  []string       `json:"stringValues"`
	Tags    []behavior.Tag `json:"tags,omitzero"`
	Created time.Time      `json:"created"`
	Updated time.Time      `json:"updated"`
}

type snapCustomMetric struct {
	Name        string         `json:"metricName"`
	Token       string         `json:"clientRequestToken,omitzero"`
	DisplayName string         `json:"displayName,omitzero"`
	Type        string         `json:"metricType"`
	Tags        []behavior.Tag `json:"tags,omitzero"`
	Created     time.Time      `json:"created"`
	Updated     time.Time      `json:"updated"`
}

// snapProfile is a profile as stored; its dates are kept apart at full
// precision (the model's JSON has milliseconds).
type snapProfile struct {
	Profile behavior.SecurityProfile `json:"profile"`
	Created *time.Time               `json:"created,omitzero"`
	Updated *time.Time               `json:"updated,omitzero"`
}

// snapTarget is a target with its profiles in attachment order.
type snapTarget struct {
	Arn      string   `json:"arn"`
	Profiles []string `json:"profiles"`
}

// WriteSnapshot writes the engine's whole state to w: the control plane
// (dimensions, custom metrics, security profiles with their versions and
// dates, targets, things' registration and groups), the data plane (the
// watermark, every thing's windows in progress, alarm streaks and cumulative
// counters), the violation log and the stats counters. RestoreSnapshot
// makes an Engine of it that goes on exactly as this one would, so a
// service can stop and restart without losing alarms or windows.
//
// The snapshot is consistent: it is taken under the engine's lock, which
// is held while the state is encoded into memory (tens of bytes per thing),
// not while it is written to w. The format is versioned and checksummed;
// see RestoreSnapshot. Errors are ctx's, w's, or (never in practice) a
// profile that cannot be written as JSON.
func (e *Engine) WriteSnapshot(ctx context.Context, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sections, err := e.snapshotParts(false)
	if err != nil {
		return &Error{Op: "WriteSnapshot", Kind: ErrInvalidRequest, Message: err.Error(), Cause: err}
	}
	h := crc32.New(snapshotCRC)
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10)
	hdr := append([]byte(snapshotMagic), snapshotVersion)
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	for _, parts := range sections {
		n := 0
		for _, s := range parts {
			n += len(s)
		}
		if _, err := bw.Write(binary.AppendUvarint(nil, uint64(n))); err != nil {
			return err
		}
		for _, s := range parts {
			// Large sections go in chunks, so that a cancelled ctx stops the
			// write, and so that the write, CPU work (the checksum, the
			// copy: ~10 ms for 10^6 things) done once the engine's locks are
			// released, gives the processor to the inputs going on
			// meanwhile between chunks, rather than when preempted.
			for len(s) > 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				n := min(len(s), 1<<20)
				if _, err := bw.Write(s[:n]); err != nil {
					return err
				}
				s = s[n:]
				runtime.Gosched()
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err = w.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32()))
	return err
}

// snapshot encodes the state: the control JSON, the log, the things and
// the retained metric values, each section whole. With sorted, things are
// written in order of name, which makes the control and thing sections a
// function of the state alone (tests compare engines by them).
func (e *Engine) snapshot(sorted bool) ([4][]byte, error) {
	var out [4][]byte
	parts, err := e.snapshotParts(sorted)
	for i, p := range parts {
		out[i] = bytes.Join(p, nil)
	}
	return out, err
}

// snapshotParts is snapshot with each section in parts, written one after
// the other (the thing section one part per shard); WriteSnapshot skips
// the sort, which would cost seconds for millions of things.
func (e *Engine) snapshotParts(sorted bool) ([4][][]byte, error) {
	var out [4][][]byte
	var (
		cfg                *config
		logData, metrics   []byte
		rejected, xchgErrs uint64
		exports            []snapExport
	)
	cut, things, err := e.plane.Snapshot(sorted, func(*eval.Cut) error {
		// At the cut, with every lock held: the engine's own state.
		cfg = e.cfg.Load()
		rejected, xchgErrs = e.stats.rejected.Load(), e.stats.exchangeErrors.Load()
		exports = e.snapExports()
		if len(e.metrics.keys) > 0 {
			metrics = e.appendMetricValues(nil, sorted) // a retaining engine is serial: its inputs wait
		}
		var err error
		logData, err = e.log.MarshalBinary()
		return err
	})
	if err != nil {
		return out, err
	}
	ctl := &snapControl{
		Region: e.opts.region, Account: e.opts.account,
		Period: int64(e.opts.period), Horizon: int64(e.opts.invalidationHorizon),
		Lateness: int64(e.opts.allowedLateness),
		Started:  cut.Started, Watermark: cut.Watermark, Closed: cut.Closed,
		Held: cut.Held, HeldSeq: cut.HeldSeq, Exports: exports, Tables: cut.Tables,
		Stats: snapStats{
			Inputs: cut.Stats.Inputs, Late: cut.Stats.Late, ClockJumps: cut.Stats.ClockJumps,
			Unavailable: cut.Stats.PercentilesUnavailable, Rejected: rejected,
			Datapoints: cut.Stats.Datapoints, ExchangeErrors: xchgErrs,
		},
	}
	// The config is immutable: the rest needs no lock.
	addControlPlane(ctl, cfg)
	j, err := json.Marshal(ctl)
	if err != nil {
		return out, err
	}
	out[0], out[1], out[2], out[3] = [][]byte{j}, [][]byte{logData}, things, [][]byte{metrics}
	return out, nil
}

// addControlPlane copies cfg's dimensions, custom metrics, profiles and
// targets into ctl, each in lexical order.
func addControlPlane(ctl *snapControl, cfg *config) {
	ctl.Dimensions = []snapDimension{}
	for _, name := range slices.Sorted(maps.Keys(cfg.dims)) {
		d := cfg.dims[name]
		ctl.Dimensions = append(ctl.Dimensions, snapDimension{Name: d.name, Token: d.token, Values: d.values,
			Tags: d.tags, Created: d.created, Updated: d.updated})
	}
	ctl.CustomMetrics = []snapCustomMetric{}
	for _, name := range slices.Sorted(maps.Keys(cfg.customs)) {
		m := cfg.customs[name]
		ctl.CustomMetrics = append(ctl.CustomMetrics, snapCustomMetric{Name: m.name, Token: m.token,
			DisplayName: m.displayName, Type: m.metricType, Tags: m.tags, Created: m.created, Updated: m.updated})
	}
	ctl.Profiles = []snapProfile{}
	for _, name := range slices.Sorted(maps.Keys(cfg.profiles)) {
		sp := cfg.profiles[name].sp
		p := snapProfile{Profile: sp}
		if sp.CreationDate != nil {
			p.Created = &sp.CreationDate.Time
		}
		if sp.LastModifiedDate != nil {
			p.Updated = &sp.LastModifiedDate.Time
		}
		ctl.Profiles = append(ctl.Profiles, p)
	}
	ctl.Targets = []snapTarget{}
	for _, arn := range slices.Sorted(maps.Keys(cfg.targets)) {
		ctl.Targets = append(ctl.Targets, snapTarget{Arn: arn, Profiles: cfg.targets[arn]})
	}
}

// RestoreSnapshot returns a new Engine with opts holding exactly the state
// a WriteSnapshot wrote to r: it evaluates the rest of an input stream as
// the engine that wrote it would have.
//
// opts are New's. Those the state depends on must be what the snapshot was
// taken with: the region and account (they are in every ARN), the
// evaluation period and the invalidation horizon (windows are rings of
// periods, and idle things expire by the horizon). A snapshot taken with
// others is refused, with an error matching ErrInvalidSnapshot that names
// each difference. The rest (retention, exact
// population, cumulative network stats, clock, alert sink, population
// exchange) may change across a restart; events already in the log are not
// sent to the sink again.
//
// Anything but a snapshot of this format version, written whole (a
// truncated, corrupted or inconsistent one), fails with an error matching
// ErrInvalidSnapshot. Restoring never panics, and memory is bounded by the
// input: a length or count is never trusted beyond the bytes that remain.
// The whole input is read into memory first.
func RestoreSnapshot(ctx context.Context, r io.Reader, opts ...Option) (*Engine, error) {
	const op = "RestoreSnapshot"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := New(opts...)
	if err != nil {
		return nil, fmt.Errorf("ruledetect.RestoreSnapshot: %w", err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ruledetect.RestoreSnapshot: reading: %w", err)
	}
	if err := e.restore(ctx, data); err != nil {
		var re *Error
		if errors.As(err, &re) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, &Error{Op: op, Kind: ErrInvalidSnapshot, Message: err.Error(), Cause: err}
	}
	return e, nil
}

// message returns the message of an engine error without its operation.
func message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// errSnap is an ErrInvalidSnapshot with a message.
func errSnap(format string, args ...any) error {
	return newError("RestoreSnapshot", ErrInvalidSnapshot, "", format, args...)
}

// restore loads data into e, a new engine.
func (e *Engine) restore(ctx context.Context, data []byte) error {
	body, ok := bytes.CutPrefix(data, []byte(snapshotMagic))
	if !ok {
		return errSnap("not an engine snapshot")
	}
	if len(body) < 1+4 {
		return errSnap("truncated snapshot")
	}
	if body[0] != snapshotVersion {
		return errSnap("snapshot format version %d, this engine reads version %d", body[0], snapshotVersion)
	}
	n := len(data) - 4
	if crc32.Checksum(data[:n], snapshotCRC) != binary.LittleEndian.Uint32(data[n:]) {
		return errSnap("checksum mismatch: the snapshot is truncated or corrupt")
	}
	d := wire.NewDecoder(body[1:len(body)-4], 0)
	ctlData, logData, thingData, metricData := d.Section("control"), d.Section("violation log"), d.Section("things"), d.Section("metric values")
	if d.Err() == nil && d.Left() > 0 {
		d.Fail("%d bytes of trailing data", d.Left())
	}
	if d.Err() != nil {
		return errSnap("%v", d.Err())
	}
	var ctl snapControl
	dec := json.NewDecoder(bytes.NewReader(ctlData))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ctl); err != nil {
		return errSnap("control section: %v", err)
	}
	if dec.More() {
		return errSnap("control section: trailing data")
	}
	if err := e.checkOptions(&ctl); err != nil {
		return err
	}
	if _, err := e.restoreConfig(&ctl); err != nil {
		return err
	}
	if err := e.log.UnmarshalBinary(logData); err != nil {
		return &Error{Op: "RestoreSnapshot", Kind: ErrInvalidSnapshot, Message: "violation log: " + err.Error(), Cause: err}
	}
	st := ctl.Stats
	cut := eval.Cut{Started: ctl.Started, Watermark: ctl.Watermark, Closed: ctl.Closed,
		Held: ctl.Held, HeldSeq: ctl.HeldSeq, Tables: ctl.Tables,
		Stats: eval.Stats{Inputs: st.Inputs, Late: st.Late, ClockJumps: st.ClockJumps,
			Datapoints: st.Datapoints, PercentilesUnavailable: st.Unavailable}}
	if err := e.plane.Restore(ctx, &cut, thingData, e.restoreLimit(len(data))); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errSnap("%v", err)
	}
	if err := e.restoreMetricValues(metricData); err != nil {
		return err
	}
	if err := e.restoreExports(ctl.Exports); err != nil {
		return err
	}
	e.stats.rejected.Store(st.Rejected)
	e.stats.exchangeErrors.Store(st.ExchangeErrors)
	return nil
}

// checkOptions refuses a snapshot taken with options the state depends on
// that differ from e's.
func (e *Engine) checkOptions(ctl *snapControl) error {
	var diffs []string
	if ctl.Region != e.opts.region {
		diffs = append(diffs, fmt.Sprintf("region %s (options: %s)", echo.Quote(ctl.Region), echo.Quote(e.opts.region)))
	}
	if ctl.Account != e.opts.account {
		diffs = append(diffs, fmt.Sprintf("account %s (options: %s)", echo.Quote(ctl.Account), echo.Quote(e.opts.account)))
	}
	if ctl.Period != int64(e.opts.period) {
		diffs = append(diffs, fmt.Sprintf("evaluation period %v (options: %v)", time.Duration(ctl.Period), e.opts.period))
	}
	if ctl.Horizon != int64(e.opts.invalidationHorizon) {
		diffs = append(diffs, fmt.Sprintf("invalidation horizon %v (options: %v)", time.Duration(ctl.Horizon), e.opts.invalidationHorizon))
	}
	if ctl.Lateness != int64(e.opts.allowedLateness) {
		diffs = append(diffs, fmt.Sprintf("allowed lateness %v (options: %v)", time.Duration(ctl.Lateness), e.opts.allowedLateness))
	}
	if len(diffs) > 0 {
		return errSnap("the snapshot was taken with %s; restore with the same options", strings.Join(diffs, ", "))
	}
	return nil
}

// restoreConfig rebuilds the control plane, checking it as the control
// plane's operations would, and compiles the profiles.
func (e *Engine) restoreConfig(ctl *snapControl) (*config, error) {
	const op = "RestoreSnapshot"
	cfg := emptyConfig()
	cfg.version = 1
	if len(ctl.Dimensions) > MaxDimensions || len(ctl.CustomMetrics) > MaxCustomMetrics {
		return nil, errSnap("more dimensions or custom metrics than the service allows")
	}
	for _, sd := range ctl.Dimensions {
		if err := firstErr(checkName(op, "name", sd.Name), checkClientToken(op, sd.Name, sd.Token), checkTags(op, sd.Name, sd.Tags)); err != nil {
			return nil, errSnap("dimension %s: %s", echo.Quote(sd.Name), message(err))
		}
		m, err := compileDimension(op, sd.Name, sd.Values)
		if err != nil {
			return nil, errSnap("dimension %s: %s", echo.Quote(sd.Name), message(err))
		}
		if cfg.dims[sd.Name] != nil {
			return nil, errSnap("dimension %s appears twice", echo.Quote(sd.Name))
		}
		cfg.dims[sd.Name] = &dimensionRecord{name: sd.Name, arn: e.arn("dimension/" + sd.Name), token: sd.Token,
			values: sd.Values, tags: sd.Tags, matcher: m, created: sd.Created, updated: sd.Updated}
	}
	for _, sm := range ctl.CustomMetrics {
		err := firstErr(checkName(op, "metricName", sm.Name), checkClientToken(op, sm.Name, sm.Token),
			checkTags(op, sm.Name, sm.Tags), checkDisplayName(op, sm.Name, sm.DisplayName))
		switch {
		case err != nil:
			return nil, errSnap("custom metric %s: %s", echo.Quote(sm.Name), message(err))
		case strings.HasPrefix(sm.Name, "aws:") || !behavior.CustomMetricType(sm.Type).IsValid():
			return nil, errSnap("custom metric %s: malformed name or type", echo.Quote(sm.Name))
		case cfg.customs[sm.Name] != nil:
			return nil, errSnap("custom metric %s appears twice", echo.Quote(sm.Name))
		}
		cfg.customs[sm.Name] = &customMetricRecord{name: sm.Name, arn: e.arn("custommetric/" + sm.Name), token: sm.Token,
			displayName: sm.DisplayName, metricType: sm.Type, tags: sm.Tags, created: sm.Created, updated: sm.Updated}
	}
	vopts := cfg.validateOptions()
	for i := range ctl.Profiles {
		p := &ctl.Profiles[i]
		sp := p.Profile
		name := sp.SecurityProfileName
		if r := sp.Validate(vopts); !r.Valid {
			return nil, errSnap("security profile %s: %s", echo.Quote(name), message(invalid(op, name, r)))
		}
		if cfg.profiles[name] != nil || sp.SecurityProfileArn != e.arn("securityprofile/"+name) || sp.Version < 1 {
			return nil, errSnap("security profile %s: repeated, or a malformed ARN or version", echo.Quote(name))
		}
		if p.Created != nil {
			t := behavior.At(*p.Created)
			sp.CreationDate = &t
		}
		if p.Updated != nil {
			t := behavior.At(*p.Updated)
			sp.LastModifiedDate = &t
		}
		rec, err := e.recompile(cfg, &profileRecord{sp: sp})
		if err != nil {
			return nil, errSnap("security profile %s: %v", echo.Quote(name), err)
		}
		cfg.profiles[name] = rec
	}
	for _, st := range ctl.Targets {
		if err := e.checkTarget(op, st.Arn); err != nil {
			return nil, errSnap("target: %s", message(err))
		}
		if cfg.targets[st.Arn] != nil || len(st.Profiles) == 0 || len(st.Profiles) > MaxProfilesPerTarget {
			return nil, errSnap("target %s: repeated, or with no or too many profiles", echo.Quote(st.Arn))
		}
		for i, p := range st.Profiles {
			if cfg.profiles[p] == nil || slices.Index(st.Profiles, p) != i {
				return nil, errSnap("target %s: profile %s missing or repeated", echo.Quote(st.Arn), echo.Quote(p))
			}
		}
		cfg.targets[st.Arn] = st.Profiles
	}
	e.setConfig(cfg)
	return cfg, nil
}
