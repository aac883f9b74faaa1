package watch_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest/watch"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
)

// BenchmarkWatchLatency measures, with default settings, the time from a
// file being closed to its message being accepted by the (in-process)
// emulator, over 200 files written one after another.
//
//	go test -run '^$' -bench WatchLatency -benchtime 1x ./ingest/watch/
func BenchmarkWatchLatency(b *testing.B) {
	const files = 200
	for range b.N {
		r := startRig(b, nil, watch.Options{Settle: watch.DefaultSettle})
		time.Sleep(200 * time.Millisecond) // the initial (empty) pass
		closed := map[string]time.Time{}
		for i := range files {
			name := fmt.Sprintf("doc-%03d.md", i)
			f, err := os.Create(filepath.Join(r.root, name))
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(f, "# Document %d\n\nwritten at %s\n", i, time.Now())
			f.Close()
			closed[name] = time.Now()
			time.Sleep(10 * time.Millisecond)
		}
		r.waitFor("every file", func() bool { return len(r.emu.Documents()) >= files })
		var lat []time.Duration
		for _, d := range r.emu.Documents() {
			lat = append(lat, d.ReceivedAt.Sub(closed[d.Metadata["source"].(string)]))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*95/100].Milliseconds()), "p95-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
	}
}

// BenchmarkWatchMemory measures the daemon's heap after 1,000 and after
// 10,000 filesystem events (1,000 files, each written ten times in
// rounds): flat memory means the two are close. The emulator runs in a
// process of its own, so that only the daemon is measured.
//
//	go test -run '^$' -bench WatchMemory -benchtime 1x ./ingest/watch/
func BenchmarkWatchMemory(b *testing.B) {
	url, stats := externalEmulator(b)
	for range b.N {
		r := startRigAt(b, nil, url, nil, watch.Options{Settle: 50 * time.Millisecond})
		time.Sleep(200 * time.Millisecond)
		heap := func() float64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return float64(m.HeapInuse) / (1 << 20)
		}
		base := stats().Messages
		round := func(n int) {
			for i := range 1000 {
				os.WriteFile(filepath.Join(r.root, fmt.Sprintf("f%04d.txt", i)), []byte(fmt.Sprintf("file %d round %d", i, n)), 0o644)
			}
			r.waitFor("the round", func() bool { return stats().Messages-base >= 1000*(n+1) })
		}
		round(0)
		after1k := heap()
		for n := 1; n < 10; n++ {
			round(n)
		}
		after10k := heap()
		b.ReportMetric(after1k, "heap-MiB-after-1k-events")
		b.ReportMetric(after10k, "heap-MiB-after-10k-events")
		b.ReportMetric(float64(stats().Messages-base), "deliveries")
	}
}

// externalEmulator builds lanying-ingest and runs its emulator in another
// process; stats reads its counters.
func externalEmulator(b *testing.B) (url string, stats func() emulator.Stats) {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "lanying-ingest")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/lanying-ingest").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "emulator", "--addr", addr)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url = "http://" + addr
	stats = func() emulator.Stats {
		var s emulator.Stats
		resp, err := http.Get(url + "/_emulator/stats")
		if err != nil {
			return s
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(&s)
		return s
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url + "/_emulator/stats")
		if err == nil {
			resp.Body.Close()
			return url, stats
		}
		if time.Now().After(deadline) {
			b.Fatalf("the emulator did not start: %v", err)
		}
	}
}
