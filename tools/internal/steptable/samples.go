package steptable

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sample is the machine's cumulative CPU time at one moment, from the
// first line of /proc/stat (USER_HZ ticks).
type Sample struct {
	At          time.Time
	Busy, Total uint64
}

// Samples is a growing series of CPU samples, safe for one writer and
// readers.
type Samples struct {
	mu    sync.Mutex
	list  []Sample
	cores int
}

// NewSamples is an empty series for a machine of cores CPUs.
func NewSamples(cores int) *Samples { return &Samples{cores: cores} }

// Add appends a sample.
func (s *Samples) Add(x Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, x)
}

// BusyCores is the average number of busy cores between from and to,
// from the samples nearest outside that window.
func (s *Samples) BusyCores(from, to time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a, b *Sample
	for i := range s.list {
		x := &s.list[i]
		if !x.At.After(from) {
			a = x
		}
		if b == nil && !x.At.Before(to) {
			b = x
		}
	}
	if a == nil && len(s.list) > 0 {
		a = &s.list[0]
	}
	if b == nil && len(s.list) > 0 {
		b = &s.list[len(s.list)-1]
	}
	if a == nil || b == nil || b.Total <= a.Total {
		return 0
	}
	return float64(b.Busy-a.Busy) / float64(b.Total-a.Total) * float64(s.cores)
}

// Sample reads /proc/stat every interval until ctx ends.
func (s *Samples) Sample(ctx context.Context, interval time.Duration) error {
	for {
		x, err := ReadProcStat("/proc/stat")
		if err != nil {
			return err
		}
		s.Add(x)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// ReadProcStat reads the aggregate cpu line: busy is everything but idle
// and iowait.
func ReadProcStat(path string) (Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return Sample{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return Sample{}, fmt.Errorf("%s: empty", path)
	}
	return parseCPULine(sc.Text(), time.Now())
}

func parseCPULine(line string, at time.Time) (Sample, error) {
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return Sample{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	x := Sample{At: at}
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return Sample{}, fmt.Errorf("/proc/stat: field %d of %q: %w", i+1, line, err)
		}
		if i >= 8 { // guest times are already in user and nice
			break
		}
		x.Total += v
		if i != 3 && i != 4 { // idle, iowait
			x.Busy += v
		}
	}
	return x, nil
}
