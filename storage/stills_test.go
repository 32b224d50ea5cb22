package storage

import (
	"errors"
	"strings"
	"testing"
)

// The reason a merchant reads names no address, no path and is cut at a word.
func TestToolReason(t *testing.T) {
	in := "/tmp/gallerist-staging/still-123456"
	for _, c := range []struct{ name, stderr, want string }{
		{"FFmpegTruncated", "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x56035182aa40] moov atom not found\n" + in + ": Invalid data found when processing input\n",
			"moov atom not found; Invalid data found when processing input"},
		{"GoPointer", "decoder 0xc000123456 failed at /usr/lib/x86_64/libav.so.59", "decoder failed at"},
		{"OnlyNoise", "[h264 @ 0x55aa00] 0xc000abcdef", "it could not read the file"},
		{"Empty", "", "exit status 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := toolReason(toolDetail(errors.New("exit status 1"), c.stderr), in)
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	t.Run("CutAtWord", func(t *testing.T) {
		long := strings.Repeat("invalid frame header ", 20)
		got := toolReason(toolDetail(nil, long), in)
		if len(got) > maxReason+len("…") || !strings.HasSuffix(got, "header…") && !strings.HasSuffix(got, "frame…") && !strings.HasSuffix(got, "invalid…") {
			t.Fatalf("cut %q", got)
		}
	})
}
