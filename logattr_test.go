package ordo_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/ordohq/ordo"
)

// syncBuffer is a bytes.Buffer that many goroutines may write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes the JSON log lines written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogLinesCarryInstanceWorkflowAndStep(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	e, err := ordo.NewEngine(ordo.Config{Store: newMemStore(), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wf := ordo.NewWorkflow("logged", func(ctx context.Context, _ struct{}) (struct{}, error) {
		_, err := ordo.Do(ctx, "charge", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1}},
			func(context.Context) (int, error) { return 0, errors.New("card declined") })
		return struct{}{}, err
	})
	mustRegister(t, e, wf)
	startEngine(t, e)
	inst, err := e.Create(context.Background(), "logged", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitDone(t, e, inst.ID); got.Status != ordo.StatusErrored {
		t.Fatalf("status = %s, want errored", got.Status)
	}

	// The attempts' lines are written before the instance's end commits.
	want := map[string]float64{"ordo: step attempt failed, will retry": 1, "ordo: step failed": 2}
	seen := map[string]bool{}
	for _, l := range buf.lines(t) {
		msg, _ := l["msg"].(string)
		attempt, ok := want[msg]
		if !ok {
			if _, has := l[ordo.LogKeyInstanceID]; has && l[ordo.LogKeyWorkflow] != "logged" {
				t.Errorf("line %v names an instance but not its workflow", l)
			}
			continue
		}
		seen[msg] = true
		for key, v := range map[string]any{
			ordo.LogKeyInstanceID: inst.ID, ordo.LogKeyWorkflow: "logged",
			ordo.LogKeyStep: "charge#1", ordo.LogKeyAttempt: attempt,
		} {
			if l[key] != v {
				t.Errorf("%q: %s = %v, want %v (line %v)", msg, key, l[key], v, l)
			}
		}
	}
	for msg := range want {
		if !seen[msg] {
			t.Errorf("no log line %q in\n%s", msg, buf.buf.String())
		}
	}
}
