package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type row struct {
	name          string
	rps, p50, p99 float64 // req/s; ms
	success       float64
	requests      uint64
}

// measure serves h on a fresh loopback port and attacks it.
func measure(name string, h http.Handler, path string, d time.Duration, rate int, workers uint64) (row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return row{}, fmt.Errorf("listen for %s: %w", name, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	atk := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Workers(workers), vegeta.MaxWorkers(workers),
		vegeta.Timeout(5*time.Second), vegeta.MaxBody(0))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: "http://" + ln.Addr().String() + path})
	var m vegeta.Metrics
	for res := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, name) {
		m.Add(res)
	}
	m.Close()
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	// Throughput counts successful requests over the attack's wall time.
	return row{name: name, rps: m.Throughput, p50: ms(m.Latencies.P50), p99: ms(m.Latencies.P99),
		success: m.Success, requests: m.Requests}, nil
}

func printTable(w io.Writer, rows []row, d time.Duration, rate int, workers uint64, rounds int) {
	mode := "max rate"
	if rate > 0 {
		mode = fmt.Sprintf("%d req/s", rate)
	}
	fmt.Fprintf(w, "loopback, best of %d rounds of %s per server, %s, %d workers\n\n", rounds, d, mode, workers)
	fmt.Fprintf(w, "%-14s %10s %10s %9s %9s %8s\n", "server", "requests", "req/s", "p50_ms", "p99_ms", "success")
	for _, r := range rows {
		fmt.Fprintf(w, "%-14s %10d %10.0f %9.3f %9.3f %8.4f\n", r.name, r.requests, r.rps, r.p50, r.p99, r.success)
	}
	if len(rows) == 2 && rows[0].rps > 0 {
		ratio := rows[1].rps / rows[0].rps
		fmt.Fprintf(w, "\nwebapp/bare throughput ratio: %.3f (instrumentation and JSON cost %.1f%%)\n", ratio, (1-ratio)*100)
	}
}
