package ordo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

// TestStepNamesAreText: a step name with NUL or invalid UTF-8 (a flow's
// step id, say) is refused by Do with ErrInvalidArgument and its instance
// ends, instead of a record that no batch commit can write; a restart
// fromStep of that kind is refused the same way.
func TestStepNamesAreText(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a\x00b", "a\xffb"} {
		env := ordotest.New(t, nil)
		var got error
		wf := ordo.NewWorkflow("w", func(ctx context.Context, _ struct{}) (string, error) {
			_, err := ordo.Do(ctx, name, nil, func(ctx context.Context) (string, error) { return "ran", nil })
			got = err
			return "", err
		})
		env.Register(wf)
		id := env.Start("w", struct{}{})
		if inst := env.WaitDone(id); inst.Status != ordo.StatusErrored {
			t.Errorf("step %q: status %s, want errored", name, inst.Status)
		}
		if !errors.Is(got, ordo.ErrInvalidArgument) {
			t.Errorf("step %q: Do = %v, want ErrInvalidArgument", name, got)
		}
		_, err := env.Engine.Restart(context.Background(), id, &ordo.RestartOptions{FromStep: name})
		if !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("Restart from %q = %v, want ErrInvalidArgument", name, err)
		}
	}
}
