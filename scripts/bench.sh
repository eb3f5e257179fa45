#!/usr/bin/env bash
# Throughput benches: every figure next to a baseline measured in the same run, reported as a ratio.
#   bash scripts/bench.sh            (or `make bench`)
# Starts the local infrastructure (no-op when it runs), then runs each bench that exists and prints a summary
# of the RESULT/INFO lines at the end. A failing bench is reported and the others still run; exit 1 then.
# Environment: GUANWU_BENCH_BUS_EVENTS (20000), GUANWU_BENCH_PIPELINE_EVENTS (2000),
#   GUANWU_BENCH_EMBEDDED_EVENTS (5000), GUANWU_BENCH_LATENCY_RECEIPTS (1000),
#   GUANWU_BENCH_LATENCY_FEED_RECEIPTS (40), GUANWU_BENCH_SYNC_DECLARATIONS (10000, embedded),
#   GUANWU_BENCH_SYNC_DISTRIBUTED_DECLARATIONS (1000), GUANWU_BENCH_ANOMALY_RECEIPTS (2000, embedded),
#   GUANWU_BENCH_ANOMALY_DISTRIBUTED_RECEIPTS (1000), GUANWU_BENCH_QUERY_ROWS (1000000, a multiple of 400),
#   GUANWU_BENCH_QUERY_SAMPLES (200),
#   GUANWU_KAFKA_BOOTSTRAP (127.0.0.1:9092), GUANWU_MONGO_URL (mongodb://127.0.0.1:27017/).
set -uo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
UV="${UV:-bash scripts/uv.sh}"
BOOTSTRAP="${GUANWU_KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
MONGO_URL="${GUANWU_MONGO_URL:-mongodb://127.0.0.1:27017/}"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/guanwu-bench.XXXXXX")"
failed=()

bash deploy/local/infra.sh up all || { echo "[bench] infrastructure did not start" >&2; exit 1; }

# run NAME ARGS...: run bench/NAME.py if present, tee its output to $OUT/NAME.txt.
run() {
    local name="$1"; shift
    local file="bench/$name.py"
    if [ ! -f "$file" ]; then
        echo "[bench] $file not present, skipped"
        return 0
    fi
    echo
    echo "================================================================ $file $*"
    if ! $UV run python "$file" "$@" 2>&1 | tee "$OUT/$name.txt"; then
        failed+=("$name")
    fi
}

run store
run bus --bootstrap "$BOOTSTRAP" --events "${GUANWU_BENCH_BUS_EVENTS:-20000}"
run pipeline --bootstrap "$BOOTSTRAP" --mongo-url "$MONGO_URL" --events "${GUANWU_BENCH_PIPELINE_EVENTS:-2000}"
run embedded --events "${GUANWU_BENCH_EMBEDDED_EVENTS:-5000}"
run latency --bootstrap "$BOOTSTRAP" --mongo-url "$MONGO_URL" --receipts "${GUANWU_BENCH_LATENCY_RECEIPTS:-1000}" \
    --feed-receipts "${GUANWU_BENCH_LATENCY_FEED_RECEIPTS:-40}"
run customs
run signer
run declaration
run sync --bootstrap "$BOOTSTRAP" --mongo-url "$MONGO_URL" --declarations "${GUANWU_BENCH_SYNC_DECLARATIONS:-10000}" \
    --distributed-declarations "${GUANWU_BENCH_SYNC_DISTRIBUTED_DECLARATIONS:-1000}"
run anomaly --bootstrap "$BOOTSTRAP" --mongo-url "$MONGO_URL" --receipts "${GUANWU_BENCH_ANOMALY_RECEIPTS:-2000}" \
    --distributed-receipts "${GUANWU_BENCH_ANOMALY_DISTRIBUTED_RECEIPTS:-1000}"
run query --mongo-url "$MONGO_URL" --rows "${GUANWU_BENCH_QUERY_ROWS:-1000000}" \
    --samples "${GUANWU_BENCH_QUERY_SAMPLES:-200}"
run review --bootstrap "$BOOTSTRAP" --mongo-url "$MONGO_URL" --tasks "${GUANWU_BENCH_REVIEW_TASKS:-100000}" \
    --distributed-tasks "${GUANWU_BENCH_REVIEW_DISTRIBUTED_TASKS:-20000}" --marks "${GUANWU_BENCH_REVIEW_MARKS:-2000}"

echo
echo "================================================================ summary (ratio = guanwu / baseline, same run)"
for f in "$OUT"/*.txt; do
    [ -f "$f" ] || continue
    name="$(basename "$f" .txt)"
    lines="$(grep -E '^(RESULT|INFO)\b|ratio' "$f" | grep -Ev '^\s*(Traceback|File )' | tail -n 8)"
    if [ -n "$lines" ]; then
        printf '%s\n' "$lines" | sed "s/^/[$name] /"
    else
        echo "[$name] (no ratio lines printed)"
    fi
done
echo "full outputs: $OUT"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "[bench] FAILED: ${failed[*]}" >&2
    exit 1
fi
