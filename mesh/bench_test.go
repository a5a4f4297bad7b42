package mesh

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// vase1M are vase parameters that give just over a million triangles.
var vase1M = map[string]any{"segments": 1024, "layers": 256}

var (
	benchOnce sync.Once
	benchMesh *Mesh
	benchErr  error
)

// bigVase returns the million-triangle vase, built once per process.
func bigVase(b *testing.B) *Mesh {
	b.Helper()
	benchOnce.Do(func() { benchMesh, benchErr = Generate("vase", vase1M, nil) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchMesh
}

// peakHeap runs f while sampling the live heap every 200 µs and returns
// the highest sample above the heap before f, in bytes. Short spikes
// between samples can be missed, so it is a lower bound.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	f()
	peak = max(peak, read())
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// BenchmarkGenerateVase1M builds, checks and bounds-checks a vase of about a
// million triangles: the cost of one production file in the order flow,
// before writing.
func BenchmarkGenerateVase1M(b *testing.B) {
	b.ReportAllocs()
	var tris int
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			m, err := Generate("vase", vase1M, nil)
			if err != nil {
				b.Fatal(err)
			}
			tris = len(m.Triangles)
		}))
	}
	b.ReportMetric(float64(tris)*float64(b.N)/b.Elapsed().Seconds(), "tri/s")
	b.ReportMetric(float64(tris), "tri")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// vaseAtBudget are vase parameters just under DefaultMaxTriangles: 4 ×
// 2048 × 244 = 1,998,848 triangles, the largest item an order may hold by
// default.
var vaseAtBudget = map[string]any{"segments": 2048, "layers": 243}

// BenchmarkProduceAtBudget is what the order flow does for its largest
// allowed item: Generate, then Write (which checks again) streamed to a
// file, as the artifact store receives it. peak-heap-MiB is the figure in
// the README's limits section.
func BenchmarkProduceAtBudget(b *testing.B) {
	path := filepath.Join(b.TempDir(), "vase.stl")
	var peak uint64
	var size int64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			m, err := Generate("vase", vaseAtBudget, nil)
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if size, err = Write(f, m, FormatSTL); err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(size), "file-bytes")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkBuildVase1M is the vase's geometry alone, without Check.
func BenchmarkBuildVase1M(b *testing.B) {
	b.ReportAllocs()
	tm, _ := Lookup("vase")
	v, err := Validate(tm, vase1M)
	if err != nil {
		b.Fatal(err)
	}
	var tris int
	for b.Loop() {
		m, err := tm.Build(v)
		if err != nil {
			b.Fatal(err)
		}
		tris = len(m.Triangles)
	}
	b.ReportMetric(float64(tris)*float64(b.N)/b.Elapsed().Seconds(), "tri/s")
}

// BenchmarkCheck1M is the validation Write runs before every file.
func BenchmarkCheck1M(b *testing.B) {
	m := bigVase(b)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		peak = max(peak, peakHeap(func() {
			if err := Check(m); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(len(m.Triangles))*float64(b.N)/b.Elapsed().Seconds(), "tri/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkWrite1M writes the million-triangle vase to a file in each
// format: "write" is mesh.Write (Check, then encode), "encode" the encoder
// alone; "plain" writes the same number of bytes with plain sequential
// 256 KiB writes to a file in the same directory, as the baseline. No
// fsync: all three measure the page cache.
func BenchmarkWrite1M(b *testing.B) {
	m := bigVase(b)
	dir := b.TempDir()
	for _, f := range Formats {
		n, err := Write(io.Discard, m, f)
		if err != nil {
			b.Fatal(err)
		}
		encoders := map[Format]func(*bufio.Writer, *Mesh) error{
			FormatSTL: writeSTLBinary, FormatSTLASCII: writeSTLASCII, FormatOBJ: writeOBJ,
		}
		toFile := func(b *testing.B, write func(*os.File) error) {
			b.SetBytes(n)
			b.ReportAllocs()
			path := filepath.Join(dir, "out"+f.Ext())
			for b.Loop() {
				file, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				if err := write(file); err != nil {
					b.Fatal(err)
				}
				if err := file.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(m.Triangles))*float64(b.N)/b.Elapsed().Seconds(), "tri/s")
		}
		b.Run(string(f)+"/write", func(b *testing.B) {
			toFile(b, func(file *os.File) error { _, err := Write(file, m, f); return err })
		})
		b.Run(string(f)+"/encode", func(b *testing.B) {
			toFile(b, func(file *os.File) error {
				w := bufio.NewWriterSize(file, writeBuffer)
				if err := encoders[f](w, m); err != nil {
					return err
				}
				return w.Flush()
			})
		})
		b.Run(string(f)+"/plain", func(b *testing.B) {
			chunk := make([]byte, writeBuffer)
			toFile(b, func(file *os.File) error {
				for left := n; left > 0; left -= int64(len(chunk)) {
					if _, err := file.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}

// BenchmarkNameplate is a typical personalised order.
func BenchmarkNameplate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate("nameplate", map[string]any{"text": "Bjørn Straße 12"}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderPNG1M draws the million-triangle vase at 800×600.
func BenchmarkRenderPNG1M(b *testing.B) {
	m := bigVase(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderPNG(io.Discard, m, &RenderOptions{Width: 800, Height: 600}); err != nil {
			b.Fatal(err)
		}
	}
}
