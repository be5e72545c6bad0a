package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
)

// client talks to the ACME directory with the account key kept in state (made on first use).
func (a *agent) client() (*acme.Client, error) {
	path := filepath.Join(a.s.stateDir, "account.key")
	var key *ecdsa.PrivateKey
	if data, err := os.ReadFile(path); err == nil {
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, fail("%s is not a PEM key", path)
		}
		parsed, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = parsed
	} else {
		made, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, _ := x509.MarshalECPrivateKey(made)
		if err := writeAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, err
		}
		key = made
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if a.s.caPEM != "" {
		// A private directory (a company CA, a test server) whose TLS chains to this root.
		roots, _ := x509.SystemCertPool()
		if roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM([]byte(a.s.caPEM)) {
			return nil, fail("ACME_DIRECTORY_CA holds no PEM certificate")
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	return &acme.Client{
		Key:          key,
		DirectoryURL: a.s.directory,
		UserAgent:    "bluegreen-acme",
		HTTPClient:   &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}, nil
}

// obtain runs one ACME order for the names over HTTP-01 and returns the chain and a new key.
func (a *agent) obtain(ctx context.Context) ([]byte, error) {
	if err := a.awaitChallengeRoute(ctx); err != nil {
		return nil, err
	}
	client, err := a.client()
	if err != nil {
		return nil, err
	}
	account := &acme.Account{Contact: []string{"mailto:" + a.s.email}}
	if _, err := client.Register(ctx, account, acme.AcceptTOS); err != nil && !errors.Is(err, acme.ErrAccountAlreadyExists) {
		return nil, fail("account at %s: %v", a.s.directory, err)
	}
	order, err := client.AuthorizeOrder(ctx, acme.DomainIDs(a.s.domains...))
	if err != nil {
		return nil, fail("new order: %v", err)
	}
	for _, url := range order.AuthzURLs {
		authz, err := client.GetAuthorization(ctx, url)
		if err != nil {
			return nil, fail("authorization: %v", err)
		}
		if authz.Status == acme.StatusValid {
			continue
		}
		var challenge *acme.Challenge
		for _, c := range authz.Challenges {
			if c.Type == "http-01" {
				challenge = c
			}
		}
		if challenge == nil {
			return nil, fail("%s offers no http-01 challenge for %s", a.s.directory, authz.Identifier.Value)
		}
		answer, err := client.HTTP01ChallengeResponse(challenge.Token)
		if err != nil {
			return nil, err
		}
		a.tokens.Store(challenge.Token, answer)
		defer a.tokens.Delete(challenge.Token)
		if _, err := client.Accept(ctx, challenge); err != nil {
			return nil, fail("accept challenge for %s: %v", authz.Identifier.Value, err)
		}
		if _, err := client.WaitAuthorization(ctx, authz.URI); err != nil {
			return nil, fail("validation of %s failed: %v", authz.Identifier.Value, err)
		}
	}
	if order, err = client.WaitOrder(ctx, order.URI); err != nil {
		return nil, fail("order: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: a.s.domains[0]},
		DNSNames: a.s.domains,
	}, key)
	if err != nil {
		return nil, err
	}
	chain, _, err := client.CreateOrderCert(ctx, order.FinalizeURL, csr, true)
	if err != nil {
		return nil, fail("finalize: %v", err)
	}
	return encodeBundle(chain, key)
}

// awaitChallengeRoute waits until nginx forwards the challenge path here: the config that routes
// it is installed by the deploy's proxy switch, which may come a moment after the agent starts.
func (a *agent) awaitChallengeRoute(ctx context.Context) error {
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	token := "bluegreen-selfcheck-" + hex.EncodeToString(buf)
	a.tokens.Store(token, token)
	defer a.tokens.Delete(token)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1:80/.well-known/acme-challenge/"+token, nil)
	req.Host = a.s.domains[0]
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			if strings.TrimSpace(string(body)) == token {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fail("nginx does not forward %s to the agent (is bluegreen:tlsAcmeEmail deployed?)", "/.well-known/acme-challenge/")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
