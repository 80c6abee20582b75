package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/sqldb"
)

// TestBackupRestore takes a backup while the server runs and users are
// being created, restores it into another directory, and finds a sound
// database there with every user the backup saw; restoring over a
// database keeps the old one beside it.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	env := map[string]string{"ROSTER_DATA": data, "ROSTER_LOG_LEVEL": "error"}
	mustCLI(t, env, "", "seed", "--users", "300")
	mustCLI(t, env, "a-long-staff-password\n", "staff", "create", "--email", "owner@example.com", "--role", "owner")
	out, _ := mustCLI(t, env, "", "token", "create", "--staff", "owner@example.com", "--name", "backup-test")
	token := strings.TrimSpace(out)
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0")
	defer srv.stop(t)

	// Users are created while the backup runs.
	api := &http.Client{Timeout: 10 * time.Second}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code, body := apiCall(t, api, http.MethodPost, srv.base+"/api/v1/users", token, fmt.Sprintf(`{"email":"during-%d@example.com"}`, i))
			if code != http.StatusCreated {
				t.Errorf("create a user during the backup: %d %v", code, body)
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	backup := filepath.Join(dir, "backup.db")
	out, _ = mustCLI(t, env, "", "backup", "--out", backup)
	close(stop)
	wg.Wait()
	if !strings.Contains(out, "Backup written to "+backup) {
		t.Errorf("backup: stdout %q", out)
	}
	if _, err := sqldb.CheckBackup(context.Background(), backup); err != nil {
		t.Fatalf("the backup: %v", err)
	}
	if _, _, err := runCLI(t, env, "", "backup", "--out", backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: got %v, want a refusal", err)
	}

	restored := filepath.Join(dir, "restored")
	renv := map[string]string{"ROSTER_DATA": restored, "ROSTER_LOG_LEVEL": "error"}
	mustCLI(t, renv, "", "restore", backup)
	csv, _ := mustCLI(t, renv, "", "export", "--columns", "email")
	rows := strings.Count(csv, "\n") - 1
	during := strings.Count(csv, "during-")
	if during == 0 {
		t.Errorf("no user was created while the backup ran")
	}
	if rows != 300+during {
		t.Errorf("the restored database has %d users, want the 300 seeded and the %d created before the backup", rows, during)
	}
	if out, _ := mustCLI(t, renv, "", "staff", "list"); !strings.Contains(out, "owner@example.com") {
		t.Errorf("the restored database lacks the staff account:\n%s", out)
	}

	// Restoring again keeps the database it replaces.
	out, _ = mustCLI(t, renv, "", "restore", backup)
	kept, _ := filepath.Glob(filepath.Join(restored, "roster.db.before-restore-*"))
	if len(kept) != 1 || !strings.Contains(out, kept[0]) {
		t.Errorf("restore over a database: kept %q, stdout %q", kept, out)
	}

	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("not a database"), 0o600)
	if _, _, err := runCLI(t, map[string]string{"ROSTER_DATA": filepath.Join(dir, "other")}, "", "restore", junk); err == nil || !strings.Contains(err.Error(), "not a sound SQLite database") {
		t.Errorf("restore a file that is not a database: got %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other", "roster.db")); err == nil {
		t.Errorf("a refused restore left a database behind")
	}
	pg := map[string]string{"ROSTER_DATABASE_URL": "postgres://nowhere.invalid/roster"}
	for _, args := range [][]string{{"backup"}, {"restore", backup}} {
		if _, _, err := runCLI(t, pg, "", args...); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("roster %s on PostgreSQL: got %v, want the pg_dump advice", args[0], err)
		}
	}
}

// TestHealthcheck: healthcheck succeeds against a ready server and fails,
// saying why, when nothing listens.
func TestHealthcheck(t *testing.T) {
	env := map[string]string{"ROSTER_DATA": t.TempDir(), "ROSTER_LOG_LEVEL": "error"}
	srv := startServe(t, env, "serve", "--addr", "127.0.0.1:0")
	defer srv.stop(t)
	var out string
	for deadline := time.Now().Add(20 * time.Second); ; {
		o, _, err := runCLI(t, map[string]string{"ROSTER_ADDR": srv.addr}, "", "healthcheck")
		if err == nil {
			out = o
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthcheck against a running server: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the index is still building
	}
	if !strings.Contains(out, "ready: http://"+srv.addr+"/readyz") {
		t.Errorf("healthcheck: stdout %q", out)
	}
	srv.stop(t)
	if _, _, err := runCLI(t, nil, "", "healthcheck", "--addr", srv.addr, "--timeout", "1s"); err == nil || !strings.Contains(err.Error(), "/readyz") {
		t.Errorf("healthcheck with no server: got %v, want an error naming the address", err)
	}
}
