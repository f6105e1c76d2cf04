package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestChooseMode(t *testing.T) {
	tests := []struct {
		name                  string
		legacyHint, nftHint   bool
		legacyRules, nftRules int
		want                  string
	}{
		{"nft hint wins", false, true, 50, 0, "nft"},
		{"legacy hint wins", true, false, 0, 50, "legacy"},
		{"both hints: kubelet moved to nft", true, true, 0, 0, "nft"},
		{"more nft rules", false, false, 2, 9, "nft"},
		{"more legacy rules", false, false, 9, 2, "legacy"},
		{"tie is legacy, as kind's entrypoint", false, false, 0, 0, "legacy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chooseMode(tt.legacyHint, tt.nftHint, tt.legacyRules, tt.nftRules); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDetectModeFromDumps(t *testing.T) {
	dumps := map[string]string{
		"nft4":    "*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n",
		"legacy4": "*filter\n-A INPUT -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n",
	}
	got := detectMode(func(mode, family string) string { return dumps[mode+family] })
	if got != "nft" {
		t.Errorf("got %s, want nft (kubelet's hint chain is there)", got)
	}
}

func TestRelink(t *testing.T) {
	dir := t.TempDir()
	for _, n := range wrappedNames {
		if err := os.Symlink("iptables-wrapper", filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := relink(dir, "/usr/sbin/xtables-nft-multi"); err != nil {
		t.Fatal(err)
	}
	for _, n := range wrappedNames {
		target, err := os.Readlink(filepath.Join(dir, n))
		if err != nil || target != "xtables-nft-multi" {
			t.Errorf("%s -> %q (%v), want xtables-nft-multi", n, target, err)
		}
	}
}
