package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/httpjson"
	"github.com/parallel-poc/orchestration/app/internal/store"
)

// DefaultDBTimeout bounds a request's database work when Database.Timeout
// is zero.
const DefaultDBTimeout = 2 * time.Second

// recentVisits is how many visits GET /visits lists.
const recentVisits = 10

// VisitStore is the data /visits reads and writes; *store.Postgres
// satisfies it, and tests substitute fakes.
type VisitStore interface {
	Record(ctx context.Context, pod string) (store.Visit, error)
	Summary(ctx context.Context, limit int) (store.Summary, error)
}

// Database is what the routes that need PostgreSQL consult. /visits is
// the only one; every other route answers without it.
type Database struct {
	Name  string     // the dependency named in errors and metrics: "postgres"
	Store VisitStore // nil when no DATABASE_URL is set
	// Down is the background check's cached failure (nil when the last
	// check passed or none has completed). Non-nil fails the request at
	// once instead of making it wait out a connect that cannot succeed.
	Down func() error
	// Timeout bounds one request's database work (DefaultDBTimeout if 0).
	Timeout time.Duration
	// RetryAfter is sent with a 503: the check interval, after which the
	// cached verdict may have changed.
	RetryAfter time.Duration
}

// visits is GET (the count and the latest visits) and POST (record a
// visit by this pod). When the database is down or does not answer within
// the timeout it is a 503 naming the dependency, with Retry-After.
func (o Options) visits(w http.ResponseWriter, r *http.Request) {
	db := o.DB
	unavailable := func(detail string, retry time.Duration) {
		httpjson.Unavailable(w, httpjson.DependencyError{
			Error: "database unavailable", Dependency: cmp.Or(db.Name, "postgres"), Detail: detail,
		}, retry)
	}
	if db.Store == nil {
		unavailable("not configured: DATABASE_URL is not set", 0)
		return
	}
	if db.Down != nil {
		if err := db.Down(); err != nil {
			unavailable(err.Error(), db.RetryAfter)
			return
		}
	}
	timeout := cmp.Or(db.Timeout, DefaultDBTimeout)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	var (
		status = http.StatusOK
		body   any
		err    error
	)
	if r.Method == http.MethodPost {
		status = http.StatusCreated
		body, err = db.Store.Record(ctx, o.Info.Pod)
	} else {
		body, err = db.Store.Summary(ctx, recentVisits)
	}
	if err != nil {
		detail := err.Error()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			detail = fmt.Sprintf("no answer within %s: %s", timeout, detail)
		}
		unavailable(detail, db.RetryAfter)
		return
	}
	httpjson.Write(w, status, body)
}
