// Package pgartifact keeps artifacts (production files and their previews)
// in PostgreSQL, so every Ordo worker sharing a database can serve the files
// any other worker generated. It implements artifact.Store.
//
// Each artifact is one row holding its size, SHA-256, content type and
// creation time, and its content is stored in chunks of 1 MiB (bytea rows).
// Put streams the content into new chunks inside one transaction and then
// points the row at them, so readers see the old content or the new one,
// never a mix, and neither Put nor a reader holds more than a chunk in
// memory: files of some hundreds of megabytes (Config.MaxSize) cost no
// more memory than small ones.
//
//	files := pgartifact.New(pool, nil) // pool: the postgres store's Pool()
//	if err := files.Migrate(ctx); err != nil { ... }
package pgartifact
