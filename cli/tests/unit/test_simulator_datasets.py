"""`guanwu up --simulator --simulator-dataset demo:2000:200`: the embedded simulator starts with the
enterprise's records spread over the last 30 days, ready for `guanwu sync … --by-day`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from embedded_system import SECRET
from typer.testing import CliRunner

from guanwu.cli.embedded import build_embedded
from guanwu.cli.main import app
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.singlewindow_sim.seeding import SeedSpec


async def test_the_embedded_simulator_starts_with_the_data_sets_it_is_given() -> None:
    system = build_embedded(
        MemoryDocumentStore(),
        SECRET,
        tenants=["demo"],
        simulator=True,
        simulator_datasets=[SeedSpec.parse("demo:120:20"), SeedSpec.parse("acme:5:0:9")],
    )
    async with (
        system.app.router.lifespan_context(system.app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=system.app), base_url="http://guanwu") as client,
    ):
        demo = (await client.get("/sim/datasets/demo")).json()
        assert (demo["declarations"], demo["bonded_lists"], demo["seed"]) == (120, 20, 1)
        assert (await client.get("/sim/datasets/acme")).json()["seed"] == 9
        end = datetime.fromisoformat(demo["end"])
        assert abs(end - datetime.now(UTC)) < timedelta(minutes=5)  # the last 30 days, to now
        token = (await client.post("/sim/session", json={"enterprise": "demo"})).json()["token"]
        window = {"updated_from": demo["start"], "updated_to": demo["end"], "limit": 500}
        found = 0
        for category in "123":
            page = await client.get(
                "/sim/query/declarations",
                params={"enterprise": "demo", "enterprise_category": category, **window},
                headers={"Authorization": f"Bearer {token}"},
            )
            found += page.json()["total"]
        assert found == 120


def test_data_sets_need_the_simulator() -> None:
    with pytest.raises(ValueError, match="simulator"):
        build_embedded(
            MemoryDocumentStore(), SECRET, tenants=["demo"], simulator_datasets=[SeedSpec("demo", 1, 1)]
        )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--simulator", "--simulator-dataset", "demo:lots:1"], "whole numbers"),
        (["--simulator", "--simulator-dataset", "demo:2000"], "ENTERPRISE:DECLARATIONS:BONDED_LISTS"),
        (["--simulator", "--simulator-dataset", "demo:100001:0"], "at most"),
        (["--simulator-dataset", "demo:10:1"], "add --simulator"),
    ],
)
def test_guanwu_up_refuses_a_bad_data_set_before_writing_anything(
    tmp_path: Path, args: list[str], says: str
) -> None:
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(app, ["up", "--data-dir", str(data_dir), "--port", "1", *args])
    assert result.exit_code == 2 and says in result.output
    assert not data_dir.exists()


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("demo:2000:200", SeedSpec("demo", 2000, 200, 1)),
        ("acme:0:20000:42", SeedSpec("acme", 0, 20000, 42)),
    ],
)
def test_a_data_set_spec(text: str, spec: SeedSpec) -> None:
    assert SeedSpec.parse(text) == spec
