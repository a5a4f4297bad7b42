package email

import (
	"context"
	"reflect"

	"github.com/ordohq/ordo"
)

// Render parses text (with the type of data for field checks, see Parse)
// and executes it over data: the one call a step needs. Parse errors are
// ordo.NonRetryable.
func Render(ctx context.Context, name, text string, data any, limits *Limits) (string, error) {
	t, err := Parse(name, text, &ParseOptions{Data: reflect.TypeOf(data)})
	if err != nil {
		return "", ordo.NonRetryable(err)
	}
	return t.Execute(ctx, data, limits)
}
