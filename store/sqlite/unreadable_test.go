package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/ordohq/ordo/store/sqlite"
	"github.com/ordohq/ordo/store/storetest"
)

// TestUnreadableRows: rows another program (or a bug) stored in a form the
// store cannot decode do not fail a listing.
func TestUnreadableRows(t *testing.T) {
	corruptions := map[string]string{
		"error not JSON":         `UPDATE instances SET error = '{"message": ' WHERE id = ?`,
		"params not JSON":        `UPDATE instances SET params = 'not json', output = '{' WHERE id = ?`,
		"column of another type": `UPDATE instances SET claims = 'many', status = x'00ff' WHERE id = ?`,
	}
	for name, stmt := range corruptions {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "ordo.db")
			s, err := sqlite.Open(t.Context(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			storetest.RunUnreadable(t, s, func(t *testing.T, id string) {
				db, err := sql.Open("sqlite", path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec(stmt, id); err != nil {
					t.Fatalf("corrupt %s: %v", id, err)
				}
			})
		})
	}
}
