// Command ferretdb runs FerretDB 1.24.2 on PostgreSQL, embedded as a library.
//
// `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that panics at start
// (missing generated version file, FerretDB issue #2982); embedding the ferretdb package avoids that.
// PostgreSQL is FerretDB's main backend: it pushes filters, sorts and limits down and has concurrent
// writers (the SQLite backend pushes down `_id` only, so every other filter scanned the collection).
// Used by deploy/local/infra.sh for local development and tests only; production runs MongoDB.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	pgURL := flag.String("postgresql-url", "postgres://127.0.0.1:5432/ferretdb", "PostgreSQL URL of the database FerretDB stores into")
	debug := flag.Bool("debug", false, "log at debug level")
	flag.Parse()

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("ferretdb starting", "listen", *addr, "postgresql", *pgURL)
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *addr},
		Logger:        logger,
		Handler:       "postgresql",
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		log.Fatal(err)
	}

	if err = f.Run(ctx); err != nil {
		log.Fatal(err)
	}
	logger.Info("ferretdb stopped")
}
