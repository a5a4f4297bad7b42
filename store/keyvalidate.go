package store

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// The rules every KeyStore backend applies: what a key and an audit entry
// may hold, and how the audit listing pages. A refused argument is an
// *Error matching ErrInvalidArgument.

// The scopes a stored key may have (package auth gives them meaning).
const (
	KeyScopeRead    = "read"
	KeyScopeOperate = "operate"
	KeyScopeAdmin   = "admin"
)

// Bounds on what KeyStore stores.
const (
	// MaxKeyNameLength bounds a key's name (as ordo.MaxIDLength).
	MaxKeyNameLength = 200
	// maxKeyField bounds a key's hash, prefix and creator.
	maxKeyField = 200
	// MaxAuditPathLength bounds AuditEntry.Path; longer paths are cut.
	MaxAuditPathLength = 2048
	// maxAuditField bounds AuditEntry's Key, Method and RemoteAddr.
	maxAuditField = 256
)

func invalidArg(format string, args ...any) *Error {
	return &Error{Err: ErrInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// ValidateKeyScope checks that scope is read, operate or admin.
func ValidateKeyScope(scope string) error {
	switch scope {
	case KeyScopeRead, KeyScopeOperate, KeyScopeAdmin:
		return nil
	}
	return invalidArg("key scope %q is not one of read, operate, admin", truncate(scope))
}

// ValidateKeyCreate checks KeyCreateParams before a backend stores them.
func ValidateKeyCreate(p *KeyCreateParams) error {
	if p == nil {
		return invalidArg("key create: no parameters")
	}
	if err := ValidateKeyName(p.Name); err != nil {
		return err
	}
	if err := ValidateKeyScope(p.Scope); err != nil {
		return err
	}
	if p.Hash == "" {
		return invalidArg("key %q: the hash is required", p.Name)
	}
	for _, f := range []struct{ name, v string }{{"hash", p.Hash}, {"prefix", p.Prefix}, {"creator", p.CreatedBy}} {
		if len(f.v) > maxKeyField {
			return invalidArg("key %q: the %s is %d bytes long; at most %d are allowed", p.Name, f.name, len(f.v), maxKeyField)
		}
	}
	return nil
}

// ValidateKeyName checks a key name given to a KeyStore method: not empty
// and at most MaxKeyNameLength bytes (package auth also checks the
// character set, with ordo.ValidateID).
func ValidateKeyName(name string) error {
	if name == "" {
		return invalidArg("key name is empty")
	}
	if len(name) > MaxKeyNameLength {
		return invalidArg("key name is %d bytes long; at most %d are allowed", len(name), MaxKeyNameLength)
	}
	return nil
}

// PrepareAudit checks the entries of KeyStore.AuditAppend and returns
// the copies a backend stores: Method and Path are required, Status is an
// HTTP status, Key, Method and RemoteAddr are bounded. A Path longer than
// MaxAuditPathLength is cut to it (an over-long request is still
// recorded). One bad entry fails the batch.
func PrepareAudit(entries []*AuditEntry) ([]AuditEntry, error) {
	out := make([]AuditEntry, len(entries))
	for i, e := range entries {
		if e == nil {
			return nil, invalidArg("audit entry %d is nil", i)
		}
		if e.Method == "" || e.Path == "" {
			return nil, invalidArg("audit entry %d: the method and the path are required", i)
		}
		if e.Status < 100 || e.Status > 999 {
			return nil, invalidArg("audit entry %d: status %d is not an HTTP status", i, e.Status)
		}
		for _, f := range []struct{ name, v string }{{"key", e.Key}, {"method", e.Method}, {"remote address", e.RemoteAddr}} {
			if len(f.v) > maxAuditField {
				return nil, invalidArg("audit entry %d: the %s is %d bytes long; at most %d are allowed", i, f.name, len(f.v), maxAuditField)
			}
		}
		out[i] = *e
		if len(e.Path) > MaxAuditPathLength {
			out[i].Path = e.Path[:MaxAuditPathLength]
		}
	}
	return out, nil
}

// AuditListQuery is AuditListParams checked and decoded for a backend.
type AuditListQuery struct {
	Key string
	// Limit is the page size; a backend reads Limit+1 entries.
	Limit int
	// BeforeID is the ID entries must be lower than; 0 for no bound.
	BeforeID int64
}

// ParseAuditList checks p (Limit as ListLimit) and decodes its cursor.
func ParseAuditList(p *AuditListParams) (AuditListQuery, error) {
	var q AuditListQuery
	if p == nil {
		p = &AuditListParams{}
	}
	limit, err := ListLimit(p.Limit)
	if err != nil {
		return q, err
	}
	if len(p.Key) > MaxKeyNameLength {
		return q, invalidArg("audit list: key name is %d bytes long; at most %d are allowed", len(p.Key), MaxKeyNameLength)
	}
	q.Key, q.Limit = p.Key, limit
	if p.Cursor != "" {
		if q.BeforeID, err = decodeAuditCursor(p.Cursor); err != nil {
			return q, err
		}
	}
	return q, nil
}

// AuditPageOf makes the page of a listing from up to q.Limit+1 entries
// read newest first: the extra entry, when there is one, only says that
// another page follows.
func AuditPageOf(q AuditListQuery, entries []*AuditEntry) *AuditPage {
	page := &AuditPage{Entries: entries}
	if len(entries) > q.Limit {
		page.Entries = entries[:q.Limit]
		page.NextCursor = encodeAuditCursor(page.Entries[q.Limit-1].ID)
	}
	if page.Entries == nil {
		page.Entries = []*AuditEntry{}
	}
	return page
}

// auditCursorPrefix starts an audit cursor's text, so that another
// listing's cursor does not decode as one.
const auditCursorPrefix = "audit/"

// encodeAuditCursor returns the AuditList cursor for the position after
// the entry with ID id (the base64url form of "audit/<id>").
func encodeAuditCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(auditCursorPrefix + strconv.FormatInt(id, 10)))
}

func decodeAuditCursor(c string) (int64, error) {
	s, err := decodeCursor(c)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(s, auditCursorPrefix)
	if !ok {
		return 0, invalidCursor(c)
	}
	id, err := strconv.ParseInt(n, 10, 64)
	if err != nil || id <= 0 {
		return 0, invalidCursor(c)
	}
	return id, nil
}

// truncate shortens a caller's value quoted in an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
