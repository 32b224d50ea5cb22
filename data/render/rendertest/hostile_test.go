package rendertest

import (
	"bytes"
	"compress/lzw"
	"compress/zlib"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"golang.org/x/image/webp"
)

func TestZlibZeros(t *testing.T) {
	for _, n := range []int64{1, 2, 3, 4, 10, 258, 259, 260, 261, 262, 517, 1000, 123457, 1 << 20} {
		zr, err := zlib.NewReader(bytes.NewReader(ZlibZeros(n)))
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || int64(len(got)) != n || bytes.Count(got, []byte{0}) != len(got) {
			t.Fatalf("%d zeros: got %d bytes, err %v", n, len(got), err)
		}
		if err := zr.Close(); err != nil {
			t.Fatalf("%d: %v", n, err)
		}
	}
}

func TestLZWZerosIsCompressLZW(t *testing.T) {
	for _, lw := range []uint{2, 8} {
		for _, n := range []int64{1, 2, 3, 7, 100, 4093, 4094, 4095, 4096, 10000, 1 << 20} {
			var want bytes.Buffer
			w := lzw.NewWriter(&want, lzw.LSB, int(lw))
			w.Write(make([]byte, n))
			w.Close()
			if got := LZWZeros(n, lw); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("litWidth %d, %d zeros: %d bytes, compress/lzw writes %d", lw, n, len(got), want.Len())
			}
		}
	}
}

func TestInputsDecode(t *testing.T) {
	dec := func(name string, b []byte, f func(io.Reader) (image.Image, error), w, h int) {
		t.Helper()
		m, err := f(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Bounds().Dx() != w || m.Bounds().Dy() != h {
			t.Fatalf("%s: %v, want %dx%d", name, m.Bounds(), w, h)
		}
	}
	for _, depth := range []int{8, 16} {
		for _, ct := range []byte{0, 2, 4, 6} {
			for _, il := range []bool{false, true} {
				dec("png", PNGs(37, 23, depth, ct, il, 1)[0], png.Decode, 37, 23)
			}
		}
	}
	dec("gif", GIF(300, 200, 300, 200, 2), gif.Decode, 300, 200)
	dec("gif frame", GIF(300, 200, 1, 1, 1), gif.Decode, 1, 1)
	dec("webp", WebPLossless(300, 200, 0xff102030), webp.Decode, 300, 200)
	dec("jpeg", ProgressiveJPEG(300, 200, 3, 20), jpeg.Decode, 300, 200)
	dec("jpeg gray", ProgressiveJPEG(300, 200, 1, 20), jpeg.Decode, 300, 200)
}
