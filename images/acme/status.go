package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Status is what `bluegreen-acme status` prints and the deploy's gates read.
type Status struct {
	// State: "placeholder" (self-signed, until the first issuance), "issued".
	State     string   `json:"state"`
	Subject   string   `json:"subject,omitempty"`
	Issuer    string   `json:"issuer,omitempty"`
	Serial    string   `json:"serial,omitempty"`
	NotBefore string   `json:"notBefore,omitempty"`
	NotAfter  string   `json:"notAfter,omitempty"`
	RenewAt   string   `json:"renewAt,omitempty"`
	Domains   []string `json:"domains,omitempty"`
	// InNginx: the bundle is in nginx's filesystem, so a config that reads it loads.
	InNginx bool `json:"inNginx"`
	// Served: nginx was reloaded with this certificate and presented it on a fresh connection.
	Served      bool   `json:"served"`
	Renewals    int    `json:"renewals"`
	LastError   string `json:"lastError,omitempty"`
	LastErrorAt string `json:"lastErrorAt,omitempty"`
	UpdatedAt   string `json:"updatedAt"`
}

var statusMu sync.Mutex

func statusPath(dir string) string { return filepath.Join(dir, "status.json") }

func readStatus(dir string) Status {
	var st Status
	if data, err := os.ReadFile(statusPath(dir)); err == nil {
		_ = json.Unmarshal(data, &st)
	}
	return st
}

func writeStatus(dir string, st Status) {
	st.UpdatedAt = time.Now().UTC().Format(time.RFC3339)
	data, _ := json.MarshalIndent(st, "", "  ")
	_ = writeAtomic(statusPath(dir), data, 0o644)
}

func (a *agent) status() Status {
	statusMu.Lock()
	defer statusMu.Unlock()
	return readStatus(a.s.stateDir)
}

func (a *agent) update(change func(*Status)) {
	statusMu.Lock()
	defer statusMu.Unlock()
	st := readStatus(a.s.stateDir)
	change(&st)
	writeStatus(a.s.stateDir, st)
}

func (a *agent) recordError(err error) {
	a.update(func(st *Status) {
		st.LastError = err.Error()
		st.LastErrorAt = time.Now().UTC().Format(time.RFC3339)
	})
}

func printStatus(dir string) {
	data, err := os.ReadFile(statusPath(dir))
	if err != nil {
		fmt.Println(`{"state":"starting"}`)
		return
	}
	fmt.Println(string(data))
}

// writeAtomic writes a file beside its final name and renames it into place.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".part"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
