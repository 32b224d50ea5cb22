package render

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// The reference photo is not committed: point GALLERIST_BENCH_PHOTO at a large
// JPEG. The 6028×3391 one the figures quote comes from Debian:
//
//	apt-get download lomiri-wallpapers-20.04 && dpkg -x lomiri-wallpapers-20.04*.deb x
//	GALLERIST_BENCH_PHOTO=$PWD/x/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg \
//		go test -run '^$' -bench . -benchtime 10x ./data/render/
func benchPhoto(b *testing.B) []byte {
	path := os.Getenv("GALLERIST_BENCH_PHOTO")
	if path == "" {
		b.Skip("GALLERIST_BENCH_PHOTO not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// cpuTime is the process's user+system CPU time, which, unlike wall time,
// counts the garbage collector's background work and ignores other load on
// a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs f n times and returns the CPU time per run.
func measure(n int, f func()) time.Duration {
	runtime.GC()
	start := cpuTime()
	for i := 0; i < n; i++ {
		f()
	}
	return (cpuTime() - start) / time.Duration(n)
}

func stdlibDecode(b *testing.B, data []byte) {
	if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStdlibDecode is the baseline: one image/jpeg.Decode.
func BenchmarkStdlibDecode(b *testing.B) {
	data := benchPhoto(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		stdlibDecode(b, data)
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func benchMake(b *testing.B, opt Options) {
	data := benchPhoto(b)
	base := measure(3, func() { stdlibDecode(b, data) })
	var rs []Rendition
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		var err error
		rs, err = Make(bytes.NewReader(data), "image/jpeg", Widths, opt)
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu := float64((cpuTime() - start).Nanoseconds()) / float64(b.N)
	b.StopTimer()
	b.ReportMetric(cpu, "cpu-ns/op")
	b.ReportMetric(float64(base.Nanoseconds()), "decode-cpu-ns")
	b.ReportMetric(cpu/float64(base.Nanoseconds()), "x-decode")
	total := 0
	for _, r := range rs {
		total += len(r.Data)
		b.Logf("%4d×%-4d %-4s %7d bytes", r.Width, r.Height, r.Format, len(r.Data))
	}
	b.ReportMetric(float64(total), "out-bytes")
}

// BenchmarkMakeAll makes all seven widths as JPEG; x-decode is its CPU time
// over one stdlib decode of the same file, measured in the same run.
func BenchmarkMakeAll(b *testing.B) { benchMake(b, Options{}) }

// BenchmarkMakeAllWebP also makes a WebP of every width.
func BenchmarkMakeAllWebP(b *testing.B) { benchMake(b, Options{WebP: true}) }

// BenchmarkMakeOne50 is an on-demand thumbnail: decoded at 1/8 scale.
func BenchmarkMakeOne50(b *testing.B) {
	data := benchPhoto(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := MakeOne(bytes.NewReader(data), "image/jpeg", 50, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCrop makes one square crop of width w around a point at 80%, 30%
// (centred window clamped by hand: render knows nothing of focal points);
// x-decode is its CPU over one stdlib decode, measured in the same run.
func benchCrop(b *testing.B, w int) {
	data := benchPhoto(b)
	base := measure(3, func() { stdlibDecode(b, data) })
	crop := func(ow, oh int) (image.Rectangle, int, int) {
		side := min(ow, oh)
		x := min(max(ow*8/10-side/2, 0), ow-side)
		y := min(max(oh*3/10-side/2, 0), oh-side)
		return image.Rect(x, y, x+side, y+side), min(w, side), min(w, side)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := MakeCrop(bytes.NewReader(data), "image/jpeg", crop, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu := float64((cpuTime() - start).Nanoseconds()) / float64(b.N)
	b.StopTimer()
	b.ReportMetric(cpu, "cpu-ns/op")
	b.ReportMetric(cpu/float64(base.Nanoseconds()), "x-decode")
}

// BenchmarkMakeCrop1024 is the largest square crop, made on first request.
func BenchmarkMakeCrop1024(b *testing.B) { benchCrop(b, 1024) }

// BenchmarkMakeCrop320 is a tile-sized square crop.
func BenchmarkMakeCrop320(b *testing.B) { benchCrop(b, 320) }
