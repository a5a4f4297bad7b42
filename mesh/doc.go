// Package mesh turns parametric product templates into manufacturable
// triangle meshes and writes them as STL or OBJ production files, with a
// PNG preview.
//
// A Template declares its parameters (name, unit, type, default, range) and
// builds a closed mesh from validated values. The built-in templates are
// registered when the package loads:
//
//   - nameplate: the customer's text, set in a Go font and raised on a
//     rounded plate with an optional keychain hole;
//   - ring: a band ring from a US size or an inner diameter;
//   - box: an open container with rounded vertical edges;
//   - vase: a vase or lamp shade with twisted wave ridges.
//
// Register adds a merchant's own templates. Generate is the one call the
// order flow needs: it validates the parameters (JSON numbers or numeric
// strings), builds the mesh and checks it.
//
// Correctness of the mesh is the feature: a file that a slicer rejects
// stops the production line. Check verifies that a mesh is a closed
// 2-manifold with outward normals and no degenerate or duplicate triangles
// (CheckSelfIntersections looks for crossing triangles too), Generate also
// compares the bounding box with the one the parameters predict, and Write
// refuses to write a mesh that fails Check. A failed check is an error,
// never a broken file.
//
// Write streams binary STL, ASCII STL or OBJ (shared vertices, millimetres)
// through a fixed-size buffer; ReadSTL and ReadOBJ read them back.
// RenderPNG draws a shaded picture from a fixed camera, and RenderFilePNG
// draws one straight from a stored STL or OBJ file, within a triangle
// budget (RenderOptions).
package mesh
