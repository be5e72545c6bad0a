// The sample service the demo and tests deploy: a tiny HTTP server with a version and a health
// endpoint, plus misbehaving modes that exercise the health gate and verification.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

func main() {
	version := env("VERSION", "0")
	mode := env("MODE", "healthy") // healthy | unhealthy | slow | flaky | failing
	port := env("PORT", "8080")
	if mode == "slow" {
		delay, _ := strconv.Atoi(env("SLOW_START_SECONDS", "600"))
		log.Printf("slow mode: waiting %ds before listening", delay)
		time.Sleep(time.Duration(delay) * time.Second)
	}
	// failing: healthy to its health gate, then every answer but the health check is a 500 after a
	// few seconds: the release that only real traffic shows to be bad.
	failAfter, _ := strconv.Atoi(env("FAIL_AFTER_SECONDS", "5"))
	started := time.Now()
	var probes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		n := probes.Add(1)
		switch {
		case mode == "unhealthy", mode == "flaky" && n%2 == 0:
			http.Error(w, "unhealthy\n", http.StatusInternalServerError)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // answer POST like GET, after reading the body
		if mode == "failing" && time.Since(started) >= time.Duration(failAfter)*time.Second {
			http.Error(w, fmt.Sprintf("version=%s mode=%s: internal error\n", version, mode), http.StatusInternalServerError)
			return
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil && d <= time.Minute {
			time.Sleep(d) // slow requests, to prove in-flight requests survive a switch
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "version=%s mode=%s method=%s\n", version, mode, r.Method)
	})
	log.Printf("sample version=%s mode=%s listening on :%s", version, mode, port)
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

func env(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
