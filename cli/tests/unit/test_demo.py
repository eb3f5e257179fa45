"""`guanwu demo` walks a declaration to 放行 through the embedded system's public API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from guanwu.cli.demo import DemoFailed, walk

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "e2e"))
from embedded_system import bearer, running_embedded


async def test_the_demo_reaches_released(tmp_path: Path) -> None:
    said: list[str] = []
    async with running_embedded(tmp_path, ["acme"], with_signer=True) as (system, client):
        headers = bearer(system, "acme", roles=("preparer", "reviewer", "admin"))
        final = await walk(client, headers, said.append)
    assert final["status"] == "放行"
    assert "审单 returned with head.note_s marked red" in said
    assert any(line.startswith("审单 resubmitted: head.note_s stale (was ") for line in said)
    assert any(line.startswith("签名 signed by soft") for line in said)
    assert said[-1] == "状态 status now 放行"


async def test_the_demo_names_the_step_that_fails(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"]) as (system, client):
        with pytest.raises(DemoFailed, match="create: HTTP 403"):
            await walk(client, bearer(system, "acme", roles=("reviewer",)), print)
