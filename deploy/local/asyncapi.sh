#!/usr/bin/env bash
# Installs the official AsyncAPI CLI (npm package @asyncapi/cli) into <repo>/.local/asyncapi/ (or
# $GUANWU_LOCAL_DIR/asyncapi/), for validating libs/contracts/asyncapi.yaml with `asyncapi validate`.
# Idempotent: a no-op (a few ms) when the pinned version is installed there; otherwise `npm install` from the
# npm registry (~1-2 min on 2 cores with a cold npm cache).
# Prints the command's path on stdout (last line): <repo>/.local/asyncapi/bin/asyncapi, a wrapper that runs
# node_modules/.bin/asyncapi with the CLI's anonymous usage tracking off (ASYNCAPI_METRICS_CONFIG_PATH points
# at .local/asyncapi/analytics.json, so it neither phones home nor writes ~/.asyncapi-analytics).
# Progress goes to stderr.
#
# Usage: deploy/local/asyncapi.sh
# Environment: GUANWU_LOCAL_DIR (default <repo>/.local), GUANWU_NPM (default: `npm` on PATH).
# Exit codes: 0 ok, 1 install failed, 2 no usable node/npm.
#
# Choices: 4.1.1 is the newest release whose `engines` accepts node 20 (5.x and 6.x require node >= 24, which
# Debian bookworm and this machine do not have). Only the top-level package is pinned, not a committed
# package-lock.json of its ~1,500 transitive packages: the validator's verdict is what the test relies on, and
# a lock file that size would dwarf the repository's own JavaScript (none).
set -euo pipefail

VERSION=4.1.1
PACKAGE=@asyncapi/cli
NODE_MAJOR_MIN=18

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="${GUANWU_LOCAL_DIR:-$ROOT/.local}"
PREFIX="$LOCAL_DIR/asyncapi"
REAL_BIN="$PREFIX/node_modules/.bin/asyncapi"
BIN="$PREFIX/bin/asyncapi"
ANALYTICS="$PREFIX/analytics.json"
MANIFEST="$PREFIX/node_modules/@asyncapi/cli/package.json"

log() { echo "asyncapi.sh: $*" >&2; }

installed_version() {
  # Read the installed package's manifest instead of running the CLI: oclif takes ~1 s to start.
  [[ -x "$REAL_BIN" && -f "$MANIFEST" ]] || return 1
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$MANIFEST" | head -n1
}

check_node() {
  local npm="$1" major
  command -v node >/dev/null 2>&1 || { log "node is not on PATH: install Node.js >= $NODE_MAJOR_MIN (apt-get install nodejs npm)"; exit 2; }
  command -v "$npm" >/dev/null 2>&1 || { log "npm ($npm) not found: install npm (apt-get install npm)"; exit 2; }
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if (( major < NODE_MAJOR_MIN )); then
    log "node $(node --version) is too old for $PACKAGE@$VERSION: need >= $NODE_MAJOR_MIN"
    exit 2
  fi
}

install() {
  local npm="${GUANWU_NPM:-npm}"
  check_node "$npm"
  mkdir -p "$PREFIX"
  # A package.json of our own keeps npm from walking up into the repository looking for one.
  [[ -f "$PREFIX/package.json" ]] || echo '{"name": "guanwu-local-asyncapi", "private": true}' >"$PREFIX/package.json"
  log "installing $PACKAGE@$VERSION with npm $("$npm" --version) (node $(node --version)) into $PREFIX"
  if ! "$npm" install --prefix "$PREFIX" --save-exact --no-audit --no-fund --loglevel=error \
      "$PACKAGE@$VERSION" >&2; then
    log "npm install $PACKAGE@$VERSION failed"
    exit 1
  fi
}

write_wrapper() {
  # The CLI reads (and creates) its analytics settings file on every command; ours says "disabled".
  [[ -f "$ANALYTICS" ]] || echo '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"guanwu-local"}' >"$ANALYTICS"
  [[ -x "$BIN" ]] && return 0
  mkdir -p "$(dirname "$BIN")"
  cat >"$BIN" <<'WRAPPER'
#!/bin/sh
# Written by deploy/local/asyncapi.sh: the AsyncAPI CLI with its usage tracking off.
here="$(cd "$(dirname "$0")/.." && pwd)"
export ASYNCAPI_METRICS_CONFIG_PATH="${ASYNCAPI_METRICS_CONFIG_PATH:-$here/analytics.json}"
exec "$here/node_modules/.bin/asyncapi" "$@"
WRAPPER
  chmod +x "$BIN"
}

main() {
  local found
  found="$(installed_version || true)"
  if [[ "$found" == "$VERSION" ]]; then
    log "$PACKAGE $VERSION already in $PREFIX"
  else
    [[ -n "$found" ]] && log "found $PACKAGE '$found' at $PREFIX, want $VERSION: reinstalling"
    install
    found="$(installed_version || true)"
    if [[ "$found" != "$VERSION" ]]; then
      log "installed into $PREFIX but found version '$found' (want $VERSION) or no $REAL_BIN"
      exit 1
    fi
    log "installed $PACKAGE $VERSION into $PREFIX"
  fi
  write_wrapper
  echo "$BIN"
}

main "$@"
