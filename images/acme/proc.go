package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var netDialer = net.Dialer{Timeout: 2 * time.Second}

// nginxMaster finds nginx's master process in the PID namespace shared with the proxy container.
func nginxMaster() (string, error) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err == nil && strings.HasPrefix(string(cmdline), "nginx: master process") {
			return filepath.Base(dir), nil
		}
	}
	return "", fail("no nginx master process in this PID namespace (the agent must share the proxy container's: --pid container:<proxy>)")
}

// signal reloads nginx: SIGHUP to its master, which starts new workers with the new certificate
// while the old ones finish their requests.
func signal(pid string) error {
	n, err := strconv.Atoi(pid)
	if err != nil {
		return err
	}
	if err := syscall.Kill(n, syscall.SIGHUP); err != nil {
		return fail("cannot reload nginx (pid %d): %v", n, err)
	}
	return nil
}
