#!/usr/bin/env bash
# Local infrastructure for guanwu development and tests (no Docker):
#   - Apache Kafka 4.0.2, single node, KRaft (broker+controller), jars from Maven Central
#   - FerretDB 1.24.2 (MongoDB wire protocol), built from the Go module proxy, storing into
#   - PostgreSQL 15 (Debian's package, installed with apt-get when missing), a cluster of its own under .local/
#
# Usage: deploy/local/infra.sh up|down|status|kill|wipe [kafka|postgres|ferretdb|all]     (default: all)
#   ferretdb includes postgres: `up ferretdb` starts both, `down|kill ferretdb` stop only the wire server,
#   `wipe ferretdb` deletes the database too.
#   up      fetch/build (first time only), format, start in the background, wait until ready.
#           No-op for a component that is already running.
#   down    SIGTERM, wait up to GUANWU_STOP_TIMEOUT (30 s), then SIGKILL. No-op if not running.
#   status  one line per component; exit 0 if all requested are running, 3 otherwise.
#   kill    SIGKILL at once (fault tests); the data is kept.
#   wipe    stop, then delete the data folders (downloaded jars / built binary are kept).
#
# Environment: GUANWU_LOCAL_DIR (default <repo>/.local), GUANWU_KAFKA_PORT (9092),
#   GUANWU_KAFKA_CONTROLLER_PORT (9093), GUANWU_FERRETDB_PORT (27017), GUANWU_POSTGRES_PORT (55432),
#   GUANWU_POSTGRES_USER (the OS user PostgreSQL runs as when this script runs as root: postgres),
#   GUANWU_KAFKA_HEAP_OPTS ("-Xms256m -Xmx512m"), GUANWU_START_TIMEOUT (120 s), GUANWU_STOP_TIMEOUT (30 s).
# Exit codes: 0 ok, 1 failure, 2 usage error or missing tool (java/mvn/go/postgresql), 3 status: not all running.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
LOCAL_DIR="${GUANWU_LOCAL_DIR:-$REPO_ROOT/.local}"

KAFKA_PORT="${GUANWU_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${GUANWU_KAFKA_CONTROLLER_PORT:-9093}"
FERRETDB_PORT="${GUANWU_FERRETDB_PORT:-27017}"
POSTGRES_PORT="${GUANWU_POSTGRES_PORT:-55432}"
KAFKA_HEAP_OPTS="${GUANWU_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${GUANWU_START_TIMEOUT:-120}"
STOP_TIMEOUT="${GUANWU_STOP_TIMEOUT:-30}"
HOST=127.0.0.1

KAFKA_SRC="$SCRIPT_DIR/kafka"
KAFKA_HOME="$LOCAL_DIR/kafka"
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_CONF="$KAFKA_HOME/server.properties"
KAFKA_LOG="$KAFKA_HOME/kafka.log"
KAFKA_PID="$KAFKA_HOME/kafka.pid"

FERRETDB_SRC="$SCRIPT_DIR/ferretdb"
FERRETDB_HOME="$LOCAL_DIR/ferretdb"
FERRETDB_BIN="$FERRETDB_HOME/bin/ferretdb"
FERRETDB_LOG="$FERRETDB_HOME/ferretdb.log"
FERRETDB_PID="$FERRETDB_HOME/ferretdb.pid"

POSTGRES_HOME="$LOCAL_DIR/postgres"
POSTGRES_DATA="$POSTGRES_HOME/data"
POSTGRES_LOG="$POSTGRES_HOME/postgres.log"
POSTGRES_DB=ferretdb
# FerretDB holds a PostgreSQL connection per statement of a running update command and per open cursor:
# more than its default 50 (the cluster allows max_connections = 200).
FERRETDB_POOL=120

# ---------------------------------------------------------------------------------------------- helpers

log() { printf '[infra] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
    sed -n '2,/^# Exit codes/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit "${1:-2}"
}

# need TOOL HINT: exit 2 with an install hint when TOOL is not on PATH.
need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        log "ERROR: '$1' is required but not installed. $2"
        exit 2
    fi
}

need_java() { need java "Install a JDK/JRE >= 17, e.g. 'apt-get install -y openjdk-17-jre-headless'."; }
need_mvn() { need mvn "Install Maven >= 3.6, e.g. 'apt-get install -y maven' (needs Maven Central)."; }
need_go() {
    local hint="Install Go >= 1.24 (FerretDB 1.24.2 needs it; Debian 12's golang-go is too old: use a newer golang-1.2x package or the official Go tarball)."
    need go "$hint"
    local v
    v="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)"   # e.g. go1.26.8
    v="${v#go}"
    local major="${v%%.*}" rest="${v#*.}"
    local minor="${rest%%[!0-9]*}"
    if [[ ! "$major" =~ ^[0-9]+$ || ! "$minor" =~ ^[0-9]+$ ]] || ((major < 1 || (major == 1 && minor < 24))); then
        log "ERROR: go '$v' is too old or unknown. $hint"
        exit 2
    fi
}

# sha256 of the given files' contents (stamp for "fetched/built from these inputs").
inputs_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

# port_open PORT: a TCP connect to 127.0.0.1:PORT succeeds within 1 s.
port_open() {
    timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# pid_of PIDFILE MATCH: prints the pid if the pid file names a live process whose command line contains MATCH.
pid_of() {
    local pidfile="$1" match="$2" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$match" || return 1
    printf '%s\n' "$pid"
}

# pid_alive PIDFILE: the pid in PIDFILE is a live process. During start this, not pid_of, tells a process that
# exited from one still between `sh` and the exec of its command (its /proc cmdline can read empty for a moment).
pid_alive() {
    local pid
    pid="$(cat "$1" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# start_bg PIDFILE LOGFILE CMD...: start CMD detached (own session), stdout+stderr appended to LOGFILE;
# the pid written is the one of CMD itself (sh execs it).
start_bg() {
    local pidfile="$1" logfile="$2"
    shift 2
    rm -f "$pidfile"
    printf '\n===== %s: starting: %s\n' "$(date -Is)" "$*" >>"$logfile"
    # shellcheck disable=SC2016 # $$ and $0 are for the inner sh
    nohup setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 &
    local i
    for i in $(seq 50); do
        [[ -s "$pidfile" ]] && return 0
        sleep 0.1
    done
    die "process did not start (no pid file $pidfile); see $logfile"
}

# status_line NAME PID PORT LOG PROBE...: one line of `status`; exit 0 when the process runs and PROBE answers
# (running), 3 otherwise (starting: a process but no answer yet; stopped: no process).
status_line() {
    local name="$1" pid="$2" port="$3" logfile="$4"
    shift 4
    if [[ -n "$pid" ]] && "$@"; then
        printf '%-9s running  port=%s pid=%s log=%s\n' "$name" "$port" "$pid" "$logfile"
        return 0
    elif [[ -n "$pid" ]]; then
        printf '%-9s starting port=%s pid=%s log=%s\n' "$name" "$port" "$pid" "$logfile"
    else
        printf '%-9s stopped  port=%s\n' "$name" "$port"
    fi
    return 3
}

# stop_pid NAME PID: SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL.
stop_pid() {
    local name="$1" pid="$2" i
    log "$name: stopping (SIGTERM pid $pid)"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { log "$name: stopped"; return 0; }
        sleep 0.1
    done
    log "$name: still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    die "$name: pid $pid survived SIGKILL"
}

# ------------------------------------------------------------------------------------------------ kafka

kafka_pid() { pid_of "$KAFKA_PID" "kafka.Kafka $KAFKA_CONF"; }

kafka_fetch() {
    local want
    want="$(inputs_hash "$KAFKA_SRC/pom.xml")"
    if [[ -f "$KAFKA_LIB/.fetched" && "$(cat "$KAFKA_LIB/.fetched")" == "$want" ]]; then
        return 0
    fi
    need_java
    need_mvn
    log "kafka: fetching jars from Maven Central into $KAFKA_LIB (first time only)"
    mkdir -p "$KAFKA_HOME"
    rm -rf "$KAFKA_LIB.tmp"
    if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_SRC/pom.xml" \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
        -DoutputDirectory="$KAFKA_LIB.tmp" -DincludeScope=runtime >"$KAFKA_HOME/mvn.log" 2>&1; then
        tail -n 40 "$KAFKA_HOME/mvn.log" >&2 || true
        die "kafka: mvn copy-dependencies failed; see $KAFKA_HOME/mvn.log"
    fi
    [[ -f "$KAFKA_LIB.tmp/kafka_2.13-4.0.2.jar" ]] || die "kafka: kafka_2.13-4.0.2.jar missing after fetch"
    printf '%s\n' "$want" >"$KAFKA_LIB.tmp/.fetched"
    rm -rf "$KAFKA_LIB"
    mv "$KAFKA_LIB.tmp" "$KAFKA_LIB"
}

kafka_render_conf() {
    mkdir -p "$KAFKA_DATA"
    sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
        -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|@DATA_DIR@|$KAFKA_DATA|g" \
        "$KAFKA_SRC/server.properties.template" >"$KAFKA_CONF.tmp"
    mv "$KAFKA_CONF.tmp" "$KAFKA_CONF"
}

# kafka_java_cmd ARGS...: sets the array KAFKA_JAVA to the java command line running ARGS.
kafka_java_cmd() {
    local heap
    read -r -a heap <<<"$KAFKA_HEAP_OPTS"
    KAFKA_JAVA=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
        -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.properties" -Dkafka.logs.dir="$KAFKA_HOME"
        -cp "$KAFKA_LIB/*" "$@")
}

# A fresh KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what StorageTool random-uuid
# prints), never starting with '-'.
new_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        [[ "$id" != -* ]] && break
    done
    printf '%s\n' "$id"
}

kafka_format() {
    [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
    local id
    id="$(new_cluster_id)"
    log "kafka: formatting $KAFKA_DATA (cluster id $id)"
    kafka_java_cmd kafka.tools.StorageTool format -t "$id" -c "$KAFKA_CONF" --ignore-formatted
    "${KAFKA_JAVA[@]}" >>"$KAFKA_LOG" 2>&1 ||
        die "kafka: storage format failed; see $KAFKA_LOG"
}

# kafka_probe: the broker answers a Metadata v4 request (all topics) and lists at least one broker, i.e. it
# has caught up with the controller and is unfenced. Pure bash; no JVM.
kafka_probe() {
    # shellcheck disable=SC2016 # the inner script gets host and port as $0 and $1
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        # size=20 | api_key=3 (Metadata) api_version=4 correlation_id=0x2a client_id="probe" |
        # topics=null (-1) allow_auto_topic_creation=false
        printf "\x00\x00\x00\x14\x00\x03\x00\x04\x00\x00\x00\x2a\x00\x05probe\xff\xff\xff\xff\x00" >&3
        hdr="$(head -c 16 <&3 | od -An -tx1 | tr -d " \n")"
        # size(4) correlation_id(4)=0000002a throttle_time_ms(4) brokers count(4) >= 1
        [[ ${#hdr} -eq 32 && ${hdr:8:8} == 0000002a ]] || exit 1
        (( 16#${hdr:24:8} >= 1 && 16#${hdr:24:8} < 1000 ))
    ' "$HOST" "$KAFKA_PORT" 2>/dev/null
}

kafka_start() {
    if kafka_pid >/dev/null; then
        return 0
    fi
    rm -f "$KAFKA_PID"
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        port_open "$p" && die "kafka: port $p is already in use by another process (not started by this script)"
    done
    need_java
    kafka_fetch
    kafka_render_conf
    kafka_format
    log "kafka: starting on $HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    kafka_java_cmd kafka.Kafka "$KAFKA_CONF"
    start_bg "$KAFKA_PID" "$KAFKA_LOG" "${KAFKA_JAVA[@]}"
}

kafka_wait() {
    local pid i
    for ((i = 0; i < START_TIMEOUT * 2; i++)); do
        pid="$(kafka_pid)" || {
            pid_alive "$KAFKA_PID" && { sleep 0.5; continue; }
            tail -n 30 "$KAFKA_LOG" >&2 || true
            die "kafka: process exited during start; see $KAFKA_LOG"
        }
        if kafka_probe; then
            log "kafka: ready on $HOST:$KAFKA_PORT (pid $pid), log $KAFKA_LOG"
            return 0
        fi
        sleep 0.5
    done
    die "kafka: not ready after ${START_TIMEOUT}s; see $KAFKA_LOG"
}

kafka_up() {
    if kafka_pid >/dev/null && kafka_probe; then
        log "kafka: already running on $HOST:$KAFKA_PORT (pid $(kafka_pid)), log $KAFKA_LOG"
        return 0
    fi
    kafka_start
    kafka_wait
}

kafka_down() {
    local pid
    if pid="$(kafka_pid)"; then
        stop_pid kafka "$pid"
    else
        log "kafka: not running"
    fi
    rm -f "$KAFKA_PID"
}

kafka_kill() {
    local pid
    if pid="$(kafka_pid)"; then
        log "kafka: SIGKILL pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    else
        log "kafka: not running"
    fi
    rm -f "$KAFKA_PID"
}

kafka_wipe() {
    kafka_down
    log "kafka: deleting $KAFKA_DATA"
    rm -rf "$KAFKA_DATA"
}

kafka_status() { status_line kafka "$(kafka_pid || true)" "$KAFKA_PORT" "$KAFKA_LOG" kafka_probe; }

# --------------------------------------------------------------------------------------------- postgres
# FerretDB's store. PostgreSQL refuses to run as root: as root, the cluster belongs to GUANWU_POSTGRES_USER.

POSTGRES_OS_USER="${GUANWU_POSTGRES_USER:-postgres}"

# as_pg CMD...: run CMD as the cluster's owner (this user unless we are root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u "$POSTGRES_OS_USER" -- "$@"
    else
        "$@"
    fi
}

# postgres_bin: the folder of the newest installed PostgreSQL server (Debian layout), installing it if missing.
postgres_bin() {
    local bin
    bin="$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$bin" ]]; then
        if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
            log "ERROR: PostgreSQL is required but not installed. Install Debian's 'postgresql' (e.g. 'sudo apt-get install -y postgresql-15')."
            exit 2
        fi
        log "postgres: installing Debian's postgresql (first time only; log in $LOCAL_DIR/apt.log)"
        mkdir -p "$LOCAL_DIR"
        # Debian's package would also create and start a cluster of its own on 5432: ours is separate anyway.
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >>"$LOCAL_DIR/apt.log" 2>&1 ||
            { apt-get update >>"$LOCAL_DIR/apt.log" 2>&1 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >>"$LOCAL_DIR/apt.log" 2>&1; } ||
            die "postgres: apt-get install postgresql failed; see $LOCAL_DIR/apt.log"
        bin="$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/pg_ctl' | sort -V | tail -n 1)"
    fi
    dirname "$bin"
}

postgres_pid() {
    local pid
    [[ -f "$POSTGRES_DATA/postmaster.pid" ]] || return 1
    pid="$(head -n 1 "$POSTGRES_DATA/postmaster.pid" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$POSTGRES_DATA" || return 1
    printf '%s\n' "$pid"
}

postgres_init() {
    local bin="$1"
    [[ -f "$POSTGRES_DATA/PG_VERSION" ]] && return 0
    as_pg test -w "$POSTGRES_HOME" ||
        die "postgres: $POSTGRES_OS_USER cannot write $POSTGRES_HOME (every parent folder must be traversable)"
    log "postgres: creating a cluster in $POSTGRES_DATA"
    rm -rf "$POSTGRES_DATA"
    as_pg "$bin/initdb" -D "$POSTGRES_DATA" -U postgres -E UTF8 --locale=C.UTF-8 -A trust >>"$POSTGRES_LOG" 2>&1 ||
        die "postgres: initdb failed; see $POSTGRES_LOG"
    # Tuned for tests: commits do not wait for the WAL flush (a crash of PostgreSQL may lose the last
    # commits, never corrupt: fsync stays on). TCP on loopback only, no Unix socket (paths can be too long).
    as_pg tee -a "$POSTGRES_DATA/postgresql.conf" >/dev/null <<CONF

# guanwu (deploy/local/infra.sh)
listen_addresses = '$HOST'
port = $POSTGRES_PORT
unix_socket_directories = ''
synchronous_commit = off
fsync = on
max_connections = 200
shared_buffers = 256MB
CONF
}

postgres_up() {
    local bin pid
    if pid="$(postgres_pid)" && port_open "$POSTGRES_PORT"; then
        log "postgres: already running on $HOST:$POSTGRES_PORT (pid $pid), log $POSTGRES_LOG"
        return 0
    fi
    bin="$(postgres_bin)"
    mkdir -p "$POSTGRES_HOME"
    touch "$POSTGRES_LOG"
    if [[ "$(id -u)" == 0 ]]; then
        id "$POSTGRES_OS_USER" >/dev/null 2>&1 ||
            die "postgres: OS user '$POSTGRES_OS_USER' does not exist (set GUANWU_POSTGRES_USER to an unprivileged user)"
        chown "$POSTGRES_OS_USER" "$POSTGRES_HOME" "$POSTGRES_LOG"
    fi
    postgres_init "$bin"
    if [[ -z "${pid:-}" ]]; then
        port_open "$POSTGRES_PORT" &&
            die "postgres: port $POSTGRES_PORT is already in use by another process (not started by this script)"
        log "postgres: starting on $HOST:$POSTGRES_PORT (cluster $POSTGRES_DATA)"
        as_pg "$bin/pg_ctl" -D "$POSTGRES_DATA" -l "$POSTGRES_LOG" -w -t "$START_TIMEOUT" -o "-p $POSTGRES_PORT" start >/dev/null ||
            { tail -n 30 "$POSTGRES_LOG" >&2 || true; die "postgres: did not start; see $POSTGRES_LOG"; }
    fi
    if ! as_pg "$bin/psql" -h "$HOST" -p "$POSTGRES_PORT" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'" | grep -q 1; then
        as_pg "$bin/createdb" -h "$HOST" -p "$POSTGRES_PORT" -U postgres "$POSTGRES_DB" ||
            die "postgres: createdb $POSTGRES_DB failed"
    fi
    log "postgres: ready on $HOST:$POSTGRES_PORT (pid $(postgres_pid)), log $POSTGRES_LOG"
}

# postgres_stop MODE: pg_ctl stop -m MODE (fast: orderly; immediate: like a crash, recovery at next start).
postgres_stop() {
    local pid
    if ! pid="$(postgres_pid)"; then
        log "postgres: not running"
        return 0
    fi
    log "postgres: stopping ($1, pid $pid)"
    as_pg "$(postgres_bin)/pg_ctl" -D "$POSTGRES_DATA" -m "$1" -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1 ||
        stop_pid postgres "$pid"
}

postgres_down() { postgres_stop fast; }
postgres_kill() { postgres_stop immediate; }

postgres_wipe() {
    postgres_down
    log "postgres: deleting $POSTGRES_DATA"
    rm -rf "$POSTGRES_DATA"
}

postgres_status() {
    status_line postgres "$(postgres_pid || true)" "$POSTGRES_PORT" "$POSTGRES_LOG" port_open "$POSTGRES_PORT"
}

# --------------------------------------------------------------------------------------------- ferretdb

ferretdb_pid() { pid_of "$FERRETDB_PID" "$FERRETDB_BIN"; }

ferretdb_build() {
    local want
    want="$(inputs_hash "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" "$FERRETDB_SRC/main.go")"
    if [[ -x "$FERRETDB_BIN" && -f "$FERRETDB_BIN.built" && "$(cat "$FERRETDB_BIN.built")" == "$want" ]]; then
        return 0
    fi
    need_go
    log "ferretdb: building $FERRETDB_BIN (first time only; downloads modules, ~1-2 min on 2 cores)"
    mkdir -p "$(dirname "$FERRETDB_BIN")"
    (
        cd "$FERRETDB_SRC"
        GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
            go build -trimpath -o "$FERRETDB_BIN.tmp" .
    ) || die "ferretdb: go build failed"
    mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
    printf '%s\n' "$want" >"$FERRETDB_BIN.built"
}

ferretdb_up() {
    local pid i
    postgres_up
    if pid="$(ferretdb_pid)" && port_open "$FERRETDB_PORT"; then
        log "ferretdb: already running on $HOST:$FERRETDB_PORT (pid $pid), log $FERRETDB_LOG"
        return 0
    fi
    if [[ -z "${pid:-}" ]]; then
        rm -f "$FERRETDB_PID"
        port_open "$FERRETDB_PORT" &&
            die "ferretdb: port $FERRETDB_PORT is already in use by another process (not started by this script)"
        ferretdb_build
        log "ferretdb: starting on $HOST:$FERRETDB_PORT (PostgreSQL $HOST:$POSTGRES_PORT/$POSTGRES_DB)"
        start_bg "$FERRETDB_PID" "$FERRETDB_LOG" \
            "$FERRETDB_BIN" -listen-addr "$HOST:$FERRETDB_PORT" \
            -postgresql-url "postgres://postgres@$HOST:$POSTGRES_PORT/$POSTGRES_DB?pool_max_conns=$FERRETDB_POOL"
    fi
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        pid="$(ferretdb_pid)" || {
            pid_alive "$FERRETDB_PID" && { sleep 0.1; continue; }
            tail -n 30 "$FERRETDB_LOG" >&2 || true
            die "ferretdb: process exited during start; see $FERRETDB_LOG"
        }
        if port_open "$FERRETDB_PORT"; then
            log "ferretdb: ready on $HOST:$FERRETDB_PORT (pid $pid), log $FERRETDB_LOG"
            return 0
        fi
        sleep 0.1
    done
    die "ferretdb: not ready after ${START_TIMEOUT}s; see $FERRETDB_LOG"
}

ferretdb_down() {
    local pid
    if pid="$(ferretdb_pid)"; then
        stop_pid ferretdb "$pid"
    else
        log "ferretdb: not running"
    fi
    rm -f "$FERRETDB_PID"
}

ferretdb_kill() {
    local pid
    if pid="$(ferretdb_pid)"; then
        log "ferretdb: SIGKILL pid $pid"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    else
        log "ferretdb: not running"
    fi
    rm -f "$FERRETDB_PID"
}

ferretdb_wipe() {
    ferretdb_down
    postgres_wipe
    rm -rf "$FERRETDB_HOME/data"   # the SQLite files of the FerretDB used before PostgreSQL
}

ferretdb_status() {
    status_line ferretdb "$(ferretdb_pid || true)" "$FERRETDB_PORT" "$FERRETDB_LOG" port_open "$FERRETDB_PORT"
}

# ------------------------------------------------------------------------------------------------- main

main() {
    local cmd="${1:-}" target="${2:-all}"
    [[ $# -le 2 ]] || usage
    case "$target" in kafka | postgres | ferretdb | all) ;; *) usage ;; esac
    local components=("$target")
    # The wire server goes down before the database it writes to.
    [[ "$target" == all ]] && components=(kafka ferretdb postgres)

    case "$cmd" in
    up)
        mkdir -p "$LOCAL_DIR"
        if [[ "$target" == all ]]; then
            # Overlap Kafka's boot with FerretDB's (first-time) build.
            if kafka_pid >/dev/null && kafka_probe; then
                kafka_up
                ferretdb_up
            else
                kafka_start
                ferretdb_up
                kafka_wait
            fi
        else
            "${target}_up"
        fi
        ;;
    down | kill | wipe)
        local c
        for c in "${components[@]}"; do "${c}_${cmd}"; done
        ;;
    status)
        local c rc=0
        [[ "$target" == ferretdb ]] && components=(postgres ferretdb)
        [[ "$target" == all ]] && components=(kafka postgres ferretdb)
        for c in "${components[@]}"; do "${c}_status" || rc=3; done
        return "$rc"
        ;;
    -h | --help | help) usage 0 ;;
    *) usage ;;
    esac
}

main "$@"
