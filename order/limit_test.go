package order_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
)

// TestApplyFlowLimit: a step may name a limit the engine declares; one it
// does not declare is a validation problem at the step's limit.
func TestApplyFlowLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	if err := f.env.Engine.DeclareLimit(ordo.Limit{Name: "erp", Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	doc := func(limit string) []byte {
		return []byte(`[{"stepDefinitionId": "push", "type": "consume-rest-api", "successStatus": "Pushed",
			"options": {"uri": "https://erp.example/orders"}, "limit": "` + limit + `"}]`)
	}
	f.apply("limited", doc("erp"))
	_, _, _, err := f.svc.ApplyFlow(context.Background(), "unlimited", doc("nope"))
	var ve *flow.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Code != flow.CodeUnknownLimit || ve.Problems[0].Path != "/0/limit" {
		t.Fatalf("ApplyFlow naming an undeclared limit: %v, want unknown_limit at /0/limit", err)
	}
}
