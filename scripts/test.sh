#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, Python dependencies, real Kafka, FerretDB and
# pcscd, then lint, types and every test tier. Infrastructure started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="bash scripts/uv.sh"

step() { printf '\n== %s ==\n' "$*"; }

stop_infra() {
  step "stopping local infrastructure"
  bash deploy/local/infra.sh down all || true
  [ -f deploy/local/pcscd.sh ] && bash deploy/local/pcscd.sh down || true
}
trap stop_infra EXIT

# pcscd and its headers come first: pyscard builds from source against libpcsclite during `uv sync`.
if [ -f deploy/local/pcscd.sh ]; then
  step "pcscd + vpcd (virtual card reader)"
  bash deploy/local/pcscd.sh up
fi

step "python dependencies (uv sync --frozen)"
$UV sync --frozen

step "Kafka + FerretDB"
bash deploy/local/infra.sh up all

step "lint (ruff) and types (mypy)"
$UV run ruff check .
$UV run ruff format --check .
$UV run mypy

step "import boundaries (import-linter, contracts in pyproject.toml)"
$UV run lint-imports

export GUANWU_TEST_KAFKA="127.0.0.1:${GUANWU_KAFKA_PORT:-9092}"
export GUANWU_TEST_MONGO_URL="mongodb://127.0.0.1:${GUANWU_FERRETDB_PORT:-27017}/"
export GUANWU_REQUIRE_INTEGRATION=1

step "tools for the deployment files (kustomize from its Go module; promtool/prometheus; the AsyncAPI CLI), the browser, and the print/spreadsheet readers (poppler, a CJK font, LibreOffice Calc)"
bash deploy/local/kustomize.sh
bash deploy/local/prometheus.sh
bash deploy/local/asyncapi.sh
bash deploy/local/chromium.sh
bash deploy/local/print-tools.sh

step "tests: unit, integration, e2e"
$UV run pytest "$@"
