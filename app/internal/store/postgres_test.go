package store

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestOpenDoesNoIOAndRedacts(t *testing.T) {
	if _, err := Open("postgres://u:pw@db.invalid:5432/app?sslmode=disable", 2); err != nil {
		t.Errorf("Open of a host that does not resolve failed: %v (it must not dial)", err)
	}
	if _, err := Open("postgres://u:secret@host:notaport/db", 2); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad URL: got %v, want an error without the password", err)
	}
}

// TestUnreachableAndSilentServersAreBounded: a refused port fails at
// once; a server that accepts and never answers holds a request only
// until its deadline.
func TestUnreachableAndSilentServersAreBounded(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }() // read, never answer
		}
	}()
	for _, addr := range []string{refused, silent.Addr().String()} {
		p, err := Open("postgres://u:pw@"+addr+"/app?sslmode=disable&connect_timeout=30", 2)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		_, err = p.Summary(ctx, 10)
		cancel()
		if err == nil || !strings.HasPrefix(err.Error(), "connect: ") {
			t.Errorf("%s: Summary error %v, want a connect failure", addr, err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s: took %s past a 200ms deadline", addr, el)
		}
		p.Close()
	}
}

// TestVisitsReal runs only when PG_TEST_URL names a live server with the
// visits table (base/batch/migrations/001_visits.sql).
func TestVisitsReal(t *testing.T) {
	url := os.Getenv("PG_TEST_URL")
	if url == "" {
		t.Skip("PG_TEST_URL not set")
	}
	p, err := Open(url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := p.Record(ctx, "store-test")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second reuses the idle connection
		s, err := p.Summary(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if s.Total < 1 || len(s.Recent) == 0 || s.Recent[0].ID < v.ID {
			t.Errorf("summary %+v does not show visit %+v", s, v)
		}
	}
}
