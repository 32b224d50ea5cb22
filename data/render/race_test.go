//go:build race

package render

// raceEnabled: the race detector slows decoding several times over.
const raceEnabled = true
