// Package browsertest starts the headless Chromium that the browser tests
// of web and cmd/roster drive, and keeps their screenshots.
//
// Chromium is ROSTER_TEST_CHROMIUM, else /usr/bin/chromium; without one a
// test skips, except in CI (CI=true), where it fails. Screenshots go to
// artifacts/screenshots/ under the repository root.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns the Chromium to drive, or skips the test (fails it in CI).
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ROSTER_TEST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("ROSTER_TEST_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	const def = "/usr/bin/chromium"
	if _, err := os.Stat(def); err == nil {
		return def
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium: ROSTER_TEST_CHROMIUM is unset and %s does not exist (CI=true makes this a failure; `make test` installs it)", def)
	}
	t.Skipf("no Chromium: set ROSTER_TEST_CHROMIUM or install %s (`make test` does)", def)
	return ""
}

// Tab starts a headless Chromium with a fresh profile and a window of
// width × height, and returns its first tab. The context has no deadline
// (the first action binds the browser's life to it); the browser stops
// when the test ends, and its output is logged if the test failed.
func Tab(t testing.TB, width, height int) context.Context {
	t.Helper()
	path := Path(t)
	output := &syncBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the suite runs as root
		chromedp.DisableGPU,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		// The machine has no internet: without these Chromium keeps
		// trying to reach Google's hosts.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(output),
	)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to end
		if t.Failed() {
			// Without a D-Bus, Chromium logs errors about it: noise.
			var lines []string
			for _, l := range strings.Split(output.String(), "\n") {
				if !strings.Contains(l, "dbus/") {
					lines = append(lines, l)
				}
			}
			t.Logf("Chromium output (without D-Bus errors):\n%s", strings.Join(lines, "\n"))
		}
	})
	// The first Do starts the browser and binds its life to the context
	// it gets, so it gets one without a deadline; the wait is bounded
	// here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tab) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium %s: %v\noutput:\n%s", path, err, output)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("start Chromium %s: no tab after 90s\noutput:\n%s", path, output)
	}
	return tab
}

// Dir is artifacts/screenshots under the repository root, created if
// needed.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "artifacts", "screenshots")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// Snap saves a screenshot of the page in ctx as NAME.png in Dir. The
// screenshots are decorative: one that cannot be taken (a page laid out
// with 0 width for a moment while it reloads itself) is logged after a
// few tries and never fails the test.
func Snap(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if _, err := snap(t, ctx, name); err != nil {
		t.Logf("screenshot %s not taken: %v", name, err)
	}
}

func snap(t testing.TB, ctx context.Context, name string) (string, error) {
	p := filepath.Join(Dir(t), name+".png")
	var err error
	for try := 0; try < 5; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
		var buf []byte
		if buf, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			if err = os.WriteFile(p, buf, 0o644); err == nil {
				return p, nil
			}
		}
	}
	return "", err
}

// OnFailure registers a cleanup that, if the test failed, saves a
// screenshot of the page in tab as failed-TESTNAME.png and logs its
// address. Register it after the cleanups that must still find the page
// open (cleanups run last-registered first).
func OnFailure(t testing.TB, tab context.Context) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		name := "failed-" + regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
		if p, err := snap(t, ctx, name); err == nil {
			t.Logf("screenshot of the page at the failure: %s", p)
		}
		if u, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			t.Logf("page at the failure: %s", u)
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
