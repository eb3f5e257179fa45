#!/usr/bin/env bash
# Tools the print and spreadsheet tests use: poppler's pdftotext/pdftoppm (read and render the PDFs), a CJK
# TrueType font to embed (fonts-wqy-microhei: reportlab embeds TrueType outlines, not the CFF outlines of
# fonts-noto-cjk), and LibreOffice Calc headless (opens every exported .xlsx, as customs staff would).
# Idempotent: a fast no-op when everything is there. Otherwise, as root with apt-get, installs Debian's
# packages. Exit 2 when something is missing and cannot be installed.
#
#   deploy/local/print-tools.sh
set -euo pipefail

log() { echo "print-tools.sh: $*" >&2; }

missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || missing+=(fonts-wqy-microhei)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
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
pdftotext -v 2>&1 | sed -n 1p
soffice --version 2>/dev/null | sed -n 1p
