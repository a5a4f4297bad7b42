package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// Payloads with spacing, key order, escapes and numbers a JSON re-encoding
// would change: the stores must keep every byte.
var (
	oddParams  = json.RawMessage("{ \"z\": 1, \"a\" :[1.50, 1e3, 12345678901234567890],\n\t\"s\": \"caf\\u00e9 é \\\"q\\\" <&>\" }")
	oddOutput  = json.RawMessage(`  [null,true, {"b":2,"a":1}]  `)
	oddStepOut = json.RawMessage(`{"amount":  42.000,"currency":"EUR"}`)
	oddComp    = json.RawMessage(`"refund \u2603 ch_123"`)
	oddEvent   = json.RawMessage(`{"paid" : 1.0}`)
	oddError   = &store.ErrorInfo{
		Message: "charge failed: \"card declined\"\n", Kind: "step", Step: "charge",
		Compensations: []store.ErrorInfo{
			{Message: "refund failed", Kind: "compensation", Step: "reserve", Compensations: []store.ErrorInfo{{Message: "nested"}}},
			{Message: "release failed", Kind: "compensation"},
		},
	}
)

func testPayloadRoundTrip(t *testing.T, s suite) {
	f := s.setup(t)
	in, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "p", Workflow: "wf", Params: oddParams, Now: at(0)})
	if err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	f.create("nil-params", "other", at(0))
	checkRaw(t, "InstanceCreate Params", oddParams, in.Params)
	checkRaw(t, "InstanceGet Params", oddParams, f.get("p").Params)

	claimed := f.claimOne("wf", at(time.Second), at(time.Hour))
	checkRaw(t, "InstanceClaim Params", oddParams, claimed.Params)
	ev := f.send("p", "paid", string(oddEvent), at(2*time.Second))
	checkRaw(t, "EventSend Payload", oddEvent, ev.Payload)

	step := &store.Step{
		Key: "charge#1", Name: "charge", Seq: 1, Ordinal: 0, Kind: store.KindDo, Status: store.StepFailed,
		Output: oddStepOut, Error: oddError, Attempts: 2,
		HasCompensation: true, CompensationData: oddComp, CompensationStatus: store.CompFailed,
		CompensationError: oddError, CompensationAttempts: 1,
		StartedAt: at(time.Second), FinishedAt: ptr(at(2 * time.Second)),
	}
	f.mustApply(&store.Update{
		InstanceID: "p", LeaseToken: claimed.LeaseToken, Now: at(3 * time.Second),
		Steps:    []*store.Step{step},
		Attempts: []store.AttemptRecord{{StepKey: "charge#1", Attempt: store.Attempt{Number: 1, StartedAt: at(time.Second), FinishedAt: at(2 * time.Second), Error: oddError}}},
		State:    &store.StateChange{Status: store.StatusErrored, Output: oddOutput, Error: oddError},
		Release:  true,
	})
	got := f.get("p")
	checkRaw(t, "Instance Output", oddOutput, got.Output)
	if diff := cmp.Diff(oddError, got.Error); diff != "" {
		t.Errorf("Instance Error (-want +got):\n%s", diff)
	}
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Workflow: "wf"})
	if err != nil || len(page.Instances) != 1 {
		t.Fatalf("InstanceList: %v, %d instances", err, len(page.Instances))
	}
	checkRaw(t, "InstanceList Params", oddParams, page.Instances[0].Params)
	checkRaw(t, "InstanceList Output", oddOutput, page.Instances[0].Output)

	j := f.journal("p")
	if len(j.Steps) != 1 || len(j.Events) != 1 {
		t.Fatalf("JournalLoad: %d steps, %d events; want 1, 1", len(j.Steps), len(j.Events))
	}
	gs := j.Steps[0]
	checkRaw(t, "Step Output", oddStepOut, gs.Output)
	checkRaw(t, "Step CompensationData", oddComp, gs.CompensationData)
	checkRaw(t, "Event Payload", oddEvent, j.Events[0].Payload)
	want := *step
	want.InstanceID = "p"
	want.History = []store.Attempt{{Number: 1, StartedAt: at(time.Second), FinishedAt: at(2 * time.Second), Error: oddError}}
	if diff := cmp.Diff(&want, gs); diff != "" {
		t.Errorf("JournalLoad step (-want +got):\n%s", diff)
	}

	// Absent payloads stay absent.
	if p := f.get("nil-params"); p.Output != nil || p.Error != nil {
		t.Errorf("new instance: Output %q Error %v, want nil", p.Output, p.Error)
	}
	none, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "none", Workflow: "wf2", Now: at(0)})
	if err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	if none.Params != nil || f.get("none").Params != nil {
		t.Errorf("nil Params came back as %q", f.get("none").Params)
	}
	ev2 := f.send("none", "ping", "", at(0))
	if ev2.Payload != nil || f.journal("none").Events[0].Payload != nil {
		t.Errorf("nil event Payload came back as %q", f.journal("none").Events[0].Payload)
	}
}

func checkRaw(t *testing.T, what string, want, got json.RawMessage) {
	t.Helper()
	if string(want) != string(got) {
		t.Errorf("%s = %q, want byte-exact %q", what, got, want)
	}
}

// testTimePrecision: times go in with nanoseconds in another zone and come
// out truncated to the microsecond, in UTC, everywhere.
func testTimePrecision(t *testing.T, s suite) {
	f := s.setup(t)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	// nano returns at(d) + 789ns in zone; micro is what must come back.
	nano := func(d time.Duration) time.Time { return at(d).Add(789 * time.Nanosecond).In(zone) }
	micro := at
	const us = time.Microsecond

	f.create("t", "wf", nano(123*us))
	claims := f.claim(&store.ClaimParams{Owner: "w", Limit: 1, Now: nano(456 * us), LeaseUntil: nano(time.Minute + 7*us)})
	if len(claims) != 1 {
		t.Fatalf("claimed %d", len(claims))
	}
	tok := claims[0].LeaseToken
	ev := f.send("t", "e", `1`, nano(500*us))
	step := &store.Step{
		Key: "s#1", Name: "s", Seq: 1, Kind: store.KindSleep, Status: store.StepWaiting,
		NextAttemptAt: ptr(nano(time.Second + 1*us)), WakeAt: ptr(nano(time.Second + 2*us)),
		CompensationNextAt: ptr(nano(time.Second + 3*us)),
		StartedAt:          nano(time.Second + 4*us), FinishedAt: ptr(nano(time.Second + 5*us)),
	}
	f.mustApply(&store.Update{
		InstanceID: "t", LeaseToken: tok, Now: nano(600 * us),
		Steps:    []*store.Step{step},
		Attempts: []store.AttemptRecord{{StepKey: "s#1", Attempt: store.Attempt{Number: 1, StartedAt: nano(7 * us), FinishedAt: nano(8 * us)}}},
		State:    &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(nano(time.Hour + 9*us))},
	})
	f.heartbeat(nano(2*time.Minute+11*us), nano(700*us), tok)

	in := f.get("t")
	checks := []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", in.CreatedAt, micro(123 * us)},
		{"UpdatedAt", in.UpdatedAt, micro(600 * us)},
		{"StartedAt", deref(in.StartedAt), micro(456 * us)},
		{"WakeAt", deref(in.WakeAt), micro(time.Hour + 9*us)},
		{"LeaseExpiresAt", deref(in.LeaseExpiresAt), micro(2*time.Minute + 11*us)},
		{"Event.CreatedAt (EventSend)", ev.CreatedAt, micro(500 * us)},
	}
	j := f.journal("t")
	if len(j.Steps) != 1 || len(j.Events) != 1 || len(j.Steps[0].History) != 1 {
		t.Fatalf("JournalLoad: %d steps, %d events", len(j.Steps), len(j.Events))
	}
	st := j.Steps[0]
	checks = append(checks, []struct {
		name      string
		got, want time.Time
	}{
		{"Event.CreatedAt (JournalLoad)", j.Events[0].CreatedAt, micro(500 * us)},
		{"Step.NextAttemptAt", deref(st.NextAttemptAt), micro(time.Second + 1*us)},
		{"Step.WakeAt", deref(st.WakeAt), micro(time.Second + 2*us)},
		{"Step.CompensationNextAt", deref(st.CompensationNextAt), micro(time.Second + 3*us)},
		{"Step.StartedAt", st.StartedAt, micro(time.Second + 4*us)},
		{"Step.FinishedAt", deref(st.FinishedAt), micro(time.Second + 5*us)},
		{"Attempt.StartedAt", st.History[0].StartedAt, micro(7 * us)},
		{"Attempt.FinishedAt", st.History[0].FinishedAt, micro(8 * us)},
	}...)
	f.mustControl("t", store.ActionTerminate, "", nano(900*us))
	checks = append(checks, struct {
		name      string
		got, want time.Time
	}{"FinishedAt", deref(f.get("t").FinishedAt), micro(900 * us)})
	next, ok, err := f.s.NextWakeAt(f.ctx)
	if err != nil || ok {
		t.Fatalf("NextWakeAt after terminate = %v, %v, %v; want none", next, ok, err)
	}

	for _, c := range checks {
		if !c.got.Equal(c.want) || c.got.Location() != time.UTC {
			t.Errorf("%s = %v (%v), want %v in UTC", c.name, c.got, c.got.Location(), c.want)
		}
	}
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// testNoAliasing: changing what went in or came out does not change what
// is stored.
func testNoAliasing(t *testing.T, s suite) {
	f := s.setup(t)
	params := json.RawMessage(`{"a":1}`)
	in, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "a", Workflow: "wf", Params: params, Now: at(0)})
	if err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	params[2] = 'X'
	in.Params[2] = 'Y'
	in.Status = store.StatusComplete
	got := f.get("a")
	checkRaw(t, "Params", json.RawMessage(`{"a":1}`), got.Params)
	got.Params[2] = 'Z'
	checkRaw(t, "Params", json.RawMessage(`{"a":1}`), f.get("a").Params)

	c := f.claimOne("wf", at(time.Second), at(time.Hour))
	out := json.RawMessage(`{"ok":true}`)
	e := &store.ErrorInfo{Message: "m", Compensations: []store.ErrorInfo{{Message: "c"}}}
	step := &store.Step{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, Output: out, Error: e, StartedAt: at(time.Second)}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: c.LeaseToken, Now: at(2 * time.Second), Steps: []*store.Step{step}})
	out[2] = 'X'
	e.Compensations[0].Message = "changed"
	step.Status = store.StepFailed
	j := f.journal("a")
	j.Steps[0].Output[2] = 'Y'
	j.Steps[0].Error.Compensations[0].Message = "changed too"
	j2 := f.journal("a")
	checkRaw(t, "Step Output", json.RawMessage(`{"ok":true}`), j2.Steps[0].Output)
	if j2.Steps[0].Status != store.StepCompleted || j2.Steps[0].Error.Compensations[0].Message != "c" {
		t.Errorf("stored step changed through an alias: %+v", j2.Steps[0])
	}
}
