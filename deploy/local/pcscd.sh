#!/usr/bin/env bash
# Runs Debian's pcscd with the vsmartcard vpcd reader driver for guanwu's virtual card (a TEST/DEMO device).
# Idempotent:  deploy/local/pcscd.sh up|down|status
#   up      install the Debian packages if missing, then start pcscd in the background with a private
#           reader config (.local/pcscd/reader.conf) declaring one vpcd reader on GUANWU_VPCD_PORT
#   down    stop the pcscd this script started (by its pid file)
#   status  exit 0 when that pcscd runs; reports the vpcd port it was started on (the reader config in the
#           state folder), whether vpcd listens there, and when GUANWU_VPCD_PORT now asks for another
# vpcd listens on all interfaces: run it only on test and development machines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${GUANWU_PCSCD_DIR:-$ROOT/.local/pcscd}"
PORT="${GUANWU_VPCD_PORT:-35963}"
PIDFILE="$STATE/pcscd.pid"
LOG="$ROOT/.local/pcscd.log"
PACKAGES=(pcscd libpcsclite-dev swig vsmartcard-vpcd)
VPCD_LIB=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

log() { echo "pcscd.sh: $*" >&2; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_packages() {
  local missing
  missing="$(missing_packages)"
  [[ -z "$missing" ]] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing Debian packages: $(echo $missing) and apt-get is not available; install them by hand"
    exit 2
  fi
  if [[ "$(id -u)" != 0 ]]; then
    log "missing Debian packages: $(echo $missing); run as root or: sudo apt-get install -y $(echo $missing)"
    exit 2
  fi
  log "installing $(echo $missing)"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y --no-install-recommends $missing >>"$ROOT/.local/apt.log" 2>&1; then
    apt-get update >>"$ROOT/.local/apt.log" 2>&1 || { log "apt-get update failed (see .local/apt.log)"; exit 2; }
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing >>"$ROOT/.local/apt.log" 2>&1 \
      || { log "apt-get install failed (see .local/apt.log)"; exit 2; }
  fi
}

vpcd_listening() {
  local hex
  hex="$(printf '%04X' "${1:-$PORT}")"
  grep -qE "^ *[0-9]+: [0-9A-F:]+:$hex [0-9A-F:]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# The vpcd port the running pcscd was started on: CHANNELID of the reader config `up` wrote, which is what
# pcscd read. GUANWU_VPCD_PORT may differ by now (another shell, or unset after `up` on another port).
port_in_use() {
  local key value
  [[ -f "$STATE/reader.conf" ]] || return 0
  while read -r key value; do
    if [[ "$key" == CHANNELID ]]; then
      echo "$value"
      return 0
    fi
  done <"$STATE/reader.conf"
}

running() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

write_config() {
  mkdir -p "$STATE"
  # CHANNELID is the TCP port vpcd listens on; the card (python -m guanwu.smartcard_sim) connects to it.
  cat >"$STATE/reader.conf" <<CONF
FRIENDLYNAME "GUANWU Virtual Card Reader"
DEVICENAME   /dev/null:$PORT
LIBPATH      $VPCD_LIB
CHANNELID    $PORT
CONF
}

up() {
  mkdir -p "$ROOT/.local"
  install_packages
  if running; then
    local in_use
    in_use="$(port_in_use)"
    log "already running (pid $(cat "$PIDFILE"), vpcd port ${in_use:-unknown})"
    if [[ "$in_use" != "$PORT" ]]; then
      log "GUANWU_VPCD_PORT asks for $PORT: run '$0 down' first to move vpcd there"
    fi
    return 0
  fi
  if pgrep -x pcscd >/dev/null 2>&1; then
    log "another pcscd (pid $(pgrep -x pcscd | tr '\n' ' ')) is running: stop it first, it owns the PC/SC socket"
    exit 3
  fi
  write_config
  rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid 2>/dev/null || true
  # --foreground keeps pcscd a child we can track by pid; --debug logs every APDU (PIN bytes included!) so
  # it is opt-in through GUANWU_PCSCD_DEBUG=1 only.
  local args=(--foreground --config "$STATE/reader.conf")
  [[ "${GUANWU_PCSCD_DEBUG:-0}" == 1 ]] && args+=(--debug --apdu)
  nohup pcscd "${args[@]}" >>"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  local i
  for i in $(seq 1 100); do
    if ! running; then
      log "pcscd exited at start; see $LOG"
      exit 1
    fi
    # Probe the listening socket without connecting: a connection would look like a card to vpcd.
    if [[ -S /run/pcscd/pcscd.comm ]] && vpcd_listening; then
      log "up (pid $(cat "$PIDFILE"), vpcd port $PORT, log $LOG)"
      return 0
    fi
    sleep 0.1
  done
  log "pcscd started but vpcd does not listen on $PORT after 10 s; see $LOG"
  exit 1
}

down() {
  if running; then
    local pid
    pid="$(cat "$PIDFILE")"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped (pid $pid)"
  else
    log "not running"
  fi
  rm -f "$PIDFILE"
}

status() {
  if running; then
    local port listening="listening" asked=""
    port="$(port_in_use)"
    if [[ -z "$port" ]]; then
      port="unknown" listening="(no $STATE/reader.conf)"
    elif ! vpcd_listening "$port"; then
      listening="not listening"
    fi
    if [[ -n "${GUANWU_VPCD_PORT:-}" && "$GUANWU_VPCD_PORT" != "$port" ]]; then
      asked=", not GUANWU_VPCD_PORT=$GUANWU_VPCD_PORT (down, then up, to move it)"
    fi
    echo "pcscd running (pid $(cat "$PIDFILE"), vpcd port $port $listening$asked, config $STATE/reader.conf)"
  else
    echo "pcscd not running"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 64 ;;
esac
