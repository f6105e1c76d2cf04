package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/parallel-poc/orchestration/app/internal/canary"
	"github.com/parallel-poc/orchestration/app/internal/config"
	"github.com/parallel-poc/orchestration/app/webapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run returns the exit code: 0 after an orderly shutdown, 2 for bad
// settings or usage, 1 for runtime failures.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	mode := "serve"
	if len(args) > 0 {
		mode = args[0]
	}
	switch mode {
	case "serve":
		cfg, err := config.Load(getenv)
		if err != nil {
			return configError(stdout, stderr, err)
		}
		return finish(stdout, cfg.LogLevel, func(log *slog.Logger) error {
			log.Info("starting", "mode", "serve", "version", cfg.Version, "pod", cfg.PodName, "port", cfg.Port)
			return webapp.Run(ctx, cfg, log)
		})
	case "canary":
		cfg, err := config.LoadCanary(getenv)
		if err != nil {
			return configError(stdout, stderr, err)
		}
		return finish(stdout, cfg.LogLevel, func(log *slog.Logger) error {
			return canary.Run(ctx, cfg, log)
		})
	default:
		fmt.Fprintf(stderr, "usage: webapp [canary]\nunknown mode %q\n", mode)
		return 2
	}
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// configError reports bad settings both as a JSON log line (for log
// pipelines) and as plain text on stderr (for kubectl logs --previous and
// humans running go run).
func configError(stdout, stderr io.Writer, err error) int {
	newLogger(stdout, slog.LevelInfo).Error("invalid configuration", "error", err.Error())
	fmt.Fprintf(stderr, "webapp: invalid configuration:\n%v\n", err)
	return 2
}

func finish(stdout io.Writer, level slog.Level, body func(*slog.Logger) error) int {
	log := newLogger(stdout, level)
	if err := body(log); err != nil {
		log.Error("exiting", "error", err.Error())
		return 1
	}
	log.Info("exited cleanly")
	return 0
}
