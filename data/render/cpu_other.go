//go:build !(linux || darwin || freebsd)

package render

import "time"

// threadCPU falls back to the wall clock where no thread CPU clock is
// available: a thread cannot use more CPU than the time that passes.
func threadCPU() time.Duration { return wallClock() }
