package storage

import (
	"errors"
	"syscall"

	"gallerist/data"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// errDiskFull is what a client is told when the data dir's disk is full:
// nothing was saved, and freeing space is the way out (the server keeps
// serving reads, and writes work again as soon as there is room).
var errDiskFull = data.Errorf(data.ECInsufficientStorage,
	"The server's disk is full, so nothing was saved. Free some space on it (or ask the administrator to), then try again.")

// isDiskFull reports whether err comes from a full disk or an exhausted
// quota: a write or fsync that failed with ENOSPC/EDQUOT, or SQLite's
// SQLITE_FULL.
func isDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrFull
}

// diskFull returns errDiskFull for a full-disk error, err otherwise.
func diskFull(err error) error {
	if isDiskFull(err) {
		return errDiskFull
	}
	return err
}
