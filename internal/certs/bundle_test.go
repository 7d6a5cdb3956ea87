package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

const day = 24 * time.Hour

// TestRotationKeepsTheOldCAUntilItExpires follows one Secret through two
// rotations on a fake clock with real certificates: a renewal adds the new CA in
// front of the old one, so a replica still serving the old certificate stays
// trusted; the old CA leaves the bundle once it has expired, and not before.
func TestRotationKeepsTheOldCAUntilItExpires(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := clocktesting.NewFakePassiveClock(start)
	o := Options{Namespace: "dbaas-system", ServiceName: "dbaas-webhook-service", Validity: 100 * day, Clock: clock}
	step := func(data map[string][]byte, wantChanged bool) map[string][]byte {
		t.Helper()
		out, changed, err := next(data, o, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if changed != wantChanged {
			t.Fatalf("at %s: changed = %v, want %v", clock.Now(), changed, wantChanged)
		}
		return out
	}

	first := step(nil, true)
	if n := len(bundle(t, first)); n != 1 {
		t.Fatalf("a new Secret's bundle holds %d CAs, want 1", n)
	}
	trusted(t, first["ca.crt"], first["tls.crt"], o, clock.Now())

	clock.SetTime(start.Add(50 * day))
	if same := step(first, false); !bytes.Equal(same["tls.crt"], first["tls.crt"]) {
		t.Fatal("a certificate with half its validity left was renewed")
	}

	// Under a tenth of the validity left: renewal.
	renewedAt := start.Add(91 * day)
	clock.SetTime(renewedAt)
	second := step(first, true)
	if bytes.Equal(second["tls.crt"], first["tls.crt"]) || bytes.Equal(second["tls.key"], first["tls.key"]) {
		t.Fatal("the renewal kept the old certificate or key")
	}
	cas := bundle(t, second)
	if len(cas) != 2 || !cas[1].Equal(bundle(t, first)[0]) {
		t.Fatalf("after the renewal the bundle holds %d CAs, want the new one and then the old one", len(cas))
	}
	trusted(t, second["ca.crt"], second["tls.crt"], o, clock.Now())
	// A replica that has not picked up the renewal yet serves the old certificate.
	trusted(t, second["ca.crt"], first["tls.crt"], o, clock.Now())

	// The old CA still has a day to go: it stays, and nothing is written.
	clock.SetTime(start.Add(100*day - time.Minute))
	if same := step(second, false); !bytes.Equal(same["ca.crt"], second["ca.crt"]) {
		t.Fatal("the bundle changed before the old CA expired")
	}
	trusted(t, second["ca.crt"], first["tls.crt"], o, clock.Now())

	// The old CA has expired, and with it every certificate it signed: it goes,
	// the serving certificate stays.
	clock.SetTime(start.Add(100*day + time.Minute))
	third := step(second, true)
	if !bytes.Equal(third["tls.crt"], second["tls.crt"]) || !bytes.Equal(third["tls.key"], second["tls.key"]) {
		t.Fatal("dropping the expired CA renewed the serving certificate")
	}
	if cas := bundle(t, third); len(cas) != 1 || !cas[0].Equal(bundle(t, second)[0]) {
		t.Fatalf("after the old CA expired the bundle holds %d CAs, want only the current one", len(cas))
	}
	trusted(t, third["ca.crt"], third["tls.crt"], o, clock.Now())
	if err := verify(third["ca.crt"], first["tls.crt"], o, start.Add(50*day)); err == nil {
		t.Fatal("the bundle without the old CA still trusts a certificate the old CA signed")
	}

	// The next renewal again keeps the CA before it.
	clock.SetTime(renewedAt.Add(91 * day))
	fourth := step(third, true)
	if cas := bundle(t, fourth); len(cas) != 2 || !cas[1].Equal(bundle(t, third)[0]) {
		t.Fatalf("the second renewal's bundle holds %d CAs, want the new one and then the one before", len(cas))
	}
	trusted(t, fourth["ca.crt"], third["tls.crt"], o, clock.Now())
}

// TestNextReissuesWhatCannotServe: a Secret whose certificate cannot serve the
// Service is replaced, keeping its CAs that have not expired.
func TestNextReissuesWhatCannotServe(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := Options{Namespace: "dbaas-system", ServiceName: "dbaas-webhook-service", Validity: 100 * day}
	good, err := issue(o, now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := issue(o, now)
	if err != nil {
		t.Fatal(err)
	}
	otherService := o
	otherService.ServiceName = "another-service"
	elsewhere, err := issue(otherService, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		// data is the Secret's content.
		data map[string][]byte
	}{
		"no key":                    {data: map[string][]byte{"ca.crt": good["ca.crt"], "tls.crt": good["tls.crt"]}},
		"a key of another cert":     {data: map[string][]byte{"ca.crt": good["ca.crt"], "tls.crt": good["tls.crt"], "tls.key": other["tls.key"]}},
		"signed by no CA of bundle": {data: map[string][]byte{"ca.crt": other["ca.crt"], "tls.crt": good["tls.crt"], "tls.key": good["tls.key"]}},
		"no bundle":                 {data: map[string][]byte{"tls.crt": good["tls.crt"], "tls.key": good["tls.key"]}},
		"garbage bundle":            {data: map[string][]byte{"ca.crt": []byte("not a certificate"), "tls.crt": good["tls.crt"], "tls.key": good["tls.key"]}},
		"for another Service":       {data: elsewhere},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, changed, err := next(tc.data, o, now)
			if err != nil {
				t.Fatal(err)
			}
			if !changed || bytes.Equal(out["tls.crt"], tc.data["tls.crt"]) {
				t.Fatal("a certificate that cannot serve the Service was kept")
			}
			trusted(t, out["ca.crt"], out["tls.crt"], o, now)
			kept := len(bundle(t, map[string][]byte{"ca.crt": tc.data["ca.crt"]}))
			if got := len(bundle(t, out)); got != 1+kept {
				t.Fatalf("the new bundle holds %d CAs, want the new one and the %d before it", got, kept)
			}
		})
	}
}

// bundle parses every certificate of data's ca.crt.
func bundle(t *testing.T, data map[string][]byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	rest := data["ca.crt"]
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return out
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cert)
	}
}

// trusted fails the test unless the API server, trusting caBundle, would accept
// the serving certificate leaf for the Service at now.
func trusted(t *testing.T, caBundle, leaf []byte, o Options, now time.Time) {
	t.Helper()
	if err := verify(caBundle, leaf, o, now); err != nil {
		t.Fatalf("at %s the bundle does not trust the serving certificate: %v", now, err)
	}
}

func verify(caBundle, leaf []byte, o Options, now time.Time) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caBundle) {
		return errors.New("the bundle holds no certificate")
	}
	block, _ := pem.Decode(leaf)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	_, err = cert.Verify(x509.VerifyOptions{DNSName: dnsNames(o)[0], Roots: pool, CurrentTime: now})
	return err
}
