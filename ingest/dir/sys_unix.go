//go:build unix

package dir

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// fileID identifies a directory across paths (device and inode), for
// detecting symbolic-link loops.
func fileID(info fs.FileInfo) (any, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	return [2]uint64{uint64(st.Dev), uint64(st.Ino)}, true
}

// openRegular opens path without blocking (a FIFO would block a plain
// open) and refuses anything but a regular file.
func openRegular(path string) (io.ReadCloser, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is no longer a regular file (%s)", path, info.Mode().Type())
	}
	return f, nil
}
