package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks deploy/roster.service with systemd's own
// verifier when the machine has it: no unknown key, no bad value, and the
// command it starts is `roster serve`.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "roster.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/usr/local/bin/roster serve\n") {
		t.Fatalf("the unit does not start /usr/local/bin/roster serve")
	}
	verify, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze on this machine")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The verifier checks that ExecStart's program exists.
	path := filepath.Join(t.TempDir(), "roster.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/roster", self)), 0o644)
	out, err := exec.Command(verify, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
