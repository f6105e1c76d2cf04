package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// wrappedNames are the commands kube-proxy runs.
var wrappedNames = []string{
	"iptables", "iptables-save", "iptables-restore",
	"ip6tables", "ip6tables-save", "ip6tables-restore",
}

func isWrapped(name string) bool { return slices.Contains(wrappedNames, name) }

// kubeletHints are chains kubelet creates in the backend it uses.
var kubeletHints = []string{"KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY"}

// saver returns the output of `<mode> iptables-save` (family "4") or
// `ip6tables-save` (family "6"), empty when it fails.
type saver func(mode, family string) string

// detectMode picks "legacy" or "nft": the backend holding kubelet's hint
// chains if any does, else the one with more rules, legacy on a tie. The
// tie rule matches kind's entrypoint, so a node with no rules yet agrees
// with its own choice.
func detectMode(save saver) string {
	dump := map[string]string{}
	for _, mode := range []string{"nft", "legacy"} {
		dump[mode] = save(mode, "4") + save(mode, "6")
	}
	return chooseMode(hasHint(dump["legacy"]), hasHint(dump["nft"]), countRules(dump["legacy"]), countRules(dump["nft"]))
}

func chooseMode(legacyHint, nftHint bool, legacyRules, nftRules int) string {
	switch {
	case nftHint:
		return "nft"
	case legacyHint:
		return "legacy"
	case legacyRules >= nftRules:
		return "legacy"
	default:
		return "nft"
	}
}

func hasHint(dump string) bool {
	for _, h := range kubeletHints {
		if strings.Contains(dump, ":"+h+" ") || strings.Contains(dump, "-N "+h) {
			return true
		}
	}
	return false
}

// countRules counts rule lines ("-A ...") in an iptables-save dump.
func countRules(dump string) int {
	n := 0
	for line := range strings.Lines(dump) {
		if strings.HasPrefix(line, "-") {
			n++
		}
	}
	return n
}

// runSave runs the real save command. nft gets a timeout: some
// iptables-nft versions loop forever on rules they do not understand.
func runSave(mode, family string) string {
	cmd := "iptables-save"
	if family == "6" {
		cmd = "ip6tables-save"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, filepath.Join(sbin, "xtables-"+mode+"-multi"), cmd)
	var out bytes.Buffer
	// Explicit streams: nil ones make os/exec open /dev/null, which a
	// bare chroot (or a minimal image) may not have.
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(""), &out, io.Discard
	if err := c.Run(); err != nil {
		return ""
	}
	return out.String()
}

// relink points every wrapped name in dir at multi, each by an atomic
// rename so a concurrent caller sees either the wrapper or the target.
func relink(dir, multi string) error {
	for _, name := range wrappedNames {
		link := filepath.Join(dir, name)
		tmp := fmt.Sprintf("%s.relink-%d", link, os.Getpid())
		os.Remove(tmp)
		if err := os.Symlink(filepath.Base(multi), tmp); err != nil {
			return fmt.Errorf("failed to relink %s: %w", name, err)
		}
		if err := os.Rename(tmp, link); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("failed to relink %s: %w", name, err)
		}
	}
	return nil
}
