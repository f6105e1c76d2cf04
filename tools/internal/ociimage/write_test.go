package ociimage

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestWriteArchiveRacingWriters: the app image build in `make up` takes
// no lock, so two runs at once write the same archives. Each write must
// still end with a whole archive under the final name (one writer's or
// the other's), never a mix of both, and no writer may fail because the
// other moved or removed its temporary file. Run it under -race.
func TestWriteArchiveRacingWriters(t *testing.T) {
	const ref = "localhost/parallel-poc/webapp:v1.0"
	// Two different images of a few MB each, so the writes overlap.
	var imgs []v1.Image
	var digests []v1.Hash
	for i := range 2 {
		bin := make([]byte, 4<<20)
		rand.NewChaCha8([32]byte{byte(i)}).Read(bin)
		img, err := Assemble(bin, spec("v1.0"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		imgs, digests = append(imgs, img), append(digests, d)
	}
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, ArchiveName(ref))
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make([]error, 2*len(imgs))
		start := make(chan struct{})
		for i := range errs {
			wg.Go(func() {
				<-start
				w, err := WriteArchive(file, ref, imgs[i%len(imgs)])
				if err == nil && w.Digest != digests[i%len(imgs)] {
					t.Errorf("round %d, writer %d: Written has digest %s, want %s", round, i, w.Digest, digests[i%len(imgs)])
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, writer %d: %v", round, i, err)
			}
		}
		img, err := tarball.ImageFromPath(file, &tag)
		if err != nil {
			t.Fatalf("round %d: the archive does not read back: %v", round, err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !slices.Contains(digests, d) {
			t.Errorf("round %d: the archive holds image %s, neither writer's (%v)", round, d, digests)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("round %d: the archive is not a valid image: %v", round, err)
		}
		checkNoPartials(t, dir)
		if t.Failed() {
			t.FailNow()
		}
	}
}

// TestWriteArchiveRemovesStalePartials: a run killed while writing an
// archive leaves its temporary file; the next write of that archive
// removes it, but not one another writer still has open, nor another
// archive's.
func TestWriteArchiveRemovesStalePartials(t *testing.T) {
	const ref = "localhost/parallel-poc/webapp:v1.0"
	dir := t.TempDir()
	file := filepath.Join(dir, ArchiveName(ref))
	old := time.Now().Add(-time.Hour)
	plant := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("half an archive"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := []string{
		plant("webapp-v1.0.tar.partial", old),            // the fixed name earlier versions used
		plant("webapp-v1.0.tar.2417730988.partial", old), // a killed writer's
	}
	keep := []string{
		plant("webapp-v2.0.tar.3866117004.partial", old),                  // another archive's
		plant("webapp-v1.0.tar.gz.1188436540.partial", old),               // another archive's, the same prefix
		plant("webapp-v1.0.tar.925561423.partial", old),                   // open in a writer (below)
		plant("webapp-v1.0.tar.4012345678.partial", old.Add(2*time.Hour)), // newer than this run
	}
	live, err := os.Open(keep[2])
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := syscall.Flock(int(live.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	img, err := Assemble([]byte("bin"), spec("v1.0"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteArchive(file, ref, img); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s left behind", filepath.Base(p))
		}
	}
	for _, p := range keep {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Error(err)
	}
}

func checkNoPartials(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".partial") {
			t.Errorf("%s left behind", e.Name())
		}
	}
}
