package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary double as the real program, so the signal
// test below can send a real SIGTERM to a real process.
func TestMain(m *testing.M) {
	if os.Getenv("WEBAPP_TEST_CHILD") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestBadSettingsFailFast(t *testing.T) {
	cases := []struct {
		args      []string
		name, val string
	}{
		{nil, "PORT", "abc"}, {nil, "PORT", "70000"}, {nil, "SHUTDOWN_TIMEOUT", "abc"},
		{nil, "MEMORY_THRESHOLD", "2"}, {nil, "DATA_DIR_LIMIT_MB", "64Mi"}, {[]string{"canary"}, "CANARY_INTERVAL", "soon"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, env(map[string]string{tc.name: tc.val}), &out, &errb)
		if code != 2 {
			t.Errorf("%s=%s: exit %d, want 2", tc.name, tc.val, code)
		}
		for _, s := range []string{out.String(), errb.String()} {
			if !strings.Contains(s, tc.name) || !strings.Contains(s, tc.val) {
				t.Errorf("%s=%s: output does not name variable and value: %q", tc.name, tc.val, s)
			}
		}
	}
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, env(nil), io.Discard, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Errorf("unknown mode: exit %d, stderr %q", code, errb.String())
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSIGTERMDrainsThenExitsZero also runs the child with its database
// down (nothing listens on the port): the pod must still become ready.
func TestSIGTERMDrainsThenExitsZero(t *testing.T) {
	port, dbPort := freePort(t), freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(os.Args[0])
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), "WEBAPP_TEST_CHILD=1", "PORT="+strconv.Itoa(port),
		"SHUTDOWN_DELAY=500ms", "SHUTDOWN_TIMEOUT=5s", "CONFIG_DIR="+t.TempDir(),
		"DATABASE_URL=postgres://app:pw@127.0.0.1:"+strconv.Itoa(dbPort)+"/app?sslmode=disable", "DB_CHECK_TIMEOUT=200ms")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	fetch := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status := func(path string) int { code, _ := fetch(path); return code }
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, body := fetch("/ready")
		if code == 200 && strings.Contains(body, `"postgres":{"status":"down"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child never became ready with its database reported down (last %d %s); logs:\n%s", code, body, logs.String())
		}
	}
	if code := status("/visits"); code != 503 {
		t.Errorf("/visits with the database down = %d, want 503", code)
	}

	slow := make(chan int, 1)
	go func() { slow <- status("/cpu-intensive?duration=700") }()
	time.Sleep(100 * time.Millisecond) // let the slow request reach the handler
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Readiness must turn 503 while the listener still answers (the delay).
	got := 200
	for deadline := time.Now().Add(400 * time.Millisecond); got == 200 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		got = status("/ready")
	}
	if got != 503 {
		t.Errorf("/ready after SIGTERM = %d, want 503 from the still-open listener", got)
	}
	if got := <-slow; got != 200 {
		t.Errorf("in-flight request finished with %d, want 200", got)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child exit: %v; logs:\n%s", err, logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("child did not exit after drain; logs:\n%s", logs.String())
	}
	if status("/ready") != 0 {
		t.Error("something still answers after exit")
	}
	for _, want := range []string{`"msg":"shutdown started"`, `"msg":"drained"`, `"msg":"exited cleanly"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}
