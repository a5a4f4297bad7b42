// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database named by ORDO_TEST_POSTGRES_URL, dropped when the
// test ends, so tests run in parallel without sharing state.
//
// Without ORDO_TEST_POSTGRES_URL the test is skipped with a message, except
// when CI=true: there a missing database is a failure, so a CI run cannot
// pass by testing nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the test database's URL,
// for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvURL = "ORDO_TEST_POSTGRES_URL"

// URL returns the test database's URL, or skips t (fails it under CI=true)
// when EnvURL is unset.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must test against PostgreSQL", EnvURL)
		}
		t.Skipf("%s is not set; skipping the PostgreSQL test", EnvURL)
	}
	return u
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// Schema creates a new, empty schema named after the test and returns a
// connection string for it (the test database's URL with search_path set
// to the schema) and the schema's name. The schema and everything in it
// are dropped when the test ends, after the cleanups registered later (so
// close your pools with t.Cleanup after calling Schema).
func Schema(t testing.TB) (connString, schema string) {
	t.Helper()
	base := URL(t)
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := unsafeChars.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	schema = "ordo_t_" + strings.Trim(name, "_") + "_" + hex.EncodeToString(suffix[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { Drop(t, base, schema) })
	return WithSearchPath(t, base, schema), schema
}

// WithSearchPath returns connString with search_path set to schema.
func WithSearchPath(t testing.TB, connString, schema string) string {
	t.Helper()
	u, err := url.Parse(connString)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Drop drops schema and everything in it.
func Drop(t testing.TB, connString, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Errorf("pgtest: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		t.Errorf("pgtest: drop schema %s: %v", schema, err)
	}
}
