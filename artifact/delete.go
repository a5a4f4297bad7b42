package artifact

import (
	"context"
	"errors"
	"fmt"
)

// DeleteAll deletes every artifact of s whose name starts with prefix
// ("orders/ord-1/") and returns how many it deleted. An artifact deleted
// meanwhile by someone else is not an error, so DeleteAll can be run again
// after a failure.
func DeleteAll(ctx context.Context, s Store, prefix string) (int, error) {
	if prefix == "" {
		return 0, fmt.Errorf("artifact: delete all: %w: an empty prefix would delete everything", ErrInvalidName)
	}
	infos, err := s.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, inf := range infos {
		if err := s.Delete(ctx, inf.Name); err != nil && !errors.Is(err, ErrNotFound) {
			return n, fmt.Errorf("artifact: delete all %q: %w", prefix, err)
		}
		n++
	}
	return n, nil
}
