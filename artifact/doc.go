// Package artifact stores the files an order produces (production files
// such as STL and OBJ meshes, their PNG previews) under stable names like
// "orders/ord-1/item-0.stl", with their size, SHA-256 and content type.
//
// Store is the seam: FS keeps files in a directory on local disk, writing
// each one atomically (temporary file, fsync, rename), and an
// S3-compatible store can implement the same interface. Package
// artifacttest holds the conformance tests every Store must pass.
package artifact
