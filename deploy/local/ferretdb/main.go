// Command ferretdb runs FerretDB 1.24.2 (SQLite backend) embedded as a library.
//
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that panics at start
// (missing generated version file, FerretDB issue #2982); embedding the ferretdb package avoids that.
// Used by deploy/local/infra.sh for local development and tests only.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "data", "directory for SQLite files (created if missing)")
	debug := flag.Bool("debug", false, "log at debug level")
	// WAL with synchronous=NORMAL survives a crash of any process (only an OS crash or power loss can drop
	// the last commits); FULL fsyncs every commit, which made each write wait on the disk on test machines.
	sqliteParams := flag.String("sqlite-params", "_pragma=synchronous(normal)", "query parameters of the SQLite URL")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		log.Fatal(err)
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("ferretdb starting", "listen", *addr, "data", dir)
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/?" + *sqliteParams,
	})
	if err != nil {
		log.Fatal(err)
	}

	if err = f.Run(ctx); err != nil {
		log.Fatal(err)
	}
	logger.Info("ferretdb stopped")
}
