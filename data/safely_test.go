package data

import (
	"errors"
	"strings"
	"testing"
)

func TestSafely(t *testing.T) {
	t.Run("Panic", func(t *testing.T) {
		err := Safely(func() error {
			var table [2]int
			i := 2
			return errors.New(string(rune(table[i]))) // index out of range
		})
		var pe *PanicError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "index out of range") || !strings.Contains(string(pe.Stack), "safely_test.go") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("ErrorPassesThrough", func(t *testing.T) {
		want := errors.New("plain")
		if err := Safely(func() error { return want }); err != want {
			t.Fatalf("%v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := Safely(func() error { return nil }); err != nil {
			t.Fatalf("%v", err)
		}
	})
}
