package mesh

import (
	"testing"
)

// boxVolume is the exact volume of the box's material.
func boxVolume(d boxDims) float64 {
	return roundedRectArea(d.l, d.w, d.r)*d.h - roundedRectArea(d.l-2*d.wall, d.w-2*d.wall, max(d.r-d.wall, 0))*(d.h-d.floor)
}

func TestBoxDefault(t *testing.T) {
	m, err := Generate("box", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Validate(boxTemplate{}, nil)
	d, _ := boxParams(v)
	t.Logf("tris %d vol %v want %v", len(m.Triangles), m.Volume(), boxVolume(d))
}
