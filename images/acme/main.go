// bluegreen-acme obtains and renews the proxy's certificate over ACME (RFC 8555, HTTP-01). It runs
// beside nginx, sharing the proxy container's network and PID namespaces: nginx proxies
// /.well-known/acme-challenge/ to it on 127.0.0.1, and it installs each certificate into nginx's
// filesystem (/proc/<master>/root) and reloads nginx with SIGHUP. Its state (account key,
// certificate, status) lives in /acme, a volume, so a new agent container keeps them.
//
// `bluegreen-acme status` prints the status as JSON (the image has no shell for docker exec).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"
)

type settings struct {
	directory  string
	email      string
	domains    []string
	caPEM      string
	stateDir   string
	listen     string
	target     string
	checkEvery time.Duration
	retryEvery time.Duration
}

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func seconds(key string, fallback int) time.Duration {
	n, err := strconv.Atoi(env(key, strconv.Itoa(fallback)))
	if err != nil || n < 1 {
		log.Fatalf("%s must be a positive number of seconds", key)
	}
	return time.Duration(n) * time.Second
}

func load() settings {
	s := settings{
		directory:  env("ACME_DIRECTORY", "https://acme-v02.api.letsencrypt.org/directory"),
		email:      os.Getenv("ACME_EMAIL"),
		caPEM:      os.Getenv("ACME_DIRECTORY_CA"),
		stateDir:   env("ACME_STATE", "/acme"),
		listen:     env("ACME_LISTEN", "127.0.0.1:8402"),
		target:     env("ACME_TARGET", "/etc/nginx/bluegreen-acme"),
		checkEvery: seconds("ACME_CHECK_SECONDS", 3600),
		retryEvery: seconds("ACME_RETRY_SECONDS", 300),
	}
	for _, d := range strings.Split(os.Getenv("ACME_DOMAINS"), ",") {
		if d = strings.TrimSpace(d); d != "" {
			s.domains = append(s.domains, d)
		}
	}
	if len(s.domains) == 0 || s.email == "" {
		log.Fatal("ACME_DOMAINS and ACME_EMAIL must be set")
	}
	return s
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("bluegreen-acme: ")
	s := load()
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "status":
			printStatus(s.stateDir)
			return
		case "ensure-served":
			os.Exit(newAgent(s).ensureServed())
		default:
			log.Fatalf("usage: bluegreen-acme [status | ensure-served]")
		}
	}
	a := newAgent(s)
	go a.serveChallenges()
	a.run(context.Background())
}

// run keeps a certificate installed: a placeholder at once (so nginx can load its config), then a
// real one, renewed when due. A failure is logged and recorded; the installed certificate stays.
func (a *agent) run(ctx context.Context) {
	a.installCurrent()
	retry := 5 * time.Second
	for first := true; ; first = false {
		wait := a.s.checkEvery
		// A certificate obtained but not yet served (its install failed): install it again. Not at
		// start: the deploy's gate does that once nginx's config reads the bundle.
		if st := a.status(); !first && st.State == "issued" && !st.Served {
			if err := a.install(true); err != nil {
				a.recordError(err)
			}
		}
		if due, why := a.due(time.Now()); due {
			log.Printf("requesting a certificate for %s from %s (%s)", strings.Join(a.s.domains, ","), a.s.directory, why)
			if err := a.renew(ctx); err != nil {
				log.Printf("certificate request failed, the installed certificate keeps serving; next try in %s: %v", retry, err)
				a.recordError(err)
				wait, retry = retry, min(2*retry, a.s.retryEvery)
			} else {
				retry = 5 * time.Second
			}
		}
		if next := a.nextCheck(time.Now()); next < wait {
			wait = next
		}
		time.Sleep(wait)
	}
}

func (a *agent) nextCheck(now time.Time) time.Duration {
	st := a.status()
	if st.RenewAt == "" {
		return a.s.checkEvery
	}
	at, err := time.Parse(time.RFC3339, st.RenewAt)
	if err != nil || !at.After(now) {
		return time.Second
	}
	return at.Sub(now) + time.Second
}

func fail(format string, args ...any) error { return fmt.Errorf(format, args...) }
