#!/usr/bin/env bash
# Builds kustomize from its Go module into <repo>/.local/bin/kustomize (or $GUANWU_LOCAL_DIR/bin/kustomize),
# for rendering deploy/k8s. Idempotent: a no-op (about 10 ms) when that binary exists and reports the pinned
# version; otherwise `go install` from the Go module proxy (~40 s on 2 cores with a cold build cache).
# Prints the binary's path on stdout (last line); progress goes to stderr.
#
# Usage: deploy/local/kustomize.sh
# Environment: GUANWU_LOCAL_DIR (default <repo>/.local), GUANWU_GO (default: `go` on PATH, else /usr/local/go/bin/go).
# Exit codes: 0 ok, 1 build failed, 2 no Go toolchain.
set -euo pipefail

VERSION=v5.7.1
MODULE=sigs.k8s.io/kustomize/kustomize/v5

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${GUANWU_LOCAL_DIR:-$ROOT/.local}"
BIN_DIR="$LOCAL_DIR/bin"
BIN="$BIN_DIR/kustomize"

log() { echo "kustomize.sh: $*" >&2; }

installed_version() {
  # `kustomize version` prints the module version recorded in the binary's build info, e.g. "v5.7.1".
  [[ -x "$BIN" ]] && "$BIN" version 2>/dev/null | head -n1 | tr -d '[:space:]'
}

find_go() {
  if [[ -n "${GUANWU_GO:-}" ]]; then [[ -x "$GUANWU_GO" ]] && echo "$GUANWU_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; return; fi
  return 1
}

build() {
  local go
  go="$(find_go)" || { log "no Go toolchain (go >= 1.22.7) in \$GUANWU_GO, on PATH or in /usr/local/go; install Go"; exit 2; }
  mkdir -p "$BIN_DIR"
  log "building $MODULE@$VERSION with $("$go" version) into $BIN_DIR (about 40 s)"
  # GOTOOLCHAIN=local: never download another Go toolchain; GOBIN: install next to the repository's other tools.
  if ! GOTOOLCHAIN=local GOBIN="$BIN_DIR" "$go" install "$MODULE@$VERSION" >&2; then
    log "go install $MODULE@$VERSION failed"
    exit 1
  fi
}

main() {
  local found
  found="$(installed_version || true)"
  if [[ "$found" == "$VERSION" ]]; then
    log "kustomize $VERSION already at $BIN"
  else
    [[ -n "$found" ]] && log "found kustomize '$found' at $BIN, want $VERSION: rebuilding"
    build
    found="$(installed_version || true)"
    if [[ "$found" != "$VERSION" ]]; then
      log "built $BIN but it reports version '$found', not $VERSION"
      exit 1
    fi
    log "installed kustomize $VERSION at $BIN"
  fi
  echo "$BIN"
}

main "$@"
