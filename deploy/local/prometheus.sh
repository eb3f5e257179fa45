#!/usr/bin/env bash
# Makes Debian's `prometheus` and `promtool` available for the tests of deploy/prometheus and
# deploy/grafana (promtool check/test rules; a real Prometheus evaluating every rule and panel).
# Idempotent: a fast no-op when both are on PATH. Otherwise, as root with apt-get, installs the Debian
# package `prometheus` (which ships both). Prints the versions found; exit 2 when they cannot be installed.
#
#   deploy/local/prometheus.sh          # install if missing, print versions
#
# The tests find the tools on PATH (`promtool`, `prometheus`), or at GUANWU_PROMTOOL / GUANWU_PROMETHEUS.
# Debian's package registers a system service; in containers policy-rc.d usually keeps it from starting,
# on a real host it starts on :9090 like any Debian package would. The tests never use that instance: they
# start their own Prometheus on a free port with storage in a temporary folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROMTOOL="${GUANWU_PROMTOOL:-promtool}"
PROMETHEUS="${GUANWU_PROMETHEUS:-prometheus}"

log() { echo "prometheus.sh: $*" >&2; }

present() {
  command -v "$PROMTOOL" >/dev/null 2>&1 && command -v "$PROMETHEUS" >/dev/null 2>&1
}

install_package() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "promtool/prometheus missing and apt-get is not available: install Prometheus 2.x by hand"
    exit 2
  fi
  if [[ "$(id -u)" != 0 ]]; then
    log "promtool/prometheus missing: run as root or: sudo apt-get install -y --no-install-recommends prometheus"
    exit 2
  fi
  mkdir -p "$ROOT/.local"
  local apt_log="$ROOT/.local/apt.log"
  log "installing the Debian package prometheus (log: $apt_log)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends prometheus >>"$apt_log" 2>&1; then
    # A fresh machine may have no package lists yet: update once, then try again.
    apt-get update >>"$apt_log" 2>&1 || { log "apt-get update failed (see $apt_log)"; exit 2; }
    apt-get install -y --no-install-recommends prometheus >>"$apt_log" 2>&1 \
      || { log "apt-get install prometheus failed (see $apt_log)"; exit 2; }
  fi
  present || { log "installed, but promtool/prometheus are still not on PATH"; exit 2; }
}

if present; then
  log "already installed"
else
  install_package
fi
echo "promtool: $("$PROMTOOL" --version 2>&1 | head -n 1) ($(command -v "$PROMTOOL"))"
echo "prometheus: $("$PROMETHEUS" --version 2>&1 | head -n 1) ($(command -v "$PROMETHEUS"))"
