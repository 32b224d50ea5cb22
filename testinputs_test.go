package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Real test inputs: files from the Go installation and x/image, and files
// made by code here where a real tool would make them too large to commit.
var (
	gorootOnce sync.Once
	gorootDir  string
	ximageOnce sync.Once
	ximageDir  string
)

// goroot is the Go installation the tests run with (its image/testdata holds real files).
func goroot() string {
	gorootOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			panic("go env GOROOT: " + err.Error())
		}
		gorootDir = strings.TrimSpace(string(out))
	})
	return gorootDir
}

func goImageTestdata(name string) string {
	return filepath.Join(goroot(), "src", "image", "testdata", name)
}

// xImageTestdata is a file from golang.org/x/image's testdata (real WebP files).
func xImageTestdata(t testing.TB, name string) []byte {
	ximageOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
		if err == nil {
			ximageDir = strings.TrimSpace(string(out))
		}
	})
	return readFile(t, filepath.Join(ximageDir, "testdata", name))
}

// minimalPDF is a small, valid one-page PDF.
func minimalPDF() []byte {
	return pdfOf(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
	)
}

// pdfOf is a valid PDF of the objects (numbered from 1; 1 is the catalog),
// with the cross-reference table's byte offsets computed.
func pdfOf(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// realPDF is a PDF made by a real tool where the machine has one, else a minimal valid PDF.
func realPDF(t *testing.T) []byte {
	t.Helper()
	ms, _ := filepath.Glob("/usr/share/doc/*/*.pdf")
	if len(ms) == 0 {
		return minimalPDF()
	}
	return readFile(t, ms[0])
}

func realPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 13), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mp4Header returns the boxes of a minimal real MP4 (ftyp, moov with mvhd and
// one video track) followed by the header of an mdat box of mdatSize payload bytes.
func mp4Header(width, height uint16, durationMS uint32, mdatSize uint32) []byte {
	box := func(typ string, body ...[]byte) []byte {
		var b bytes.Buffer
		n := 8
		for _, x := range body {
			n += len(x)
		}
		binary.Write(&b, binary.BigEndian, uint32(n))
		b.WriteString(typ)
		for _, x := range body {
			b.Write(x)
		}
		return b.Bytes()
	}
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	matrix := []byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0}
	var mvhd bytes.Buffer
	mvhd.Write(u32(0))             // version+flags
	mvhd.Write(u32(0))             // creation
	mvhd.Write(u32(0))             // modification
	mvhd.Write(u32(1000))          // timescale
	mvhd.Write(u32(durationMS))    // duration
	mvhd.Write(u32(0x00010000))    // rate
	mvhd.Write([]byte{1, 0, 0, 0}) // volume + reserved
	mvhd.Write(make([]byte, 8))    // reserved
	mvhd.Write(matrix)             // matrix
	mvhd.Write(make([]byte, 24))   // pre_defined
	mvhd.Write(u32(2))             // next track id
	var tkhd bytes.Buffer
	tkhd.Write(u32(3)) // version 0, flags enabled|in movie
	tkhd.Write(u32(0))
	tkhd.Write(u32(0))
	tkhd.Write(u32(1)) // track id
	tkhd.Write(u32(0))
	tkhd.Write(u32(durationMS))
	tkhd.Write(make([]byte, 8))
	tkhd.Write([]byte{0, 0, 0, 0, 0, 0, 0, 0}) // layer, alt group, volume, reserved
	tkhd.Write(matrix)
	tkhd.Write(u32(uint32(width) << 16))
	tkhd.Write(u32(uint32(height) << 16))
	hdlr := box("hdlr", u32(0), u32(0), []byte("vide"), make([]byte, 12), []byte("VideoHandler\x00"))
	trak := box("trak", box("tkhd", tkhd.Bytes()), box("mdia", box("mdhd", u32(0), u32(0), u32(0), u32(1000), u32(durationMS), u32(0)), hdlr))
	out := box("ftyp", []byte("isom"), u32(0x200), []byte("isomiso2avc1mp41"))
	out = append(out, box("moov", box("mvhd", mvhd.Bytes()), trak)...)
	out = append(out, u32(mdatSize+8)...)
	return append(out, "mdat"...)
}

// testPNG makes a distinct w×h PNG: a coloured tile with a darker square, so
// every call with another colour has other bytes.
func testPNG(t testing.TB, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			px := c
			if x > w/4 && x < w*3/4 && y > h/4 && y < h*3/4 {
				px = color.RGBA{c.R / 2, c.G / 2, c.B / 2, 255}
			}
			img.SetRGBA(x, y, px)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var tileColors = []color.RGBA{
	{220, 80, 60, 255}, {60, 140, 220, 255}, {90, 180, 90, 255}, {230, 180, 40, 255},
	{150, 90, 200, 255}, {40, 170, 170, 255}, {200, 100, 160, 255}, {120, 120, 120, 255},
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
