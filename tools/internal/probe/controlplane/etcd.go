package controlplane

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
)

// etcd reaches the members through etcd's JSON gateway (the node image
// has no etcdctl) with the health-check client certificate, verified
// against the cluster's etcd CA. The keys are read out of a control
// plane into memory and never written to disk.
type etcd struct {
	client *http.Client
}

// pkiDir is where kubeadm keeps etcd's certificates on a control plane.
const pkiDir = "/etc/kubernetes/pki/etcd/"

func newEtcd(ctx context.Context, box nodecontainer.Container) (*etcd, error) {
	container := box.Name
	read := func(file string) ([]byte, error) {
		out, err := exec.CommandContext(ctx, box.Runtime, "exec", container, "cat", pkiDir+file).Output()
		if err != nil {
			return nil, fmt.Errorf("read %s%s from %s: %w", pkiDir, file, container, err)
		}
		return out, nil
	}
	ca, err := read("ca.crt")
	if err != nil {
		return nil, err
	}
	crt, err := read("healthcheck-client.crt")
	if err != nil {
		return nil, err
	}
	key, err := read("healthcheck-client.key")
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, fmt.Errorf("etcd client certificate of %s: %w", container, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("etcd CA of %s: no certificate in %sca.crt", container, pkiDir)
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
		// A member that was just killed must not hold a pooled connection.
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
	}
	return &etcd{client: &http.Client{Transport: tr, Timeout: 3 * time.Second}}, nil
}

// member is one etcd member as the member list reports it.
type member struct {
	ID   string `json:"ID"`
	Name string `json:"name"`
}

// status is what one member says of itself.
type status struct {
	MemberID string
	Leader   string
}

func (c *etcd) post(ctx context.Context, ip, path string, body, into any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+net.JoinHostPort(ip, "2379")+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd %s %s: %s: %s", ip, path, resp.Status, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("etcd %s %s: %w", ip, path, err)
	}
	return nil
}

// members lists the cluster's members as ip's member sees them.
func (c *etcd) members(ctx context.Context, ip string) ([]member, error) {
	var out struct {
		Members []member `json:"members"`
	}
	if err := c.post(ctx, ip, "/v3/cluster/member/list", struct{}{}, &out); err != nil {
		return nil, err
	}
	return out.Members, nil
}

// status asks the member at ip for its ID and the leader it follows.
func (c *etcd) status(ctx context.Context, ip string) (status, error) {
	var raw json.RawMessage
	if err := c.post(ctx, ip, "/v3/maintenance/status", struct{}{}, &raw); err != nil {
		return status{}, err
	}
	return parseStatus(raw)
}

// parseStatus reads the gateway's status reply: IDs are uint64 written
// as strings, the header in snake case.
func parseStatus(raw []byte) (status, error) {
	var s struct {
		Header struct {
			MemberID string `json:"member_id"`
		} `json:"header"`
		Leader string `json:"leader"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return status{}, fmt.Errorf("etcd status: %w", err)
	}
	if s.Header.MemberID == "" || s.Leader == "" || s.Leader == "0" {
		return status{}, fmt.Errorf("etcd status without a member ID or a leader: %s", raw)
	}
	return status{MemberID: s.Header.MemberID, Leader: s.Leader}, nil
}

// moveLeader asks the leader at leaderIP to hand leadership to target.
func (c *etcd) moveLeader(ctx context.Context, leaderIP, target string) error {
	var out json.RawMessage
	return c.post(ctx, leaderIP, "/v3/maintenance/transfer-leadership", map[string]string{"targetID": target}, &out)
}

// health is every member's status, by node, and the errors of those
// that did not answer.
type health struct {
	status map[string]status
	errs   map[string]error
}

func (c *etcd) health(ctx context.Context, ips map[string]string) health {
	h := health{status: map[string]status{}, errs: map[string]error{}}
	for node, ip := range ips {
		s, err := c.status(ctx, ip)
		if err != nil {
			h.errs[node] = err
			continue
		}
		h.status[node] = s
	}
	return h
}

// leader is the one leader every healthy member follows, or "" when they
// disagree or none answers.
func (h health) leader() string {
	leader := ""
	for _, s := range h.status {
		if leader != "" && s.Leader != leader {
			return ""
		}
		leader = s.Leader
	}
	return leader
}
