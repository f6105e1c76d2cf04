package kindlb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Options say where the files are and how often to look at them.
type Options struct {
	Bootstrap string        // envoy.yaml, as kind passes it to `envoy -c`
	HAProxy   string        // the haproxy binary
	Config    string        // where the rendered haproxy.cfg goes
	Poll      time.Duration // how often the LDS/CDS files are read
	Out       io.Writer     // status lines (haproxy logs to the same stdout)
}

// Supervise follows kind's files and keeps haproxy serving them until
// ctx ends (then it stops haproxy and returns nil) or haproxy dies (an
// error: kind's loop starts the container's proxy again).
//
// kind replaces each file by rename, so a read sees a whole file; the
// files are compared by content because kind may rewrite them unchanged.
// A file that does not parse, or a configuration haproxy refuses, is
// reported and the running configuration kept: a bad write must not take
// the API servers away.
func Supervise(ctx context.Context, o Options) error {
	data, err := os.ReadFile(o.Bootstrap)
	if err != nil {
		return fmt.Errorf("failed to read the bootstrap file: %w", err)
	}
	boot, err := ParseBootstrap(o.Bootstrap, data)
	if err != nil {
		return err
	}
	s := &supervisor{o: o, boot: boot}
	defer s.stop()
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		s.apply(ctx)
		select {
		case <-ctx.Done():
			return nil
		case err := <-s.exited:
			s.proc = nil // nothing left to stop
			if err == nil {
				err = errors.New("exit status 0")
			}
			return fmt.Errorf("haproxy exited: %w", err)
		case <-tick.C:
		}
	}
}

type supervisor struct {
	o       Options
	boot    Bootstrap
	applied []byte // the LDS and CDS bytes of the running configuration
	failed  []byte // the last bytes that failed, reported once
	proc    *os.Process
	exited  chan error
}

// apply renders the files when they changed and starts or reloads
// haproxy with the result.
func (s *supervisor) apply(ctx context.Context) {
	lds, errL := os.ReadFile(s.boot.LDSPath)
	cds, errC := os.ReadFile(s.boot.CDSPath)
	if err := errors.Join(errL, errC); err != nil {
		s.report(nil, fmt.Errorf("failed to read the dynamic configuration: %w", err))
		return
	}
	both := append(append(append([]byte{}, lds...), 0), cds...)
	if bytes.Equal(both, s.applied) || bytes.Equal(both, s.failed) {
		return
	}
	cfg, listeners, err := s.render(lds, cds)
	if err != nil {
		s.report(both, err)
		return
	}
	if listeners == 0 {
		// kind seeds both files with `resources: []` and writes the real
		// ones once the control planes exist: nothing to listen on yet.
		s.applied = both
		fmt.Fprintln(s.o.Out, "kindlb: no listener in", s.boot.LDSPath, "yet; waiting")
		return
	}
	if err := s.install(ctx, cfg); err != nil {
		s.report(both, err)
		return
	}
	s.applied, s.failed = both, nil
}

func (s *supervisor) render(lds, cds []byte) (string, int, error) {
	ls, err := ParseLDS(s.boot.LDSPath, lds)
	if err != nil {
		return "", 0, err
	}
	cs, err := ParseCDS(s.boot.CDSPath, cds)
	if err != nil {
		return "", 0, err
	}
	cfg, err := HAProxyConfig(ls, cs)
	if err != nil {
		return "", 0, fmt.Errorf("%s and %s: %w", s.boot.LDSPath, s.boot.CDSPath, err)
	}
	return cfg, len(ls), nil
}

// install validates the configuration with haproxy itself, puts it in
// place by rename and starts haproxy or asks its master to reload (the
// old worker finishes its connections, the new one takes new ones).
func (s *supervisor) install(ctx context.Context, cfg string) error {
	tmp := s.o.Config + ".new"
	if err := os.WriteFile(tmp, []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", tmp, err)
	}
	if out, err := exec.CommandContext(ctx, s.o.HAProxy, "-c", "-q", "-f", tmp).CombinedOutput(); err != nil {
		return fmt.Errorf("haproxy refuses the rendered configuration %s: %w\n%s", tmp, err, out)
	}
	if err := os.Rename(tmp, s.o.Config); err != nil {
		return fmt.Errorf("failed to install %s: %w", s.o.Config, err)
	}
	if s.proc != nil {
		fmt.Fprintln(s.o.Out, "kindlb: configuration changed; reloading haproxy")
		return s.proc.Signal(syscall.SIGUSR2)
	}
	// -W: master-worker, so SIGUSR2 reloads; -db: stay in the foreground.
	cmd := exec.Command(s.o.HAProxy, "-W", "-db", "-f", s.o.Config)
	cmd.Stdout, cmd.Stderr = s.o.Out, s.o.Out
	cmd.Dir = filepath.Dir(s.o.Config)
	// Should this process be killed, haproxy must not outlive it holding
	// the port: kind's loop starts a new one, whose haproxy would then
	// fail to bind and leave the old configuration serving.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start haproxy: %w", err)
	}
	fmt.Fprintln(s.o.Out, "kindlb: haproxy started with", s.o.Config)
	s.proc, s.exited = cmd.Process, make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	return nil
}

// report prints a failure once per content, so a bad file is not
// repeated every poll.
func (s *supervisor) report(content []byte, err error) {
	if content != nil && bytes.Equal(content, s.failed) {
		return
	}
	s.failed = content
	state := "nothing served yet"
	if s.proc != nil {
		state = "keeping the running configuration"
	}
	fmt.Fprintf(s.o.Out, "kindlb: %v (%s)\n", err, state)
}

// stop ends haproxy: SIGUSR1 lets the workers finish, then SIGKILL.
func (s *supervisor) stop() {
	if s.proc == nil {
		return
	}
	_ = s.proc.Signal(syscall.SIGUSR1)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.proc.Kill()
		<-s.exited
	}
}
