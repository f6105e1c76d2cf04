package certgen

import (
	"context"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	k8stesting "k8s.io/client-go/testing"
)

// Several metrics-server pods starting at once.
func TestRunLosesUpdateRace(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	winner := mustGenerate(t, t0)
	c.beforeUpdate = func(attempt int) {
		if attempt == 1 {
			c.storeBundle(t, winner)
		}
	}
	o := options(t, t0)
	res, err := c.run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Generated || !res.PatchedCABundle {
		t.Errorf("loser: %+v, want Generated false (its update lost), PatchedCABundle true", res)
	}
	if b := checkConsistent(t, c, o.OutDir, t0); !b.Equal(winner) {
		t.Error("the loser did not adopt the winner's bundle")
	}
	if c.updates != 0 {
		t.Errorf("%d of our Secret updates went through, want 0", c.updates)
	}
}

// TestRunRepublishesWhenSecretChangesAfterPatch: this run reused bundle A
// and patched caBundle A, but another pod renewed the Secret to B and
// published B before our patch landed. The re-read catches it, and the
// run converges on B.
func TestRunRepublishesWhenSecretChangesAfterPatch(t *testing.T) {
	a := mustGenerate(t, t0)
	s := emptySecret()
	s.Data = map[string][]byte{KeyCA: a.CA, KeyCert: a.Cert, KeyKey: a.Key}
	c := newCluster(t, s, apiService(nil))
	b := mustGenerate(t, t0)
	patches := 0
	c.dyn.PrependReactor("patch", "apiservices", func(k8stesting.Action) (bool, runtime.Object, error) {
		if patches++; patches == 1 {
			c.storeBundle(t, b)
		}
		return false, nil, nil // let the tracker apply the patch
	})
	o := options(t, t0)
	if _, err := c.run(t, o); err != nil {
		t.Fatal(err)
	}
	if got := checkConsistent(t, c, o.OutDir, t0); !got.Equal(b) {
		t.Error("did not converge on the newer bundle")
	}
	if patches != 2 {
		t.Errorf("%d caBundle patches, want 2 (A, then B)", patches)
	}
}

// barrierSecrets holds each pod after its first Secret read until every
// pod has read: all of them see the empty Secret and all try to update it.
type barrierSecrets struct {
	corev1client.SecretsGetter
	once    sync.Once
	readers *sync.WaitGroup
}

func (b *barrierSecrets) Secrets(ns string) corev1client.SecretInterface {
	return barrierSecret{b.SecretsGetter.Secrets(ns), b}
}

type barrierSecret struct {
	corev1client.SecretInterface
	b *barrierSecrets
}

func (s barrierSecret) Get(ctx context.Context, name string, o metav1.GetOptions) (*corev1.Secret, error) {
	sec, err := s.SecretInterface.Get(ctx, name, o)
	s.b.once.Do(func() { s.b.readers.Done(); s.b.readers.Wait() })
	return sec, err
}

// TestRunConcurrentPods: eight init containers start at once against an
// empty Secret, all read it empty, all generate and update. Exactly one
// update wins; the others conflict, re-read and adopt the winner's
// bundle, so every pod serves the same pair and the APIService trusts its
// CA.
func TestRunConcurrentPods(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	const pods = 8
	dirs := make([]string, pods)
	results := make([]Result, pods)
	errs := make([]error, pods)
	var readers, wg sync.WaitGroup
	readers.Add(pods)
	for i := range pods {
		o := options(t, t0)
		o.Logf = func(f string, args ...any) { t.Logf("pod %d: "+f, append([]any{i}, args...)...) }
		dirs[i] = o.OutDir
		secrets := &barrierSecrets{SecretsGetter: c.core.CoreV1(), readers: &readers}
		wg.Go(func() { results[i], errs[i] = Run(context.Background(), secrets, c.dyn, o) })
	}
	wg.Wait()
	if u, _ := c.writes(); u != pods {
		t.Errorf("%d Secret update requests, want %d (every pod read the empty Secret)", u, pods)
	}
	generated := 0
	for i := range pods {
		if errs[i] != nil {
			t.Fatalf("pod %d: %v", i, errs[i])
		}
		if results[i].Generated {
			generated++
		}
	}
	if generated != 1 || c.updates != 1 {
		t.Errorf("%d pods report a new bundle, %d Secret updates succeeded; want 1 and 1", generated, c.updates)
	}
	for _, d := range dirs {
		checkConsistent(t, c, d, t0)
	}
}
