package render

import (
	"testing/fstest"
)

// mapFS is a folder of files in memory, as readPackage reads an engine folder.
func mapFS(dir string, files map[string][]byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[dir+"/"+name] = &fstest.MapFile{Data: src, Mode: 0o644}
	}
	return fsys
}
