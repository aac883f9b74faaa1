//go:build unix

package dir

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fileID identifies a directory across paths (device and inode), for
// detecting symbolic-link loops.
func fileID(info fs.FileInfo) (any, bool) {
	switch st := info.Sys().(type) {
	case *syscall.Stat_t:
		return [2]uint64{uint64(st.Dev), uint64(st.Ino)}, true
	case *unix.Stat_t:
		return [2]uint64{uint64(st.Dev), uint64(st.Ino)}, true
	}
	return nil, false
}

// lstatAt looks at name in the open directory d without following a
// link: relative to the directory, as find does, which spares the kernel
// resolving the whole path again for every file.
func lstatAt(d *os.File, dirAbs, name string) (fs.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: filepath.Join(dirAbs, name), Err: err}
	}
	return &statInfo{name: name, st: st}, nil
}

// statInfo is an fs.FileInfo from a stat call.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }
func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	return m
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
