#!/usr/bin/env bash
# Makes Debian's chromium available for the console's browser tests (Playwright for Python drives it with
# executable_path=/usr/bin/chromium: `playwright install` cannot download browsers here).
# Idempotent: a fast no-op when the browser is there. Otherwise, as root with apt-get, installs Debian's
# `chromium` package. Prints the version found; exit 2 when it cannot be installed.
#
#   deploy/local/chromium.sh          # install if missing, print the version
#
# Also installs a small CJK font (fonts-wqy-microhei) when none is present, or every screenshot of the
# Chinese console shows empty boxes. The tests find the browser at GUANWU_CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

CHROMIUM="${GUANWU_CHROMIUM:-/usr/bin/chromium}"

log() { echo "chromium.sh: $*" >&2; }

missing=()
[[ -x "$CHROMIUM" ]] || missing+=(chromium)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-wqy-microhei); fi
if (( ${#missing[@]} )); then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "${missing[*]} missing and apt-get is not available: install by hand"
    exit 2
  fi
  if [[ "$(id -u)" != 0 ]]; then
    log "${missing[*]} missing: run as root (or: sudo apt-get install -y --no-install-recommends ${missing[*]})"
    exit 2
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi
"$CHROMIUM" --version
