package probe

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzSniffInspect feeds arbitrary bytes through Sniff and Inspect, and
// through every format inspector directly (so that mutations reach deep
// parsing code even when they break the signature). Nothing may panic, and
// in-memory data may only fail with *Error.
func FuzzSniffInspect(f *testing.F) {
	seeds := [][]byte{
		nil,
		makeJPEG(f, 8, 8),
		withExif(makeJPEG(f, 8, 4), 6, true),
		makePNG(f, 4, 4),
		rawPNG(3, 3, pngChunk("acTL", cat(be32(2), be32(0))), pngChunk("eXIf", exifTIFF(8, false))),
		makeGIF(f, 4, 4, 2),
		riff("WEBP", vp8lChunk(10, 10)),
		riff("WEBP", vp8xChunk(0x0a, 30, 20), riffChunk("ANMF", cat(make([]byte, 16), vp8lChunk(30, 20))), riffChunk("EXIF", exifTIFF(6, true))),
		minimalPDF(),
		makeDOCX(f, "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
		makeCFB([]cfbStream{{name: "WordDocument", data: wordStream(5000)}}, nil),
		makeCFB([]cfbStream{{name: "Workbook", data: workbookStream(600)}, {name: "X", data: make([]byte, 10)}}, nil),
		cat(ftyp("isom", "isom"), mbox("moov", mvhd(0, 1000, 1000), videoTrak(16, 16, 90), audioTrak()), mbox("mdat", make([]byte, 10))),
		cat(ftyp("qt  "), mbox("mdat", make([]byte, 10)), mbox("moov", mvhd(1, 1000, 1000), trak(tkhd(1, 0, 0, identityMatrix()), "vide", stsdVisual(8, 8)))),
		makeWebM(1000, 16, 16),
		cat(xingFrame(10), mp3Frames(3)),
		cat(id3Tag(20), mp3Frames(3)),
		[]byte("<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'b'>]><svg/>"),
		[]byte("\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	inspectors := []func(*source, []byte, *Info) error{
		inspectJPEG, inspectPNG, inspectGIF, inspectWebP, inspectPDF, inspectCFB,
		inspectZIP, inspectISOBMFF, inspectWebM, inspectMP3,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		head := data[:min(len(data), HeadSize)]
		typ := Sniff(head)
		info, err := Inspect(bytes.NewReader(data), int64(len(data)), typ)
		check := func(err error) {
			var pe *Error
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("non-content error %v", err)
			}
		}
		check(err)
		if err == nil && info.Type.Accepted && info.Type.Kind != "" {
			if info.Width < 0 || info.Height < 0 || info.DurationMS < 0 || info.Orientation < 1 || info.Orientation > 8 {
				t.Fatalf("bad info %+v", info)
			}
		}
		if len(data) == 0 {
			return
		}
		for _, fn := range inspectors {
			src := &source{r: bytes.NewReader(data), size: int64(len(data)), what: "file"}
			var info Info
			check(fn(src, head, &info))
		}
	})
}
