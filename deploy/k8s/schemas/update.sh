#!/usr/bin/env bash
# Re-vendors the ServiceMonitor (monitoring.coreos.com/v1) schema that tests/deploy/test_k8s.py validates the
# rendered ServiceMonitors against: kubernetes-validate has schemas for built-in kinds only.
#
# Source: the prometheus-operator Go module from the Go module proxy (checksummed by sum.golang.org), file
# example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml (the CRD the operator installs);
# written here: that CRD's spec.versions[name=v1].schema.openAPIV3Schema, unchanged, as JSON.
# Usage: deploy/k8s/schemas/update.sh [version]     (default: the version below; needs go and the uv workspace)
set -euo pipefail

VERSION="${1:-v0.85.0}"
MODULE=github.com/prometheus-operator/prometheus-operator
CRD=example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
GO="$(command -v go || echo /usr/local/go/bin/go)"

dir="$(cd /tmp && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$GO" mod download -json "$MODULE@$VERSION" \
  | bash "$ROOT/scripts/uv.sh" run python -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
echo "update.sh: $MODULE@$VERSION in $dir" >&2
sha256sum "$dir/$CRD" >&2

bash "$ROOT/scripts/uv.sh" run python - "$dir/$CRD" "$HERE/servicemonitor-monitoring-v1.json" <<'PY'
import json
import sys

import yaml

crd = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
(version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
with open(sys.argv[2], "w", encoding="utf-8") as out:
    json.dump(version["schema"]["openAPIV3Schema"], out, indent=1, sort_keys=True, ensure_ascii=False)
    out.write("\n")
print(f"update.sh: wrote {sys.argv[2]}", file=sys.stderr)
PY
