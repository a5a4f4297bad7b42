package mesh

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) {
	for _, s := range []string{"Hello", "ABBA", "Olé", "Straße", "Bjørn", "%&@8gÅ", "The quick brown fox jumps over a lazy dog"[:40]} {
		start := time.Now()
		m, err := Generate("nameplate", map[string]any{"text": s})
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		t.Logf("%s: tris %d vol %v bounds %v shells %d in %v", s, len(m.Triangles), m.Volume(), m.Bounds(), m.Shells(), time.Since(start))
	}
	_, err := Generate("nameplate", map[string]any{"text": "Hi 😀"})
	t.Log(err)
	_, err = Generate("nameplate", map[string]any{"text": "AV", "spacing": -3})
	t.Log(err)
}
