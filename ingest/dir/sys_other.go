//go:build !unix

package dir

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// fileID is not available here: loops are caught by a depth limit instead.
func fileID(info fs.FileInfo) (any, bool) { return nil, false }

// lstatAt looks at name in the directory dirAbs.
func lstatAt(d *os.File, dirAbs, name string) (fs.FileInfo, error) {
	return os.Lstat(filepath.Join(dirAbs, name))
}

// openRegular opens path and refuses anything but a regular file.
func openRegular(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return f, nil
}
