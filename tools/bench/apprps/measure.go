package main

import (
	"fmt"
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
