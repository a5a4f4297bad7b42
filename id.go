package ordo

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxIDLength is the longest id Ordo accepts (instance, order, flow,
// schedule, key and event ids).
const MaxIDLength = 200

// ValidateID checks an id against the one rule every id shares: 1 to
// MaxIDLength characters, each an ASCII letter, a digit or one of "-_.:",
// the first a letter or a digit (so no id is "." or ".."). kind names the
// id in the error ("instance id", "order id"). The error wraps
// ErrInvalidArgument.
func ValidateID(kind, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidArgument, kind)
	}
	if len(id) > MaxIDLength {
		return fmt.Errorf("%w: %s is %d characters long; at most %d are allowed", ErrInvalidArgument, kind, len(id), MaxIDLength)
	}
	if c := id[0]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
		return fmt.Errorf("%w: %s %q must start with a letter or a digit", ErrInvalidArgument, kind, truncateID(id))
	}
	for i := 0; i < len(id); i++ {
		if !idChar(id[i]) {
			return fmt.Errorf("%w: %s %q has the character %q at position %d; ids use letters, digits and -_.: only",
				ErrInvalidArgument, kind, truncateID(id), rune(id[i]), i+1)
		}
	}
	return nil
}

func idChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-', c == '_', c == '.', c == ':':
		return true
	}
	return false
}

// truncateID shortens an id quoted in an error message.
func truncateID(id string) string {
	if len(id) > 64 {
		return id[:64] + "..."
	}
	return id
}

// maxLookupBytes bounds an id or filter used only to look something up:
// longer ones cannot match anything stored.
const maxLookupBytes = 1024

// checkLookupID refuses, as not found, an id no instance can have: one
// that is not valid UTF-8, holds a NUL byte or is very long (the
// databases refuse such text rather than find nothing). Ids made before
// ValidateID existed still pass.
func checkLookupID(id string) error {
	if id == "" || len(id) > maxLookupBytes || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
		return &Error{Sentinel: ErrNotFound, Message: instanceMissing(id)}
	}
	return nil
}
