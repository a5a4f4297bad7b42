package ordo_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
)

type paidEvent struct {
	OrderID string `json:"orderId"`
	Amount  int    `json:"amount"`
}

// TestMatchInvalid: matches the store cannot keep are refused in the
// workflow, naming the field.
func TestMatchInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []ordo.WaitOption
		want string
	}{
		{"object value", []ordo.WaitOption{ordo.Match("order", map[string]int{"id": 1})}, `field "order": value must be a JSON string`},
		{"empty field", []ordo.WaitOption{ordo.Match("", 1)}, "a field name is empty"},
		{"unmarshalable", []ordo.WaitOption{ordo.Match("f", make(chan int))}, `Match "f": marshal value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := ordotest.New(t, nil)
			env.Register(ordo.NewWorkflow("bad", func(ctx context.Context, _ struct{}) (string, error) {
				_, err := ordo.WaitForEvent[paidEvent](ctx, "paid", "paid", time.Hour, tc.opts...)
				if !errors.Is(err, ordo.ErrInvalidArgument) {
					return "", errors.New("want ErrInvalidArgument, got " + errString(err))
				}
				return err.Error(), nil
			}))
			got := env.WaitDone(env.Start("bad", struct{}{}))
			var msg string
			_ = json.Unmarshal(got.Output, &msg)
			if got.Status != ordo.StatusComplete || !strings.Contains(msg, tc.want) {
				t.Errorf("got %s %s %+v, want an output naming %q", got.Status, got.Output, got.Error, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
