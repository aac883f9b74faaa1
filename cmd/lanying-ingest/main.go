// Command lanying-ingest feeds documents from folders into a Lanying IM
// chatbot's knowledge base: each new or changed document is uploaded and
// sent to the chatbot once, with its metadata; unchanged ones cost nothing.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the settings every command shares. There is no global state:
// main builds one and passes it down.
type globals struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	stderrIsTTY    bool
	verbose        bool
	quiet          bool
	logFormat      string
	progressEvery  time.Duration // progress lines when stderr is not a terminal
	cpuProfile     string        // write a CPU profile here (for developers)
	logger         *slog.Logger
}

func main() {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrIsTTY: isTerminal(os.Stderr)}
	ctx, cancel := context.WithCancel(context.Background())
	// The first SIGINT or SIGTERM cancels the command's context (sync stops,
	// watch stops taking new work and lets deliveries finish); a second
	// one exits at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(g.stderr, "lanying-ingest: second signal: exiting now; run again to resume")
		os.Exit(exitFailed)
	}()
	code := run(ctx, g, os.Args[1:])
	cancel()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, g *globals, args []string) int {
	root := newRootCommand(g)
	root.SetArgs(args)
	root.PersistentPostRun = func(*cobra.Command, []string) { pprof.StopCPUProfile() }
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		printError(g.stderr, err)
	}
	return code
}

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "lanying-ingest",
		Short: "Feed folders into a Lanying IM chatbot's knowledge base",
		Long: `lanying-ingest sends documents to a Lanying IM chatbot's knowledge base:
each new or changed file is uploaded and posted to the chatbot once, with its
metadata; a second run sends only what changed.

With no api_endpoint configured it runs against a built-in emulator, so
nothing leaves the machine until you point it at your app.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.logFormat != "text" && g.logFormat != "json" {
				return usageErr(fmt.Errorf("--log-format %q: want text or json", g.logFormat), "")
			}
			g.logger = newLogger(g)
			if g.cpuProfile != "" {
				f, err := os.Create(g.cpuProfile)
				if err != nil {
					return usageErr(err, "")
				}
				return pprof.StartCPUProfile(f)
			}
			return nil
		},
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log every document, including unchanged and skipped ones")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "log only warnings and errors")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log lines as text or json (one object per line)")
	root.PersistentFlags().DurationVar(&g.progressEvery, "progress-every", 30*time.Second, "when stderr is not a terminal, log a progress line this often")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for go tool pprof)")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr(err, "see "+cmd.CommandPath()+" --help") })
	root.AddCommand(newSyncCommand(g), newWatchCommand(g), newStatusCommand(g), newForgetCommand(g),
		newConfigCommand(g), newEmulatorCommand(g), newVersionCommand(g))
	return root
}

func newLogger(g *globals) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case g.verbose:
		level = slog.LevelDebug
	case g.quiet:
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

func newVersionCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(g.stdout, "lanying-ingest %s\n", version)
			return err
		},
	}
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
