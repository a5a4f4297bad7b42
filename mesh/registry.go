package mesh

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

var (
	// ErrUnknownTemplate is wrapped by the error Generate returns for a
	// template name that is not registered; the message lists the known
	// names.
	ErrUnknownTemplate = errors.New("mesh: unknown template")
	// ErrDuplicateTemplate is wrapped by the error Register returns when a
	// template with the same name is already registered.
	ErrDuplicateTemplate = errors.New("mesh: template already registered")
)

var registry = struct {
	sync.RWMutex
	byName map[string]Template
}{byName: make(map[string]Template)}

var templateName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// Register makes t available to Lookup, Templates and Generate. It checks the
// name and the parameter declarations (types, ranges, defaults within
// range) and returns an error wrapping ErrDuplicateTemplate if the name is
// taken. The built-in templates box, nameplate, ring and vase are registered
// when the package loads.
func Register(t Template) error {
	name := t.Name()
	if !templateName.MatchString(name) {
		return fmt.Errorf("mesh: register template %q: name must match %s", name, templateName)
	}
	seen := make(map[string]bool)
	for _, p := range t.Params() {
		if seen[p.Name] {
			return fmt.Errorf("mesh: register template %q: parameter %q declared twice", name, p.Name)
		}
		seen[p.Name] = true
		if err := validateParamDecl(p); err != nil {
			return fmt.Errorf("mesh: register template %q: %w", name, err)
		}
	}
	registry.Lock()
	defer registry.Unlock()
	if _, ok := registry.byName[name]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateTemplate, name)
	}
	registry.byName[name] = t
	return nil
}

func mustRegister(t Template) {
	if err := Register(t); err != nil {
		panic(err)
	}
}

// Lookup returns the template registered under name.
func Lookup(name string) (Template, bool) {
	registry.RLock()
	defer registry.RUnlock()
	t, ok := registry.byName[name]
	return t, ok
}

// Templates returns the registered templates sorted by name.
func Templates() []Template {
	registry.RLock()
	defer registry.RUnlock()
	ts := make([]Template, 0, len(registry.byName))
	for _, t := range registry.byName {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b Template) int { return strings.Compare(a.Name(), b.Name()) })
	return ts
}

// Generate builds the mesh of the named template from params, the entry point
// of the order flow's generate-production-files step. Missing parameters
// take their defaults. Before building anything it asks the template for
// its Estimate and refuses parameters that would make more triangles than
// opts allows (a *BudgetError); a nil opts means DefaultMaxTriangles.
//
// It returns an error wrapping ErrUnknownTemplate for an unknown name, a
// *ParamError for a bad parameter, a *BudgetError for a mesh over budget,
// and a *CheckError if the mesh is not a valid closed solid or its bounding
// box does not match the parameters; it never returns a mesh that fails
// Check, nor one larger than its estimate.
func Generate(template string, params map[string]any, opts *GenerateOptions) (*Mesh, error) {
	budget, err := opts.maxTriangles()
	if err != nil {
		return nil, err
	}
	t, v, err := lookupValid(template, params)
	if err != nil {
		return nil, err
	}
	est, err := estimate(t, v)
	if err != nil {
		return nil, err
	}
	if est.Triangles > budget {
		return nil, &BudgetError{Template: template, Estimate: est, MaxTriangles: budget}
	}
	m, err := t.Build(v)
	if err != nil {
		if _, ok := errors.AsType[*ParamError](err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("mesh: template %q: %w", template, err)
	}
	if int64(len(m.Triangles)) > est.Triangles || int64(len(m.Vertices)) > est.Vertices {
		return nil, fmt.Errorf("mesh: template %q built %d triangles and %d vertices, more than its estimate of %d and %d",
			template, len(m.Triangles), len(m.Vertices), est.Triangles, est.Vertices)
	}
	if err := Check(m); err != nil {
		return nil, fmt.Errorf("mesh: template %q built an invalid mesh: %w", template, err)
	}
	if b, ok := t.(Bounder); ok {
		want, tol, err := b.ExpectedBounds(v)
		if err != nil {
			return nil, fmt.Errorf("mesh: template %q: expected bounds: %w", template, err)
		}
		if got := m.Bounds(); !got.Near(want, tol) {
			e := &CheckError{}
			e.add(ProblemBounds, "got %s, want %s ± %.3g mm", got, want, tol)
			return nil, fmt.Errorf("mesh: template %q: %w", template, e)
		}
	}
	return m, nil
}

// lookupValid returns the named template and params validated for it, or
// an error wrapping ErrUnknownTemplate (listing the known names) or a
// *ParamError.
func lookupValid(template string, params map[string]any) (Template, Values, error) {
	t, ok := Lookup(template)
	if !ok {
		names := make([]string, 0)
		for _, t := range Templates() {
			names = append(names, t.Name())
		}
		return nil, nil, fmt.Errorf("%w %q; known: %s", ErrUnknownTemplate, template, strings.Join(names, ", "))
	}
	v, err := Validate(t, params)
	if err != nil {
		return nil, nil, err
	}
	return t, v, nil
}
