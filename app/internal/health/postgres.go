package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresCheck returns a check that opens a real connection (DNS, TCP,
// TLS if configured, authentication) and pings it. A bare TCP dial would
// call a database ready that rejects our credentials or is still in
// recovery. Each check uses a fresh connection so it proves the full path.
func PostgresCheck(databaseURL string) (CheckFunc, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		// pgx redacts passwords only on a best-effort basis, and a wrapped
		// url.Error quotes the whole URL: report no detail rather than leak.
		return nil, errors.New("DATABASE_URL: pgx cannot parse it (details withheld: the URL may hold a password)")
	}
	cfg.RuntimeParams["application_name"] = "web-app-readiness"
	return func(ctx context.Context) error {
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		defer func() {
			// Close sends a Terminate message; bound it even if ctx has expired.
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = conn.Close(cctx)
		}()
		if err := conn.Ping(ctx); err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		return nil
	}, nil
}
