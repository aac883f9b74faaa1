package main

import (
	"bytes"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// harness holds the built binary and the emulators.
type harness struct {
	c        config
	bin      string
	slow     *emu // with c.latency, for the bulk import
	fast     *emu // no added latency
	bulkCPU  time.Duration
	bulkDocs int
}

type emu struct {
	cmd *exec.Cmd
	url string
}

// measure is what one run of the worker cost.
type measure struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
	out    string
}

func newHarness(c config) (*harness, error) {
	h := &harness{c: c, bin: filepath.Join(c.data, "bin", "lanying-ingest")}
	log.Printf("building lanying-ingest")
	if out, err := exec.Command("go", "build", "-o", h.bin, "./cmd/lanying-ingest").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build (run from the repository's root): %v\n%s", err, out)
	}
	var err error
	// Fixed ports when free: the state records the endpoint, so a later
	// run finds the tree it filled before.
	if h.slow, err = h.startEmulator(c.latency, "127.0.0.1:18741"); err != nil {
		return nil, err
	}
	if h.fast, err = h.startEmulator(0, "127.0.0.1:18742"); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *harness) startEmulator(latency time.Duration, preferred string) (*emu, error) {
	ln, err := net.Listen("tcp", preferred)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(h.bin, "emulator", "-q", "--addr", addr, "--latency", latency.String())
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &emu{cmd: cmd, url: "http://" + addr}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(e.url + "/_emulator/stats"); err == nil {
			resp.Body.Close()
			return e, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the emulator did not start")
		}
	}
}

func (h *harness) close() {
	for _, e := range []*emu{h.slow, h.fast} {
		if e != nil {
			e.cmd.Process.Kill()
			e.cmd.Wait()
		}
	}
}

// env points lanying-ingest at an emulator.
func (e *emu) env() []string {
	return append(os.Environ(), "LANYING_API_ENDPOINT="+e.url, "LANYING_APP_ID=emulator-app",
		"LANYING_ACCESS_TOKEN=emulator-token", "LANYING_ADMIN_USER_ID=1001", "LANYING_CHATBOT_ID=2001")
}

// run runs a command and measures it (its own resources, not its parent's).
func run(env []string, name string, args ...string) (measure, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	m := measure{wall: time.Since(start), out: out.String()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if err != nil {
		return m, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(m.out))
	}
	return m, nil
}

// sync runs lanying-ingest sync on dir with a state of its own.
func (h *harness) sync(e *emu, state, dir string, extra ...string) (measure, error) {
	args := append([]string{"sync", "-q", "--no-progress", "--state", state}, extra...)
	return run(e.env(), h.bin, append(args, dir)...)
}

func (h *harness) machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%s, %d cores%s, %s/%s, %s", cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func tail(s string) string {
	if len(s) > 1500 {
		return "…" + s[len(s)-1500:]
	}
	return s
}

func freshState(dir, name string) string {
	p := filepath.Join(dir, "state", name+".db")
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		os.Remove(p + suffix)
	}
	return p
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
