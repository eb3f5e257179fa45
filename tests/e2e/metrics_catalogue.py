"""The metric catalogue as docs/metrics.md states it: the tables' rows of `guanwu_` metrics.

The document is the reference SREs, rules and dashboards read; the tests hold the code to it rather than to a
copy of it, so the two cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
TYPES = ("counter", "gauge", "histogram")
METRIC_MODULES = (
    "guanwu.platform.metrics",
    "guanwu.declaration.metrics",
    "guanwu.anomaly.metrics",
    "guanwu.sync.metrics",
    "guanwu.card_signer.metrics",
)
"""Where guanwu's metrics are defined: importing these registers every one of them."""


@dataclass(frozen=True)
class Metric:
    name: str
    """As exposed: a counter's name ends in `_total`, a histogram's series add `_bucket`, `_sum`, `_count`."""
    type: str
    labels: tuple[str, ...]
    exposed_by: str


def catalogue(document: Path = DOCUMENT) -> list[Metric]:
    metrics = []
    for line in document.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `guanwu_"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name, kind, labels, _meaning, exposed_by = cells
        assert kind in TYPES, f"{name}: unknown type {kind!r}"
        metrics.append(
            Metric(
                name=name.strip("`"),
                type=kind,
                labels=tuple(re.findall(r"`([a-z_]+)`", labels)),
                exposed_by=exposed_by,
            )
        )
    assert metrics, f"no metric rows found in {document}"
    return metrics
