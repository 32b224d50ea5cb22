package data

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic caught by Safely: the value and the stack where it
// happened, so background work can log it and record a failure instead of
// ending the process.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Safely runs fn and turns a panic inside it into a *PanicError. Every
// goroutine that runs work on behalf of a request or a queue (rendition jobs,
// garbage collection, URL fetches) goes through it: one bad input must never
// take the server down.
func Safely(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn()
}
