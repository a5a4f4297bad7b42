package mesh

// Template is a parametric product: it declares its parameters and turns
// validated values into a closed triangle mesh. Register a Template to make
// it available to Generate, the CLI and order flows.
type Template interface {
	// Name is the stable name orders refer to, for example "ring". It
	// must match [a-z][a-z0-9_-]* and never change once orders use it.
	Name() string
	// Description is one sentence for people choosing a template.
	Description() string
	// Params declares the parameters, in the order they are listed.
	Params() []Param
	// Estimate returns the triangle and vertex counts of the mesh that
	// Build makes from v (exact, or an upper bound), without building it:
	// its cost must not grow with the mesh, so that an order can be
	// refused before it allocates anything. It returns a *ParamError for
	// parameters it can tell conflict (Build may find more, at a cost
	// Estimate avoids: the nameplate's check that letters do not touch).
	Estimate(v Values) (Estimate, error)
	// Build makes the mesh from values that Validate accepted. It returns
	// a *ParamError when parameters conflict with each other (for example a
	// wall thicker than half the box), and must not return a mesh that
	// fails Check or is larger than its Estimate. Build does not check a
	// budget of its own beyond MaxTriangles: call Generate, which does.
	Build(v Values) (*Mesh, error)
}

// Bounder is implemented by templates that can predict their mesh's bounding
// box from the parameters alone. Generate compares it with the built mesh,
// which catches stray or missing geometry that is still a valid solid.
type Bounder interface {
	// ExpectedBounds returns the bounding box in millimetres of the mesh
	// that Build makes from v, and how far, in millimetres, each face of
	// the mesh's box may be from it.
	ExpectedBounds(v Values) (b Box, tolerance float64, err error)
}
