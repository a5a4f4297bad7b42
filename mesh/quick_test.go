package mesh

import (
	"os"
	"testing"
)

func TestQuick(t *testing.T) {
	for name, p := range map[string]map[string]any{"box": nil, "ring": nil, "vase": nil, "nameplate": {"text": "Bjørn ABBA"}} {
		m, err := Generate(name, p)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.Create("/tmp/prev_" + name + ".png")
		if err := RenderPNG(f, m, 400, 300); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}
