package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Visit is one row of the visits table.
type Visit struct {
	ID        int64     `json:"id"`
	Pod       string    `json:"pod"`
	VisitedAt time.Time `json:"visited_at"`
}

// Summary is the visit count and the latest visits, newest first.
type Summary struct {
	Total  int64   `json:"total"`
	Recent []Visit `json:"recent"`
}

// Postgres reads and writes visits. At most maxConns connections are in
// use at once, and as many are kept idle for the next requests.
type Postgres struct {
	cfg   *pgx.ConnConfig
	slots chan struct{}  // one token per connection in use
	idle  chan *pgx.Conn // connections ready for reuse
}

// Open parses databaseURL; it does no I/O, so a database that is down at
// start does not stop the application from serving what does not need it.
func Open(databaseURL string, maxConns int) (*Postgres, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// As in health.PostgresCheck: the error may quote the password.
		return nil, errors.New("DATABASE_URL: pgx cannot parse it (details withheld: the URL may hold a password)")
	}
	cfg.RuntimeParams["application_name"] = "web-app"
	maxConns = max(maxConns, 1)
	return &Postgres{cfg: cfg, slots: make(chan struct{}, maxConns), idle: make(chan *pgx.Conn, maxConns)}, nil
}

// Record inserts a visit by pod and returns the stored row.
func (p *Postgres) Record(ctx context.Context, pod string) (Visit, error) {
	var v Visit
	err := p.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, `INSERT INTO visits (pod) VALUES ($1) RETURNING id, pod, visited_at`, pod).
			Scan(&v.ID, &v.Pod, &v.VisitedAt)
	})
	return v, err
}

// Summary counts the visits and lists the latest limit of them.
func (p *Postgres) Summary(ctx context.Context, limit int) (Summary, error) {
	s := Summary{Recent: []Visit{}}
	err := p.with(ctx, func(c *pgx.Conn) error {
		if err := c.QueryRow(ctx, `SELECT count(*) FROM visits`).Scan(&s.Total); err != nil {
			return err
		}
		rows, err := c.Query(ctx, `SELECT id, pod, visited_at FROM visits ORDER BY visited_at DESC, id DESC LIMIT $1`, limit)
		if err != nil {
			return err
		}
		recent, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Visit, error) {
			var v Visit
			err := r.Scan(&v.ID, &v.Pod, &v.VisitedAt)
			return v, err
		})
		if err == nil {
			s.Recent = recent
		}
		return err
	})
	return s, err
}

// Close closes the idle connections. In-use ones close when released.
func (p *Postgres) Close() {
	for {
		select {
		case c := <-p.idle:
			closeConn(c)
		default:
			return
		}
	}
}

// with runs fn on a connection. A reused idle connection that fails
// without an answer from the server (it went stale: the server restarted,
// a NAT forgot it) is replaced once by a fresh one while ctx allows.
func (p *Postgres) with(ctx context.Context, fn func(*pgx.Conn) error) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a connection: %w", context.Cause(ctx))
	}
	defer func() { <-p.slots }()
	for attempt := 0; ; attempt++ {
		c, reused, err := p.conn(ctx)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		err = fn(c)
		p.release(c, err)
		if err == nil || !reused || attempt > 0 || ctx.Err() != nil || isServerError(err) {
			return err
		}
	}
}

func (p *Postgres) conn(ctx context.Context) (c *pgx.Conn, reused bool, err error) {
	for {
		select {
		case c := <-p.idle:
			if !c.IsClosed() {
				return c, true, nil
			}
			continue
		default:
		}
		c, err = pgx.ConnectConfig(ctx, p.cfg.Copy())
		return c, false, err
	}
}

// release keeps c for reuse unless the operation failed in a way that may
// have left it mid-protocol (anything but an error the server answered).
func (p *Postgres) release(c *pgx.Conn, err error) {
	if c.IsClosed() || (err != nil && !isServerError(err)) {
		closeConn(c)
		return
	}
	select {
	case p.idle <- c:
	default:
		closeConn(c)
	}
}

// isServerError reports an error PostgreSQL itself answered with (a
// constraint, a missing table): the connection is fine and retrying on
// another would fail the same way.
func isServerError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr)
}

func closeConn(c *pgx.Conn) {
	// Close sends a Terminate message; bound it whatever the caller's ctx.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}
