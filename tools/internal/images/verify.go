package images

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

// copyEntry is the file at src in the rootfs (symlinks followed) as a
// regular file at dst: for an image that keeps none of Debian's layout.
func (s *selection) copyEntry(src, dst string) (ociimage.Entry, error) {
	real, _, err := s.resolve(src)
	if err != nil {
		return ociimage.Entry{}, err
	}
	fi, err := os.Stat(s.host(real))
	if err != nil {
		return ociimage.Entry{}, err
	}
	if !fi.Mode().IsRegular() {
		return ociimage.Entry{}, fmt.Errorf("%s: not a regular file", src)
	}
	return ociimage.Entry{Path: dst, Type: tar.TypeReg, Mode: int64(fi.Mode().Perm()), Source: s.host(real)}, nil
}

// verifiers check an image's Debian files against its catalogue entry
// before the layer is written.
var verifiers = map[string]func(root string, img Image) error{
	"busybox": checkBusyboxApplets,
}

// checkBusyboxApplets runs the static busybox of the rootfs (it runs on
// any Linux host) and checks every applet link names a real applet:
// a link to a missing applet would fail only when a pod calls it.
func checkBusyboxApplets(root string, img Image) error {
	out, err := run(context.Background(), nil, "", nil, filepath.Join(root, "bin/busybox"), "--list")
	if err != nil {
		return fmt.Errorf("failed to list busybox applets: %w", err)
	}
	have := strings.Fields(string(out))
	var missing []string
	for _, f := range img.Files {
		if f.Link == "busybox" && !slices.Contains(have, filepath.Base(f.Path)) {
			missing = append(missing, filepath.Base(f.Path))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("busybox %s has no applet %v", img.Tag, missing)
	}
	return nil
}
