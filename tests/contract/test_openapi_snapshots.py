"""Each service's HTTP API equals its committed OpenAPI document (docs/openapi/<service>.json).

A refactoring must leave these files untouched; a deliberate API change refreshes them with
`uv run python -m guanwu.cli.openapi write` and shows up as a reviewed diff.
"""

from __future__ import annotations

import difflib

import pytest

from guanwu.cli.distributed import SERVICES
from guanwu.cli.openapi import SNAPSHOT_DIR, render, service_openapi

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_openapi_document_matches_the_committed_snapshot(service: str) -> None:
    committed = (SNAPSHOT_DIR / f"{service}.json").read_text(encoding="utf-8")
    current = render(service_openapi(service))
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            current.splitlines(keepends=True),
            "committed",
            "current",
            n=2,
        )
    )
    assert not diff, f"{service}'s OpenAPI document changed:\n{diff[:4000]}"
