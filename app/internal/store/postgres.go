package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// Postgres reads and writes visits through a pgx pool of at most
// maxConns connections, opened on demand.
type Postgres struct{ pool *pgxpool.Pool }

// Open parses databaseURL; it does no I/O (the pool dials on first use),
// so a database that is down at start does not stop the application from
// serving what does not need it.
func Open(databaseURL string, maxConns int) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// As in health.PostgresCheck: the error may quote the password.
		return nil, errors.New("DATABASE_URL: pgx cannot parse it (details withheld: the URL may hold a password)")
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "web-app"
	cfg.MaxConns = int32(max(maxConns, 1))
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return &Postgres{pool: pool}, nil
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

// Close closes the pool's connections, waiting for those in use.
func (p *Postgres) Close() { p.pool.Close() }

// with runs fn on a pooled connection. pgxpool drops a connection whose
// operation failed below the protocol (a stale one after a server
// restart), so the next request dials afresh.
func (p *Postgres) with(ctx context.Context, fn func(*pgx.Conn) error) error {
	c, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Release()
	return fn(c.Conn())
}
