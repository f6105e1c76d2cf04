package nodeimage

import (
	"bufio"
	"fmt"
	"path"
	"strings"
)

// symlink is a link to create in the node's rootfs (absolute paths).
type symlink struct{ Path, Target string }

// enableLinks returns the links `systemctl enable` would create for a unit
// in /etc/systemd/system: one per WantedBy= and RequiredBy= target. Done
// here rather than by systemctl in a chroot so the result is a plain
// function of the unit file.
func enableLinks(unit, content string) ([]symlink, error) {
	var links []symlink
	inInstall := false
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inInstall = line == "[Install]"
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !inInstall || !ok {
			continue
		}
		suffix := map[string]string{"WantedBy": ".wants", "RequiredBy": ".requires"}[strings.TrimSpace(key)]
		if suffix == "" {
			continue
		}
		for _, target := range strings.Fields(val) {
			links = append(links, symlink{
				Path:   path.Join("/etc/systemd/system", target+suffix, unit),
				Target: path.Join("/etc/systemd/system", unit),
			})
		}
	}
	if len(links) == 0 {
		return nil, fmt.Errorf("unit %s has no WantedBy= or RequiredBy= to enable it by", unit)
	}
	return links, nil
}

// maskLink is what `systemctl mask` creates.
func maskLink(unit string) symlink {
	return symlink{Path: path.Join("/etc/systemd/system", unit), Target: "/dev/null"}
}

// kindSystemdRemovals are the unit links kind's Dockerfile deletes from
// the base image: services a container must not run (udev, tmpfiles
// setup at boot, getty and the like), all enabled by Debian's packages.
// Globs, relative to the rootfs.
var kindSystemdRemovals = []string{
	"lib/systemd/system/sysinit.target.wants/systemd-tmpfiles-setup.service",
	"lib/systemd/system/multi-user.target.wants/*",
	"etc/systemd/system/*.wants/*",
	"lib/systemd/system/local-fs.target.wants/*",
	"lib/systemd/system/sockets.target.wants/*udev*",
	"lib/systemd/system/sockets.target.wants/*initctl*",
	"lib/systemd/system/basic.target.wants/*",
}

// kindEnabledUnits and kindMaskedUnits are what kind's Dockerfile enables
// and masks after that clean-up.
var (
	kindEnabledUnits = []string{"kubelet.service", "containerd.service", "undo-mount-hacks.service"}
	kindMaskedUnits  = []string{"systemd-binfmt.service"}
)
