package image

import "fmt"

const (
	// uid and gid of the user the operator runs as: the nonroot user of distroless
	// images, and the runAsUser and runAsGroup of config/manager/manager.yaml.
	uid, gid = 65532, 65532
	// binaryPath is the operator in the image, the Deployment's command.
	binaryPath = "/dbaas-operator"
)

// baseEntries are the files every platform shares, so that they form one layer with
// one digest, stored once in a registry: the passwd and group entries of root and
// nonroot (so that tools and Go's os/user name the user), its home, a world-writable
// /tmp (the Deployment mounts an emptyDir there; the image also runs without it), and
// the CA bundle.
func baseEntries() []entry {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", uid, gid)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", gid)
	return []entry{
		{path: "etc", mode: 0o755, dir: true},
		{path: "etc/group", mode: 0o644, data: []byte(group)},
		{path: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{path: "etc/ssl", mode: 0o755, dir: true},
		{path: "etc/ssl/certs", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caBundle()},
		{path: "home", mode: 0o755, dir: true},
		{path: "home/nonroot", mode: 0o700, uid: uid, gid: gid, dir: true},
		{path: "tmp", mode: 0o1777, dir: true},
	}
}

// binaryEntries is the operator binary, owned by root so that the user it runs as
// cannot change it.
func binaryEntries(binary []byte) []entry {
	return []entry{{path: binaryPath[1:], mode: 0o755, data: binary}}
}
