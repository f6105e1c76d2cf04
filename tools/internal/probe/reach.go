package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	utilexec "k8s.io/client-go/util/exec"
)

// Outcome kinds of one connection attempt (Attempt.Kind). A NetworkPolicy denial shows
// as a timeout where the engine drops, or as a refusal where it rejects
// (kube-router: REJECT --reject-with icmp-port-unreachable).
const (
	ReachOK         = "ok"
	ReachTimeout    = "timeout"
	ReachRefused    = "refused"
	ReachDNSFailure = "dns failure"
	ReachError      = "error"
)

// Attempt is what one client saw when it tried to connect.
type Attempt struct {
	Kind    string
	Elapsed time.Duration
	Body    string // HTTP body on success
	Detail  string // the error, when it failed
}

// String is the outcome and how long it took, with busybox's reason for
// a DNS failure or an error.
func (a Attempt) String() string {
	s := fmt.Sprintf("%s in %d ms", a.Kind, a.Elapsed.Milliseconds())
	if a.Kind == ReachDNSFailure || a.Kind == ReachError {
		s += " (" + lastLine(a.Detail) + ")"
	}
	return s
}

// lastLine is the last non-empty line of s, where busybox says why.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// classify names how an attempt bounded by limit ended. Only a
// command that ran and exited non-zero says something about the network:
// an exec that failed on its way (API server, kubelet) is an error, even
// when its own message says "refused". The busybox timeout applet kills
// the command with SIGTERM (exit 143), so a timeout is that exit status
// or having used up the whole limit.
func classify(err error, elapsed, limit time.Duration) string {
	if err == nil {
		return ReachOK
	}
	var exit utilexec.ExitError
	if !errors.As(err, &exit) {
		return ReachError
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "bad address"), strings.Contains(msg, "can't resolve"),
		strings.Contains(msg, "no such host"):
		return ReachDNSFailure
	case strings.Contains(msg, "refused"):
		return ReachRefused
	case exit.ExitStatus() == 143, exit.ExitStatus() == 124, elapsed >= limit-250*time.Millisecond:
		return ReachTimeout
	}
	return ReachError
}

// TryGet is HTTPGet with its outcome classified and timed.
func (e *Env) TryGet(ctx context.Context, ns, pod, container, url string, seconds int) Attempt {
	start := time.Now()
	body, err := e.HTTPGet(ctx, ns, pod, container, url, seconds)
	return newAttempt(err, time.Since(start), seconds, body)
}

// TryConnect is TCPConnect with its outcome classified and timed.
func (e *Env) TryConnect(ctx context.Context, ns, pod, container, host string, port, seconds int) Attempt {
	start := time.Now()
	err := e.TCPConnect(ctx, ns, pod, container, host, port, seconds)
	return newAttempt(err, time.Since(start), seconds, "")
}

func newAttempt(err error, elapsed time.Duration, seconds int, body string) Attempt {
	a := Attempt{Kind: classify(err, elapsed, time.Duration(seconds)*time.Second), Elapsed: elapsed, Body: body}
	if err != nil {
		a.Detail = err.Error()
	}
	return a
}

// parseNslookup returns the addresses busybox nslookup printed for name
// (the lines after "Name: <name>"), skipping the server's own address.
func parseNslookup(out string) []string {
	var addrs []string
	inAnswer := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Name:"):
			inAnswer = true
		case inAnswer && strings.HasPrefix(line, "Address:"):
			if f := strings.Fields(strings.TrimPrefix(line, "Address:")); len(f) > 0 {
				addrs = append(addrs, f[0])
			}
		case inAnswer && strings.HasPrefix(line, "Address "):
			// Older busybox prints "Address 1: <ip> <name>".
			if f := strings.Fields(line); len(f) >= 3 {
				addrs = append(addrs, f[2])
			}
		}
	}
	return addrs
}

// LookupA resolves name (A records) from inside a busybox container.
func (e *Env) LookupA(ctx context.Context, ns, pod, container, name string) ([]string, error) {
	out, errOut, err := e.Exec(ctx, ns, pod, container, Busybox, "timeout", "10", Busybox, "nslookup", "-type=a", name)
	addrs := parseNslookup(out)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("nslookup %s from %s: %v: %s %s", name, pod, err, strings.TrimSpace(out), strings.TrimSpace(errOut))
	}
	return addrs, nil
}
