package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func lookup(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(lookup(nil))
	if err != nil {
		t.Fatalf("Load(empty env) = %v", err)
	}
	if c.Port != 8080 || c.ShutdownTimeout != 20*time.Second || c.MemoryThreshold != 0.9 ||
		c.MaxCPUDuration != 5*time.Second || c.DataDir != "/tmp" || c.ConfigDir != "/app/config" ||
		c.CgroupRoot != "/sys/fs/cgroup" || c.LeaseName != "web-app-leader" || c.LeaderElection {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(lookup(map[string]string{
		"PORT": "9090", "SHUTDOWN_TIMEOUT": "7s", "MEMORY_THRESHOLD": "0.5", "MAX_CPU_DURATION": "250ms",
		"DATABASE_URL": "postgres://u:p@db:5432/app", "ENABLE_LEADER_ELECTION": "true",
		"POD_NAME": "web-1", "POD_NAMESPACE": "parallel-poc", "APP_VERSION": "v2.0",
	}))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if c.Port != 9090 || c.ShutdownTimeout != 7*time.Second || c.MemoryThreshold != 0.5 ||
		c.MaxCPUDuration != 250*time.Millisecond || !c.LeaderElection || c.PodName != "web-1" || c.Version != "v2.0" {
		t.Errorf("unexpected config: %+v", c)
	}
}

func TestLoadErrorsNameVariableAndValue(t *testing.T) {
	cases := []struct{ name, value string }{
		{"PORT", "abc"}, {"PORT", "0"}, {"PORT", "65536"}, {"PORT", "80.5"},
		{"SHUTDOWN_TIMEOUT", "abc"}, {"SHUTDOWN_TIMEOUT", "20"}, {"SHUTDOWN_TIMEOUT", "-1s"},
		{"MEMORY_THRESHOLD", "abc"}, {"MEMORY_THRESHOLD", "0"}, {"MEMORY_THRESHOLD", "1.5"},
		{"MAX_CPU_DURATION", "5"}, {"ENABLE_LEADER_ELECTION", "yes please"}, {"LOG_LEVEL", "loud"},
		{"DATA_DIR_LIMIT_MB", "64Mi"}, {"DATA_DIR_LIMIT_MB", "-1"},
		{"DATA_DIR_LIMIT_MB", "10"}, // not above the default 10 MiB margin
	}
	for _, tc := range cases {
		_, err := Load(lookup(map[string]string{tc.name: tc.value}))
		var ve *VarError
		if !errors.As(err, &ve) {
			t.Errorf("%s=%q: got %v, want a *VarError", tc.name, tc.value, err)
			continue
		}
		if ve.Name != tc.name || !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.value) {
			t.Errorf("%s=%q: error %q does not name the variable and value", tc.name, tc.value, err)
		}
	}
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	_, err := Load(lookup(map[string]string{"PORT": "x", "SHUTDOWN_TIMEOUT": "y"}))
	if err == nil || !strings.Contains(err.Error(), "PORT") || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT") {
		t.Fatalf("want both variables named, got %v", err)
	}
}

func TestDatabaseURLIsRedacted(t *testing.T) {
	_, err := Load(lookup(map[string]string{"DATABASE_URL": "mysql://user:s3cret@db/app"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("want a DATABASE_URL error, got %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
	if _, err := Load(lookup(map[string]string{"DATABASE_URL": "postgres:///nohost"})); err == nil {
		t.Error("a URL without host was accepted")
	}
}

func TestLeaderElectionNeedsPodIdentity(t *testing.T) {
	_, err := Load(lookup(map[string]string{"ENABLE_LEADER_ELECTION": "true"}))
	if err == nil || !strings.Contains(err.Error(), "POD_NAMESPACE") || !strings.Contains(err.Error(), "POD_NAME") {
		t.Fatalf("want POD_NAME and POD_NAMESPACE required, got %v", err)
	}
}

func TestLoadCanary(t *testing.T) {
	c, err := LoadCanary(lookup(nil))
	if err != nil || c.Target != DefaultCanaryTarget || c.Interval != 10*time.Second || c.Timeout != 2*time.Second {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	if c, err := LoadCanary(lookup(map[string]string{"CANARY_INTERVAL": "1s"})); err != nil || c.Timeout != 500*time.Millisecond {
		t.Errorf("short interval should shorten the default timeout: %+v, %v", c, err)
	}
	for _, m := range []map[string]string{
		{"CANARY_TARGET": "ftp://x/"}, {"CANARY_TARGET": "/health"},
		{"CANARY_INTERVAL": "1s", "CANARY_TIMEOUT": "2s"}, {"CANARY_INTERVAL": "often"},
	} {
		if _, err := LoadCanary(lookup(m)); err == nil {
			t.Errorf("LoadCanary(%v) accepted a bad setting", m)
		}
	}
}

func TestDatabaseURLFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(path, []byte("postgres://u:p@db:5432/app\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(lookup(map[string]string{"DATABASE_URL_FILE": path}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u:p@db:5432/app" {
		t.Errorf("DatabaseURL = %q, want the file's content without the newline", c.DatabaseURL)
	}
}

func TestDatabaseURLFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent")
	for name, env := range map[string]map[string]string{
		"unreadable": {"DATABASE_URL_FILE": missing},
		"both set":   {"DATABASE_URL_FILE": missing, "DATABASE_URL": "postgres://u:p@db/app"},
	} {
		_, err := Load(lookup(env))
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE") {
			t.Errorf("%s: want an error naming DATABASE_URL_FILE, got %v", name, err)
		}
	}
}

func TestDataDirLimit(t *testing.T) {
	c, err := Load(lookup(map[string]string{"DATA_DIR_LIMIT_MB": "64", "MIN_FREE_DISK_MB": "16"}))
	if err != nil || c.DataDirLimitMB != 64 || c.MinFreeDiskMB != 16 {
		t.Fatalf("DATA_DIR_LIMIT_MB=64: %+v, %v", c, err)
	}
	if c, _ := Load(lookup(nil)); c.DataDirLimitMB != 0 {
		t.Errorf("default limit %d, want 0 (none)", c.DataDirLimitMB)
	}
	_, err = Load(lookup(map[string]string{"DATA_DIR_LIMIT_MB": "16", "MIN_FREE_DISK_MB": "16"}))
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR_LIMIT_MB") || !strings.Contains(err.Error(), "MIN_FREE_DISK_MB") {
		t.Errorf("limit equal to the margin: want an error naming both, got %v", err)
	}
}
