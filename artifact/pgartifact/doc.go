// Package pgartifact keeps artifacts (production files and their previews)
// in PostgreSQL, so every Ordo worker sharing a database can serve the files
// any other worker generated. It implements artifact.Store.
//
// Each artifact is one row holding its content (bytea), size, SHA-256,
// content type and creation time; Put replaces a row in one statement, so
// readers see the old content or the new one, never a mix. Contents are
// read and written whole, in memory: the store suits files of a few
// megabytes to some hundreds (Config.MaxSize), as meshes and previews are.
//
//	files := pgartifact.New(pool, nil) // pool: the postgres store's Pool()
//	if err := files.Migrate(ctx); err != nil { ... }
package pgartifact
