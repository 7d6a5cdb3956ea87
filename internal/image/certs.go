package image

import (
	"bytes"
	"encoding/pem"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// caBundlePath is where the image keeps its trusted roots: the path Go, OpenSSL and
// most TLS clients read on Linux, also named by SSL_CERT_FILE.
const caBundlePath = "/etc/ssl/certs/ca-certificates.crt"

// caBundle returns the Mozilla NSS roots that golang.org/x/crypto/x509roots/fallback
// carries, as PEM, so that the image needs neither a base image nor the build host's
// trust store. Roots with a constraint (distrusted for certificates issued after a
// date) are left out: a PEM file cannot carry the constraint, and trusting them
// without it would trust more than NSS does.
func caBundle() []byte {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		// Encoding to a bytes.Buffer cannot fail.
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return buf.Bytes()
}
