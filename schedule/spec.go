package schedule

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ordohq/ordo"
)

// Overlap is what a fire does while the previous fire's instance still
// runs.
type Overlap string

// The overlap policies.
const (
	// OverlapSkip records the fire as skipped-overlap (the default).
	OverlapSkip Overlap = "skip"
	// OverlapBufferOne keeps one fire waiting and starts it when the
	// previous instance ends; fires beyond that one are skipped.
	OverlapBufferOne Overlap = "buffer_one"
	// OverlapAllowAll starts every fire, whatever still runs.
	OverlapAllowAll Overlap = "allow_all"
)

// Bounds of a Spec.
const (
	MinEvery             = time.Second
	MaxEvery             = 366 * 24 * time.Hour
	MaxJitter            = 24 * time.Hour
	MaxCatchupWindow     = 366 * 24 * time.Hour
	DefaultCatchupWindow = time.Hour
	maxCronBytes         = 200
	maxTimezoneBytes     = 100
)

// Spec is a schedule: when it fires, what each fire starts and its
// policies. It is the JSON of POST /v1/schedules.
type Spec struct {
	// ID names the schedule (ordo.ValidateID).
	ID string `json:"id"`
	// Cron is a standard five-field cron expression ("0 2 * * *") or a
	// descriptor ("@daily", "@hourly"); exactly one of Cron and Every.
	Cron string `json:"cron,omitempty"`
	// Timezone is the IANA zone Cron is read in. Default "UTC".
	Timezone string `json:"timezone,omitempty"`
	// Every is a fixed interval ("15m", from "1s" to "8784h", whole
	// seconds), aligned on the Unix epoch: "15m" fires at :00, :15, :30
	// and :45 UTC.
	Every string `json:"every,omitempty"`
	// Jitter delays each fire by up to this long (a fixed amount per
	// scheduled time, derived from the schedule and the time). Default 0.
	Jitter string `json:"jitter,omitempty"`
	// Overlap is skip (default), buffer_one or allow_all.
	Overlap Overlap `json:"overlap,omitempty"`
	// CatchupWindow is how late a fire may start: after downtime, the
	// missed fires inside the window run, each once; older ones are
	// recorded as skipped-catchup. Default "1h", at least "1s".
	CatchupWindow string `json:"catchupWindow,omitempty"`
	// Paused stops the schedule firing (a paused schedule keeps its next
	// time; resuming it applies the catch-up window).
	Paused bool `json:"paused,omitempty"`
	// Workflow and Params: each fire starts this workflow with these
	// params.
	Workflow string          `json:"workflow,omitempty"`
	Params   json.RawMessage `json:"params,omitempty"`
	// Flow and Order: each fire creates an order (the body of POST
	// /v1/orders without its id) run by this order flow.
	Flow  string          `json:"flow,omitempty"`
	Order json.RawMessage `json:"order,omitempty"`
}

// compiled is a checked Spec ready to compute fire times.
type compiled struct {
	spec    *Spec
	cron    cron.Schedule
	loc     *time.Location
	every   time.Duration
	jitter  time.Duration
	catchup time.Duration
}

// fieldError is an invalid Spec field: it wraps ordo.ErrInvalidArgument
// and names the field.
func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%w: schedule %s: %s", ordo.ErrInvalidArgument, field, fmt.Sprintf(format, args...))
}

// parseDuration reads a bounded duration field ("" is def).
func parseDuration(field, v string, def, minimum, maximum time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	if len(v) > 32 {
		return 0, fieldError(field, "%d bytes long; at most 32", len(v))
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fieldError(field, "%q is not a duration like \"15m\" or \"1h30m\"", v)
	}
	if d < minimum || d > maximum {
		return 0, fieldError(field, "%s is out of range %s..%s", d, minimum, maximum)
	}
	return d, nil
}

// cronParser reads five-field expressions and descriptors (@daily).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// compile checks every field of s and returns it ready for use.
func compile(s *Spec) (*compiled, error) {
	if err := ordo.ValidateID("schedule id", s.ID); err != nil {
		return nil, err
	}
	if len(s.ID) > MaxScheduleIDLength {
		return nil, fieldError("id", "%d characters long; at most %d", len(s.ID), MaxScheduleIDLength)
	}
	c := &compiled{spec: s, loc: time.UTC}
	var err error
	switch {
	case s.Cron != "" && s.Every != "":
		return nil, fieldError("cron", "give cron or every, not both")
	case s.Cron == "" && s.Every == "":
		return nil, fieldError("cron", "one of cron and every is required")
	case s.Cron != "":
		if len(s.Cron) > maxCronBytes {
			return nil, fieldError("cron", "%d bytes long; at most %d", len(s.Cron), maxCronBytes)
		}
		if strings.Contains(s.Cron, "TZ=") {
			return nil, fieldError("cron", "give the time zone in timezone, not in the expression")
		}
		if c.cron, err = cronParser.Parse(s.Cron); err != nil {
			return nil, fieldError("cron", "%q: %v", s.Cron, err)
		}
	default:
		if c.every, err = parseDuration("every", s.Every, 0, MinEvery, MaxEvery); err != nil {
			return nil, err
		}
		if c.every%time.Second != 0 {
			return nil, fieldError("every", "%s is not a whole number of seconds", c.every)
		}
	}
	if s.Timezone != "" {
		if s.Cron == "" {
			return nil, fieldError("timezone", "applies to cron only")
		}
		if len(s.Timezone) > maxTimezoneBytes {
			return nil, fieldError("timezone", "%d bytes long; at most %d", len(s.Timezone), maxTimezoneBytes)
		}
		if c.loc, err = time.LoadLocation(s.Timezone); err != nil || s.Timezone == "Local" {
			return nil, fieldError("timezone", "%q is not an IANA time zone name like \"Europe/Berlin\"", s.Timezone)
		}
	}
	if c.jitter, err = parseDuration("jitter", s.Jitter, 0, 0, MaxJitter); err != nil {
		return nil, err
	}
	if c.catchup, err = parseDuration("catchupWindow", s.CatchupWindow, DefaultCatchupWindow, time.Second, MaxCatchupWindow); err != nil {
		return nil, err
	}
	switch s.Overlap {
	case "":
		s.Overlap = OverlapSkip
	case OverlapSkip, OverlapBufferOne, OverlapAllowAll:
	default:
		return nil, fieldError("overlap", "%q is not one of skip, buffer_one, allow_all", s.Overlap)
	}
	switch {
	case s.Workflow != "" && s.Flow != "":
		return nil, fieldError("workflow", "give workflow or flow, not both")
	case s.Workflow == "" && s.Flow == "":
		return nil, fieldError("workflow", "one of workflow (with params) and flow (with order) is required")
	case s.Workflow != "":
		if err := ordo.ValidateID("schedule workflow", s.Workflow); err != nil {
			return nil, err
		}
		if len(s.Order) > 0 {
			return nil, fieldError("order", "goes with flow, not workflow")
		}
		if len(s.Params) > 0 && !json.Valid(s.Params) {
			return nil, fieldError("params", "not valid JSON")
		}
	default:
		if err := ordo.ValidateID("schedule flow", s.Flow); err != nil {
			return nil, err
		}
		if len(s.Params) > 0 {
			return nil, fieldError("params", "goes with workflow, not flow")
		}
		if len(s.Order) == 0 {
			s.Order = json.RawMessage(`{}`)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(s.Order, &obj); err != nil || obj == nil {
			return nil, fieldError("order", "must be a JSON object (the body of POST /v1/orders without id)")
		}
		if _, ok := obj["id"]; ok {
			return nil, fieldError("order.id", "is derived from the schedule and the scheduled time; leave it out")
		}
	}
	return c, nil
}

// Validate checks s and fills its defaults (overlap skip). Errors wrap
// ordo.ErrInvalidArgument and name the field.
func (s *Spec) Validate() error {
	_, err := compile(s)
	return err
}
