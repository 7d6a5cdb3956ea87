package certs

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"time"
)

// next decides what the Secret holds from now on, given what it holds (nil when it
// does not exist). It returns data unchanged while the serving certificate is good:
// issued for the Service, chained to a CA of the bundle, with more than a tenth of
// its validity left. Otherwise it issues a new CA and serving certificate.
//
// ca.crt is a bundle: the current CA first, then every earlier CA that has not
// expired. Replicas pick up a new certificate one at a time (at start, or at their
// next Rotator tick), and one whose tick is late, or whose API calls fail, still
// serves a certificate signed by an earlier CA; the API server must keep trusting
// it. Such a certificate cannot outlive its CA (both are issued for the same
// validity, and a chain through an expired CA does not verify), so a CA is dropped
// from the bundle once it has expired and not before. Its key was never kept, so
// trusting it longer lets nobody sign anything new.
func next(data map[string][]byte, o Options, now time.Time) (map[string][]byte, bool, error) {
	live := unexpired(cas(data["ca.crt"]), now)
	if good(data, live, o, now) {
		bundle := encode(live)
		if bytes.Equal(bundle, data["ca.crt"]) {
			return data, false, nil
		}
		kept := map[string][]byte{"ca.crt": bundle, "tls.crt": data["tls.crt"], "tls.key": data["tls.key"]}
		return kept, true, nil
	}
	fresh, err := issue(o, now)
	if err != nil {
		return nil, false, err
	}
	fresh["ca.crt"] = append(fresh["ca.crt"], encode(live)...)
	return fresh, true, nil
}

// good reports whether data holds a key pair for the Service that chains to one of
// the CAs with more than a tenth of its validity left.
func good(data map[string][]byte, roots []*x509.Certificate, o Options, now time.Time) bool {
	pair, err := tls.X509KeyPair(data["tls.crt"], data["tls.key"])
	if err != nil || len(roots) == 0 {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || leaf.NotAfter.Sub(now) < o.Validity/10 {
		return false
	}
	pool := x509.NewCertPool()
	for _, ca := range roots {
		pool.AddCert(ca)
	}
	_, err = leaf.Verify(x509.VerifyOptions{
		DNSName:     dnsNames(o)[0],
		Roots:       pool,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err == nil
}

// cas parses the certificates of a PEM bundle, skipping what does not parse.
func cas(bundle []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, bundle = pem.Decode(bundle)
		if block == nil {
			return out
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil && cert.IsCA {
			out = append(out, cert)
		}
	}
}

// unexpired keeps the certificates still valid at now, in order.
func unexpired(certs []*x509.Certificate, now time.Time) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		if now.Before(c.NotAfter) {
			out = append(out, c)
		}
	}
	return out
}

func encode(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
