package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
	"time"
)

func TestRenewAtThirtyDaysOrAThirdOfTheLifetime(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		lifetime, before time.Duration
	}{
		{90 * 24 * time.Hour, 30 * 24 * time.Hour}, // Let's Encrypt: at 30 days left
		{6 * 24 * time.Hour, 2 * 24 * time.Hour},   // short-lived: at a third left
		{60 * time.Second, 20 * time.Second},
	}
	for _, c := range cases {
		cert := &x509.Certificate{NotBefore: start, NotAfter: start.Add(c.lifetime)}
		if got, want := renewAt(cert), cert.NotAfter.Add(-c.before); !got.Equal(want) {
			t.Errorf("lifetime %s: renew at %s, want %s", c.lifetime, got, want)
		}
	}
}

func TestPlaceholderIsOneFileNginxCanRead(t *testing.T) {
	bundle, err := placeholder([]string{"app.test", "www.app.test"})
	if err != nil {
		t.Fatal(err)
	}
	cert, rest := pem.Decode(bundle)
	if cert == nil || cert.Type != "CERTIFICATE" {
		t.Fatalf("the bundle starts with a certificate: %q", bundle)
	}
	key, _ := pem.Decode(rest)
	if key == nil || key.Type != "PRIVATE KEY" {
		t.Fatalf("then the key: %q", rest)
	}
	parsed, err := x509.ParseCertificate(cert.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.VerifyHostname("www.app.test"); err != nil {
		t.Error(err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(key.Bytes); err != nil {
		t.Error(err)
	}
}

func TestDueUntilIssuedThenAtRenewal(t *testing.T) {
	dir := t.TempDir()
	a := newAgent(settings{domains: []string{"app.test"}, stateDir: dir})
	if due, why := a.due(time.Now()); !due || why != "no certificate yet" {
		t.Fatalf("no bundle: due=%v (%s)", due, why)
	}
	bundle, _ := placeholder(a.s.domains)
	if err := os.WriteFile(a.bundlePath(), bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	a.update(func(st *Status) { st.State = "placeholder" })
	if due, why := a.due(time.Now()); !due || why != "a placeholder is installed" {
		t.Fatalf("placeholder: due=%v (%s)", due, why)
	}
	a.update(func(st *Status) { st.State = "issued" })
	if due, _ := a.due(time.Now()); due {
		t.Fatal("a fresh 7-day certificate is not due")
	}
	if due, why := a.due(time.Now().Add(6 * 24 * time.Hour)); !due {
		t.Fatalf("due with a day left of 7 (%s)", why)
	}
	a.s.domains = []string{"app.test", "new.app.test"}
	if due, why := a.due(time.Now()); !due || why != "the host names changed" {
		t.Fatalf("new names: due=%v (%s)", due, why)
	}
}
