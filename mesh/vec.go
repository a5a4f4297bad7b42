package mesh

import (
	"fmt"
	"math"
)

// Vec3 is a point or direction in millimetres.
type Vec3 struct {
	X, Y, Z float64
}

// Add returns v+w.
func (v Vec3) Add(w Vec3) Vec3 { return Vec3{v.X + w.X, v.Y + w.Y, v.Z + w.Z} }

// Sub returns v-w.
func (v Vec3) Sub(w Vec3) Vec3 { return Vec3{v.X - w.X, v.Y - w.Y, v.Z - w.Z} }

// Scale returns v*s.
func (v Vec3) Scale(s float64) Vec3 { return Vec3{v.X * s, v.Y * s, v.Z * s} }

// Dot returns the dot product of v and w.
func (v Vec3) Dot(w Vec3) float64 { return v.X*w.X + v.Y*w.Y + v.Z*w.Z }

// Cross returns the cross product v×w.
func (v Vec3) Cross(w Vec3) Vec3 {
	return Vec3{v.Y*w.Z - v.Z*w.Y, v.Z*w.X - v.X*w.Z, v.X*w.Y - v.Y*w.X}
}

// Len returns the Euclidean length of v.
func (v Vec3) Len() float64 { return math.Sqrt(v.Dot(v)) }

// Normalize returns v scaled to length 1, or the zero vector if v is zero.
func (v Vec3) Normalize() Vec3 {
	l := v.Len()
	if l == 0 {
		return Vec3{}
	}
	return v.Scale(1 / l)
}

// float32 returns v rounded to the single precision that STL files store.
func (v Vec3) float32() Vec3 {
	return Vec3{float64(float32(v.X)), float64(float32(v.Y)), float64(float32(v.Z))}
}

// Box is an axis-aligned bounding box.
type Box struct {
	Min, Max Vec3
}

// Size returns the box's extent along each axis.
func (b Box) Size() Vec3 { return b.Max.Sub(b.Min) }

// Diagonal returns the length of the box's diagonal.
func (b Box) Diagonal() float64 { return b.Size().Len() }

// Near reports whether every coordinate of b is within tol of the matching
// coordinate of c.
func (b Box) Near(c Box, tol float64) bool {
	d := []float64{
		b.Min.X - c.Min.X, b.Min.Y - c.Min.Y, b.Min.Z - c.Min.Z,
		b.Max.X - c.Max.X, b.Max.Y - c.Max.Y, b.Max.Z - c.Max.Z,
	}
	for _, x := range d {
		if math.Abs(x) > tol || math.IsNaN(x) {
			return false
		}
	}
	return true
}

// String formats b as "(x0, y0, z0)-(x1, y1, z1)" with 3 decimals.
func (b Box) String() string {
	return fmt.Sprintf("(%.3f, %.3f, %.3f)-(%.3f, %.3f, %.3f)",
		b.Min.X, b.Min.Y, b.Min.Z, b.Max.X, b.Max.Y, b.Max.Z)
}
