package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	utilexec "k8s.io/client-go/util/exec"
)

// Outcome kinds of one connection attempt. A NetworkPolicy denial shows
// as a timeout where the engine drops, or as a refusal where it rejects
// (kube-router: REJECT --reject-with icmp-port-unreachable).
const (
	h1OK         = "ok"
	h1Timeout    = "timeout"
	h1Refused    = "refused"
	h1DNSFailure = "dns failure"
	h1Error      = "error"
)

// h1Attempt is what one client saw when it tried to connect.
type h1Attempt struct {
	Kind    string
	Elapsed time.Duration
	Body    string // HTTP body on success
	Detail  string // the error, when it failed
}

func (a h1Attempt) String() string {
	s := fmt.Sprintf("%s in %d ms", a.Kind, a.Elapsed.Milliseconds())
	if a.Kind == h1DNSFailure || a.Kind == h1Error {
		s += " (" + h1LastLine(a.Detail) + ")"
	}
	return s
}

// h1LastLine is the last non-empty line of s, where busybox says why.
func h1LastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// h1Classify names how an attempt bounded by limit ended. Only a
// command that ran and exited non-zero says something about the network:
// an exec that failed on its way (API server, kubelet) is an error, even
// when its own message says "refused". The busybox timeout applet kills
// the command with SIGTERM (exit 143), so a timeout is that exit status
// or having used up the whole limit.
func h1Classify(err error, elapsed, limit time.Duration) string {
	if err == nil {
		return h1OK
	}
	var exit utilexec.ExitError
	if !errors.As(err, &exit) {
		return h1Error
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "bad address"), strings.Contains(msg, "can't resolve"),
		strings.Contains(msg, "no such host"):
		return h1DNSFailure
	case strings.Contains(msg, "refused"):
		return h1Refused
	case exit.ExitStatus() == 143, exit.ExitStatus() == 124, elapsed >= limit-250*time.Millisecond:
		return h1Timeout
	}
	return h1Error
}

// h1Get is HTTPGet with its outcome classified and timed.
func (e *Env) h1Get(ctx context.Context, ns, pod, container, url string, seconds int) h1Attempt {
	start := time.Now()
	body, err := e.HTTPGet(ctx, ns, pod, container, url, seconds)
	return h1NewAttempt(err, time.Since(start), seconds, body)
}

// h1Connect is TCPConnect with its outcome classified and timed.
func (e *Env) h1Connect(ctx context.Context, ns, pod, container, host string, port, seconds int) h1Attempt {
	start := time.Now()
	err := e.TCPConnect(ctx, ns, pod, container, host, port, seconds)
	return h1NewAttempt(err, time.Since(start), seconds, "")
}

func h1NewAttempt(err error, elapsed time.Duration, seconds int, body string) h1Attempt {
	a := h1Attempt{Kind: h1Classify(err, elapsed, time.Duration(seconds)*time.Second), Elapsed: elapsed, Body: body}
	if err != nil {
		a.Detail = err.Error()
	}
	return a
}

// h1ParseNslookup returns the addresses busybox nslookup printed for name
// (the lines after "Name: <name>"), skipping the server's own address.
func h1ParseNslookup(out string) []string {
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

// h1LookupA resolves name (A records) from inside a busybox container.
func (e *Env) h1LookupA(ctx context.Context, ns, pod, container, name string) ([]string, error) {
	out, errOut, err := e.Exec(ctx, ns, pod, container, Busybox, "timeout", "10", Busybox, "nslookup", "-type=a", name)
	addrs := h1ParseNslookup(out)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("nslookup %s from %s: %v: %s %s", name, pod, err, strings.TrimSpace(out), strings.TrimSpace(errOut))
	}
	return addrs, nil
}
