package image

import (
	"archive/tar"
	"fmt"
	"io"
	"time"
)

// entry is one file or folder of a tar stream (a layer or the layout). Owners are
// numeric only: the image's /etc/passwd, not the build host's, names them.
type entry struct {
	// path inside the stream, without a leading slash, e.g. etc/passwd.
	path string
	// mode is the permission bits (and sticky bit) of the entry.
	mode int64
	// uid and gid own the entry.
	uid, gid int
	// dir makes the entry a folder; data is then ignored.
	dir bool
	// data is the content of a file.
	data []byte
}

// writeTar writes entries, in the given order, with every header field fixed (times
// set to mtime, no user or group names, no access or change times), so that the same
// entries always give the same bytes.
func writeTar(w io.Writer, entries []entry, mtime time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.path,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: mtime.UTC().Truncate(time.Second),
			Format:  tar.FormatUSTAR,
		}
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, e.path+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("cannot write the tar header of %s: %w", e.path, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("cannot write %s: %w", e.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("cannot close the tar stream: %w", err)
	}
	return nil
}
