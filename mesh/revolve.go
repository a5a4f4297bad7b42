package mesh

import "math"

// revolve adds rings of n vertices around the Z axis, one per point of
// profile, a closed (r, z) loop that runs counter-clockwise with r as the
// horizontal axis and stays off the axis (r > 0). It joins them into a closed
// tube whose faces point outwards. Ring k starts at angle 0.
func (b *builder) revolve(profile []vec2, n int) {
	rings := make([][]uint32, len(profile))
	for k, p := range profile {
		rings[k] = b.polarRing(n, p.y, func(float64) float64 { return p.x })
	}
	b.loft(rings, true)
}

// polarRing adds n vertices at height z, at angles 2πi/n with radius r(angle),
// counter-clockwise, and returns their indices.
func (b *builder) polarRing(n int, z float64, r func(angle float64) float64) []uint32 {
	ring := make([]uint32, n)
	for i := range ring {
		a := 2 * math.Pi * float64(i) / float64(n)
		s, c := math.Sincos(a)
		ri := r(a)
		// Snap the quarter points so that the bounding box is exact.
		switch 4 * i {
		case 0:
			s, c = 0, 1
		case n:
			s, c = 1, 0
		case 2 * n:
			s, c = 0, -1
		case 3 * n:
			s, c = -1, 0
		}
		ring[i] = b.m.AddVertex(Vec3{ri * c, ri * s, z})
	}
	return ring
}
