package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

type agent struct {
	s      settings
	tokens sync.Map // HTTP-01 token -> key authorization
}

func newAgent(s settings) *agent {
	if err := os.MkdirAll(s.stateDir, 0o700); err != nil {
		log.Fatalf("cannot use %s: %v", s.stateDir, err)
	}
	return &agent{s: s}
}

func (a *agent) bundlePath() string { return filepath.Join(a.s.stateDir, "bundle.pem") }

// serveChallenges answers /.well-known/acme-challenge/<token>, which nginx forwards here.
func (a *agent) serveChallenges() {
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/acme-challenge/", func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.URL.Path, "/.well-known/acme-challenge/")
		if answer, ok := a.tokens.Load(token); ok {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(answer.(string)))
			return
		}
		http.NotFound(w, r)
	})
	log.Fatal((&http.Server{Addr: a.s.listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}).ListenAndServe())
}

// due says whether to ask for a certificate now: none yet, another name set, or at 30 days left
// (a third of the lifetime for certificates shorter than 90 days).
func (a *agent) due(now time.Time) (bool, string) {
	cert, err := a.current()
	if err != nil {
		return true, "no certificate yet"
	}
	st := a.status()
	if st.State != "issued" {
		return true, "a placeholder is installed"
	}
	if strings.Join(cert.DNSNames, ",") != strings.Join(a.s.domains, ",") {
		return true, "the host names changed"
	}
	at := renewAt(cert)
	if now.Before(at) {
		return false, ""
	}
	return true, "renewal due at " + at.UTC().Format(time.RFC3339)
}

func renewAt(cert *x509.Certificate) time.Time {
	lifetime := cert.NotAfter.Sub(cert.NotBefore)
	before := 30 * 24 * time.Hour
	if third := lifetime / 3; third < before {
		before = third
	}
	return cert.NotAfter.Add(-before)
}

// current parses the certificate in the bundle (the first PEM block).
func (a *agent) current() (*x509.Certificate, error) {
	data, err := os.ReadFile(a.bundlePath())
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("bundle holds no certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// installCurrent makes sure nginx has a certificate to load: the one in state, else a placeholder.
func (a *agent) installCurrent() {
	if _, err := a.current(); err != nil {
		bundle, err := placeholder(a.s.domains)
		if err != nil {
			log.Fatalf("cannot make a placeholder certificate: %v", err)
		}
		if err := writeAtomic(a.bundlePath(), bundle, 0o600); err != nil {
			log.Fatalf("cannot write %s: %v", a.bundlePath(), err)
		}
		a.update(func(st *Status) { *st = Status{State: "placeholder"} })
		log.Printf("installed a self-signed placeholder for %s until the first certificate", strings.Join(a.s.domains, ","))
	}
	a.update(func(st *Status) { st.Served = false }) // until a reload proves otherwise
	for {
		err := a.install(false)
		if err == nil {
			return
		}
		log.Printf("waiting for nginx to install the certificate: %v", err)
		time.Sleep(time.Second)
	}
}

// renew obtains a certificate, keeps it in state, installs it and proves nginx serves it.
func (a *agent) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	bundle, err := a.obtain(ctx)
	if err != nil {
		return err
	}
	if err := writeAtomic(a.bundlePath(), bundle, 0o600); err != nil {
		return err
	}
	cert, _ := a.current()
	a.update(func(st *Status) {
		renewals := st.Renewals
		if st.State == "issued" {
			renewals++
		}
		*st = Status{
			InNginx:   st.InNginx,
			State:     "issued",
			Subject:   cert.Subject.String(),
			Issuer:    cert.Issuer.String(),
			Serial:    cert.SerialNumber.Text(16),
			NotBefore: cert.NotBefore.UTC().Format(time.RFC3339),
			NotAfter:  cert.NotAfter.UTC().Format(time.RFC3339),
			RenewAt:   renewAt(cert).UTC().Format(time.RFC3339),
			Domains:   cert.DNSNames,
			Renewals:  renewals,
		}
	})
	log.Printf("obtained %s from %s, valid until %s", cert.SerialNumber.Text(16), cert.Issuer.CommonName, cert.NotAfter.UTC().Format(time.RFC3339))
	return a.install(true)
}

// install copies the bundle into nginx's filesystem, reloads nginx when asked, and (then) checks
// that a fresh TLS connection gets this certificate.
func (a *agent) install(reload bool) error {
	bundle, err := os.ReadFile(a.bundlePath())
	if err != nil {
		return err
	}
	master, err := nginxMaster()
	if err != nil {
		return err
	}
	dir := filepath.Join("/proc", master, "root", a.s.target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail("cannot reach nginx's filesystem: %v", err)
	}
	if err := writeAtomic(filepath.Join(dir, "bundle.pem"), bundle, 0o600); err != nil {
		return fail("cannot install into nginx's filesystem: %v", err)
	}
	cert, _ := a.current()
	a.update(func(st *Status) { st.InNginx = true })
	if !reload {
		return nil
	}
	if err := signal(master); err != nil {
		return err
	}
	// Old workers keep accepting for a moment after a reload: wait until every handshake for
	// half a second presents the new certificate.
	deadline := time.Now().Add(20 * time.Second)
	var seenSince time.Time
	for time.Now().Before(deadline) {
		if served(a.s.domains[0], cert) {
			if seenSince.IsZero() {
				seenSince = time.Now()
			} else if time.Since(seenSince) > 500*time.Millisecond {
				a.update(func(st *Status) {
					st.Served = true
					st.LastError, st.LastErrorAt = "", ""
				})
				log.Printf("nginx serves %s", cert.SerialNumber.Text(16))
				return nil
			}
		} else {
			seenSince = time.Time{}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fail("nginx did not serve the new certificate within 20 s of the reload")
}

// served says whether nginx's TLS listener presents `cert` for `name` on a fresh connection.
func served(name string, cert *x509.Certificate) bool {
	conn, err := tls.DialWithDialer(&netDialer, "tcp", "127.0.0.1:443", &tls.Config{ServerName: name, InsecureSkipVerify: true})
	if err != nil {
		return false
	}
	defer conn.Close()
	peers := conn.ConnectionState().PeerCertificates
	return len(peers) > 0 && peers[0].SerialNumber.Cmp(cert.SerialNumber) == 0
}

// placeholder is a self-signed certificate for the names, so nginx can start serving HTTPS (and
// the challenge route) before the first real certificate exists.
func placeholder(domains []string) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: domains[0], Organization: []string{"bluegreen placeholder"}},
		DNSNames:     domains,
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return encodeBundle([][]byte{der}, key)
}

// encodeBundle is the chain then the key in one file: nginx reads both from it, so one rename
// swaps certificate and key together.
func encodeBundle(chain [][]byte, key crypto.Signer) ([]byte, error) {
	var out []byte
	for _, der := range chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...), nil
}

// ensureServed is `bluegreen-acme ensure-served`, run by the deploy after its proxy switch: 0 when
// nginx presents the issued certificate (reloading it first if needed), 2 before the first
// issuance, 1 when it cannot be served.
func (a *agent) ensureServed() int {
	st := a.status()
	if st.State != "issued" {
		log.Printf("no certificate issued yet (%s)", st.State)
		return 2
	}
	cert, err := a.current()
	if err != nil {
		log.Print(err)
		return 1
	}
	if served(a.s.domains[0], cert) {
		a.update(func(st *Status) { st.Served = true })
		return 0
	}
	if err := a.install(true); err != nil {
		log.Print(err)
		return 1
	}
	return 0
}
