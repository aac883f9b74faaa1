package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// corpus makes dir with gen once; later runs reuse it.
func corpus(dir string, gen func(dir string) error) (string, error) {
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	log.Printf("generating %s", dir)
	if err := gen(dir); err != nil {
		return "", err
	}
	return dir, os.WriteFile(done, nil, 0o644)
}

// bulk: many small files, every API call 20 ms away.
func (h *harness) bulk() (row, error) {
	n := h.c.files
	dir, err := corpus(filepath.Join(h.c.data, fmt.Sprintf("small-%d", n)), func(dir string) error {
		rnd := rand.New(rand.NewPCG(1, 2))
		exts := []string{".md", ".txt", ".csv"}
		for i := range n {
			p := filepath.Join(dir, fmt.Sprintf("d%03d", i%100), fmt.Sprintf("doc-%05d%s", i, exts[i%3]))
			os.MkdirAll(filepath.Dir(p), 0o755)
			size := 1024 + rnd.IntN(19*1024)
			line := fmt.Sprintf("document %d, a line of text to fill it up.\n", i)
			body := strings.Repeat(line, size/len(line)+1)[:size]
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return row{}, err
	}
	log.Printf("bulk import: %d files, %s per call", n, h.c.latency)
	m, err := h.sync(h.slow, freshState(h.c.data, "bulk"), dir)
	if err != nil {
		return row{}, err
	}
	h.bulkCPU, h.bulkDocs = m.cpu, n
	ours := float64(n) / m.wall.Seconds()
	r := row{
		name:   fmt.Sprintf("bulk import: %d files of 1–20 KB, %s on every call", n, h.c.latency),
		ours:   fmt.Sprintf("%.0f docs/s (%s, peak RSS %.0f MiB)", ours, m.wall.Round(100*time.Millisecond), mib(m.maxRSS)),
		target: "≥ 150 docs/s and ≥ 30× the documented flow",
		ok:     ours >= 150,
	}
	flow, err := h.documentedFlow(dir)
	if err != nil {
		r.comparator = "documented flow: " + err.Error()
		return r, nil
	}
	r.comparator = fmt.Sprintf("documented flow: %.1f docs/s (%d files)", flow, h.c.flowN)
	r.ratio = fmt.Sprintf("%.1f×", ours/flow)
	r.ok = r.ok && ours/flow >= 30
	return r, nil
}

// documentedFlow runs the platform's documented flow (curl, one file at a
// time) on the first flowN files, against the same emulator.
func (h *harness) documentedFlow(dir string) (float64, error) {
	if _, err := os.Stat(h.c.flow); err != nil {
		return 0, fmt.Errorf("not run: %s not found (-flow)", h.c.flow)
	}
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			return 0, fmt.Errorf("not run: %s is not installed", tool)
		}
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && len(files) < h.c.flowN {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	args := append([]string{h.c.flow, h.slow.url, "emulator-app", "emulator-token", "1001", "2001"}, files...)
	m, err := run(os.Environ(), "bash", args...)
	if err != nil {
		return 0, err
	}
	return float64(len(files)) / m.wall.Seconds(), nil
}

// large: one big file, against a bare client sending the same form.
func (h *harness) large() (row, error) {
	size := h.c.big
	dir, err := corpus(filepath.Join(h.c.data, fmt.Sprintf("big-%d", size)), func(dir string) error {
		f, err := os.Create(filepath.Join(dir, "big.pdf"))
		if err != nil {
			return err
		}
		defer f.Close()
		rnd := rand.NewChaCha8([32]byte{7})
		_, err = io.CopyN(f, rnd, size)
		return err
	})
	if err != nil {
		return row{}, err
	}
	file := filepath.Join(dir, "big.pdf")
	// Read it once so that both sides find it in the page cache.
	if f, err := os.Open(file); err == nil {
		io.Copy(io.Discard, f)
		f.Close()
	}
	log.Printf("large file: %d MiB", size>>20)
	var bare, ours time.Duration
	var rss int64
	for range 2 { // best of two each, interleaved
		b, err := bareUpload(h.fast.url, file, size)
		if err != nil {
			return row{}, fmt.Errorf("bare client: %w", err)
		}
		m, err := h.sync(h.fast, freshState(h.c.data, "large"), dir, "--max-file-size", fmt.Sprint(size+1))
		if err != nil {
			return row{}, err
		}
		if bare == 0 || b < bare {
			bare = b
		}
		if ours == 0 || m.wall < ours {
			ours = m.wall
		}
		rss = max(rss, m.maxRSS)
	}
	tOurs, tBare := mib(size)/ours.Seconds(), mib(size)/bare.Seconds()
	return row{
		name:       fmt.Sprintf("large file: %d MiB", size>>20),
		ours:       fmt.Sprintf("%.0f MiB/s (%s, peak RSS %.0f MiB)", tOurs, ours.Round(10*time.Millisecond), mib(rss)),
		comparator: fmt.Sprintf("bare HTTP client: %.0f MiB/s", tBare),
		ratio:      fmt.Sprintf("%.0f%%", 100*tOurs/tBare),
		target:     "≥ 80% of the bare client, peak RSS ≤ 64 MiB",
		ok:         tOurs/tBare >= 0.8 && rss <= 64<<20,
	}, nil
}

// bareUpload asks for a slot and posts the multipart form with the file,
// streaming, as a minimal client would: the throughput ceiling.
func bareUpload(endpoint, file string, size int64) (time.Duration, error) {
	start := time.Now()
	req, _ := http.NewRequest(http.MethodGet, endpoint+"/file/upload/chat?file_type=100&to_type=1&to_id=2001", nil)
	req.Header.Set("app_id", "emulator-app")
	req.Header.Set("access-token", "emulator-token")
	req.Header.Set("user_id", "1001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	slot, err := decodeSlot(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	for _, kv := range slot.fields {
		w.WriteField(kv[0], kv[1])
	}
	w.CreateFormFile("file", "big.pdf")
	n := head.Len()
	w.Close()
	prefix, suffix := head.Bytes()[:n], head.Bytes()[n:]
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	post, _ := http.NewRequest(http.MethodPost, slot.url, io.MultiReader(bytes.NewReader(prefix), f, bytes.NewReader(suffix)))
	post.ContentLength = int64(len(prefix)) + size + int64(len(suffix))
	post.Header.Set("Content-Type", w.FormDataContentType())
	resp, err = http.DefaultClient.Do(post)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("upload: HTTP %d", resp.StatusCode)
	}
	return time.Since(start), nil
}
