package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/storetest"
)

// TestUnreadableRows: rows another program (or a bug) stored in a form the
// store cannot decode do not fail a listing.
func TestUnreadableRows(t *testing.T) {
	corruptions := map[string]string{
		"error not JSON":  `UPDATE instances SET error = '{"message": ' WHERE id = $1`,
		"params not JSON": `UPDATE instances SET params = '\xff00'::bytea, output = 'not json'::bytea WHERE id = $1`,
	}
	for name, stmt := range corruptions {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url, _ := pgtest.Schema(t)
			s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			storetest.RunUnreadable(t, s, func(t *testing.T, id string) {
				conn, err := pgx.Connect(t.Context(), url)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(t.Context())
				if _, err := conn.Exec(t.Context(), stmt, id); err != nil {
					t.Fatalf("corrupt %s: %v", id, err)
				}
			})
		})
	}
}
