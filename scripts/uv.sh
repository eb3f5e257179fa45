#!/usr/bin/env bash
# Runs uv, installing it first (from PyPI, with the machine's python3) when it is missing. The version is pinned
# here and in the Dockerfile (tests/deploy/test_container.py keeps them equal).
set -euo pipefail
if command -v uv >/dev/null 2>&1; then
  exec uv "$@"
fi
if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "uv not found: installing it with pip (python3 -m pip install uv==0.13.9)" >&2
  python3 -m pip install --quiet --disable-pip-version-check "uv==0.13.9" >&2
fi
exec python3 -m uv "$@"
