"""`guanwu replay query` on a data folder: the query read model built from the event log alone (nothing
projected it before), a folder without data refused, and a rebuild under way refused."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from typer.testing import CliRunner

from guanwu.cli.main import app
from guanwu.contracts import topics
from guanwu.contracts.events import DeclarationDrafted, DeclarationUpdated
from guanwu.platform.bus.event_log import EventLog
from guanwu.platform.events import envelope_for
from guanwu.platform.replay import RUNS_COLLECTION
from guanwu.platform.store.sqlite import SqliteDocumentStore


def _logged(data_dir: Path, declarations: int) -> None:
    """The event log of a data folder whose declaration events no query service ever projected."""

    async def write() -> None:
        store = SqliteDocumentStore(data_dir)
        try:
            messages = []
            for n in range(declarations):
                head = {"declaration_id": f"d{n}", "ie_flag": "E", "status": "草稿", "bill_no": f"B{n}"}
                for event in (DeclarationDrafted(**head, version=1), DeclarationUpdated(**head, version=2)):
                    envelope = envelope_for(event, source="/guanwu/declaration", tenant="acme")[1]
                    messages.append((envelope.subject.encode(), envelope.to_json_bytes()))
            await EventLog(store).append(topics.DECLARATION_EVENTS, messages)
        finally:
            await store.close()

    asyncio.run(write())


def _rows(data_dir: Path, collection: str) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        store = SqliteDocumentStore(data_dir)
        try:
            return await store.collection(collection).find({}, sort=[("_id", 1)])
        finally:
            await store.close()

    return asyncio.run(read())


def test_the_query_model_is_built_from_the_event_log(tmp_path: Path) -> None:
    _logged(tmp_path, 12)

    result = CliRunner().invoke(app, ["replay", "query", "--data-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "switched query_declarations" in result.output
    rows = _rows(tmp_path, "query_declarations")
    assert [(r["declaration_id"], r["version"]) for r in rows] == sorted((f"d{n}", 2) for n in range(12))


def test_a_folder_without_data_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["replay", "query", "--data-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "holds no guanwu data" in result.output
    assert not (tmp_path / "nothing").exists()


def test_a_rebuild_under_way_is_refused(tmp_path: Path) -> None:
    _logged(tmp_path, 2)

    async def claim() -> None:
        store = SqliteDocumentStore(tmp_path)
        try:
            held = {"_id": "query", "stamp": "running", "renewed_at": time.time()}
            await store.collection(RUNS_COLLECTION).insert(held)
        finally:
            await store.close()

    asyncio.run(claim())

    result = CliRunner().invoke(app, ["replay", "query", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "under way" in result.output
    assert _rows(tmp_path, "query_declarations") == []
