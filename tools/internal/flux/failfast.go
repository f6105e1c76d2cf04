package flux

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ConfirmAttempts is how many failed attempts at the target revision
// WaitSynced must see from one Kustomization before it gives up. One is
// not enough: during a normal bring-up an attempt can fail for a reason
// that passes (a health check timing out on a slow first start, an API
// the apply needs not served yet), and the controller retries after
// spec.retryInterval (30 s here). A failure that the retry repeats is
// what a bad commit looks like, so two attempts it is: a manifest that
// does not build fails in about retryInterval, a Deployment that never
// becomes Ready in about 2*timeout+retryInterval, rather than after the
// caller's whole timeout.
const ConfirmAttempts = 2

// failureTracker counts, per Kustomization, the distinct failed attempts
// at the target seen since it was last Ready.
type failureTracker struct {
	need     int
	attempts map[string][]time.Time
}

func newFailureTracker(need int) *failureTracker {
	return &failureTracker{need: need, attempts: map[string][]time.Time{}}
}

// observe records one poll and returns an error naming the Kustomization
// and the controller's message once a failure is confirmed. A retry in
// progress (Ready=Unknown) keeps the count; Ready=True clears it.
func (f *failureTracker) observe(s Sync, sha string) error {
	for _, id := range s.Synced {
		delete(f.attempts, id)
	}
	var confirmed []string
	for _, fl := range s.Failed {
		if !slices.ContainsFunc(f.attempts[fl.ID], fl.Attempt.Equal) {
			f.attempts[fl.ID] = append(f.attempts[fl.ID], fl.Attempt)
		}
		if n := len(f.attempts[fl.ID]); n >= f.need {
			confirmed = append(confirmed, fmt.Sprintf("%s failed at %s in %d attempts (%s): %s", fl.ID, short(sha), n, fl.Reason, fl.Message))
		}
	}
	if len(confirmed) == 0 {
		return nil
	}
	slices.Sort(confirmed)
	return fmt.Errorf("%s", strings.Join(confirmed, "\n"))
}
