package flow_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/flow"
)

const retentionSteps = `"steps":[{"stepDefinitionId":"a","type":"consume-rest-api","successStatus":"Done","options":{"uri":"https://erp.example/x"}}]`

func TestRetention(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		field string // "" leaves it out
		want  *time.Duration
		code  string
	}{
		{field: "", want: nil},
		{field: `null`, want: nil},
		{field: `"90d"`, want: ptr(90 * day)},
		{field: `"90 days"`, want: ptr(90 * day)},
		{field: `"720h"`, want: ptr(720 * time.Hour)},
		{field: `3600000`, want: ptr(time.Hour)},
		{field: `0`, want: ptr(time.Duration(0))},
		{field: `"0"`, want: ptr(time.Duration(0))},
		{field: `-1`, code: flow.CodeInvalidRetention},
		{field: `"-5d"`, code: flow.CodeInvalidRetention},
		{field: `"forever"`, code: flow.CodeInvalidRetention},
		{field: `"99999999999d"`, code: flow.CodeInvalidRetention},
		{field: `true`, code: flow.CodeInvalidType},
	} {
		t.Run(tc.field, func(t *testing.T) {
			doc := `{` + retentionSteps + `}`
			if tc.field != "" {
				doc = `{` + retentionSteps + `,"retention":` + tc.field + `}`
			}
			res, err := flow.Parse([]byte(doc))
			if tc.code != "" {
				var ve *flow.ValidationError
				if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Code != tc.code || ve.Problems[0].Path != "/retention" {
					t.Fatalf("Parse: %v; want one %s problem at /retention", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := res.Definition.Retention
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("Retention = %v, want %v", deref(got), deref(tc.want))
			}
			// The canonical form keeps it (0 included) and reads back equal.
			canon, err := flow.Canonical(res.Definition)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil && strings.Contains(string(canon), "retention") {
				t.Errorf("canonical form %s has a retention", canon)
			}
			back, err := flow.Parse(canon)
			if err != nil {
				t.Fatalf("Parse(canonical %s): %v", canon, err)
			}
			if b := back.Definition.Retention; (b == nil) != (tc.want == nil) || (b != nil && *b != *tc.want) {
				t.Errorf("read back from %s: %v, want %v", canon, deref(b), deref(tc.want))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func deref(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return *d
}
