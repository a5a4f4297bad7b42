package mesh

import (
	"testing"
)

func TestQuick2(t *testing.T) {
	for _, s := range []string{"S", "t", "r", "a", "ß", "e"} {
		sh, err := shapeText("regular", s, 8, 0, chordTolerance)
		if err != nil {
			t.Fatal(err)
		}
		var cs [][]vec2
		for _, c := range sh.contours {
			cs = append(cs, c.pts)
		}
		g := nest(cs)
		for i, c := range g.contours {
			if g.depth[i] != 0 {
				continue
			}
			idx := make([]int32, len(c))
			for k := range idx {
				idx[k] = int32(k)
			}
			_, err := triangulate(c, idx, nil)
			t.Logf("%q contour %d n=%d: %v", s, i, len(c), err)
			if err != nil {
				t.Logf("%v", c)
			}
		}
	}
}
