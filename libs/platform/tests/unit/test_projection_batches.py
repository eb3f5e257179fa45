"""apply_many_if_newer: a batch of projection rows changes each row at most to its newest version, and an
old or repeated row changes nothing, exactly as one apply_if_newer per row would."""

from __future__ import annotations

import pytest

from guanwu.platform.idempotency import PROJECTION_VERSION_FIELD, ProjectionRow, apply_many_if_newer
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import Collection, ConcurrencyConflict


def row(doc_id: str, version: int, status: str) -> ProjectionRow:
    return ProjectionRow(doc_id, version, {"status": status})


async def rows_of(collection: Collection) -> dict[str, tuple[int, str]]:
    return {d["_id"]: (d[PROJECTION_VERSION_FIELD], d["status"]) for d in await collection.find({})}


async def test_the_newest_version_of_each_row_wins_and_old_ones_change_nothing() -> None:
    collection = MemoryDocumentStore().collection("rows")
    await apply_many_if_newer(collection, [row("kept", 5, "newer already"), row("old", 1, "first")])

    changed = await apply_many_if_newer(
        collection,
        [
            row("new", 2, "second"),
            row("new", 3, "third"),  # two events of one aggregate in the batch
            row("new", 1, "first"),  # an older one arriving late
            row("kept", 4, "stale"),
            row("old", 2, "updated"),
        ],
    )

    assert changed == 2
    assert await rows_of(collection) == {
        "new": (3, "third"),
        "kept": (5, "newer already"),
        "old": (2, "updated"),
    }
    assert await apply_many_if_newer(collection, [row("new", 3, "third"), row("old", 2, "updated")]) == 0


async def test_a_row_that_meets_a_concurrent_writer_is_applied_alone() -> None:
    collection = MemoryDocumentStore().collection("rows")
    await apply_many_if_newer(collection, [row("a", 1, "first")])
    real_replace = collection.replace
    raced: list[str] = []

    async def replace_after_a_rival(doc, *, expected_version):  # type: ignore[no-untyped-def]
        if not raced:  # another writer lands version 2 between our read and our replace
            raced.append(doc["_id"])
            current = await collection.get(doc["_id"])
            assert current is not None
            await real_replace(
                {**current, "status": "rival", PROJECTION_VERSION_FIELD: 2}, expected_version=1
            )
            raise ConcurrencyConflict(collection.name, doc["_id"], expected_version)
        return await real_replace(doc, expected_version=expected_version)

    collection.replace = replace_after_a_rival  # type: ignore[method-assign]
    assert await apply_many_if_newer(collection, [row("a", 3, "third")]) == 1
    assert await rows_of(collection) == {"a": (3, "third")}


@pytest.mark.parametrize("versions", [[1, 2, 3], [3, 2, 1], [2, 3, 1]])
async def test_any_order_of_delivery_ends_in_the_same_row(versions: list[int]) -> None:
    collection = MemoryDocumentStore().collection("rows")
    for version in versions:
        await apply_many_if_newer(collection, [row("a", version, f"v{version}")])
    assert await rows_of(collection) == {"a": (3, "v3")}
