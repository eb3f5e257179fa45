"""The memory and folder blob stores pass the blob contract; the folder store's files are whole or absent, and
each document store offers the blob store that goes with it."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("contract.blob_contract")

from contract.blob_contract import BlobContract, ClientGone, breaks_after, new_id, stream  # noqa: E402

from guanwu.platform.store.blobs import BlobStore, MemoryBlobStore, blobs_of  # noqa: E402
from guanwu.platform.store.blobs_folder import STALE_PARTIAL_SECONDS, FolderBlobStore  # noqa: E402
from guanwu.platform.store.memory import MemoryDocumentStore  # noqa: E402
from guanwu.platform.store.sqlite import SqliteDocumentStore  # noqa: E402


class TestMemoryBlobs(BlobContract):
    async def make_blobs(self) -> BlobStore:
        return MemoryBlobStore()

    async def leftovers(self, blobs: BlobStore, blob_id: str) -> list[str]:
        assert isinstance(blobs, MemoryBlobStore)
        return [b for b in blobs.ids if b == blob_id]


class TestFolderBlobs(BlobContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "blobs" / "bucket"

    async def make_blobs(self) -> BlobStore:
        return FolderBlobStore(self.folder)

    async def leftovers(self, blobs: BlobStore, blob_id: str) -> list[str]:
        assert isinstance(blobs, FolderBlobStore)
        return [*map(str, _files(self.folder)), *map(str, blobs.partial_files())]


def _files(folder: Path) -> list[Path]:
    return [p.relative_to(folder) for p in folder.rglob("*") if p.is_file()]


async def test_a_folder_blob_is_one_file_named_by_its_id_under_the_folder(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path)
    blob_id = new_id()
    await blobs.put(blob_id, stream(b"abc"), max_bytes=10)
    assert _files(tmp_path) == [Path(blob_id[:2]) / blob_id]
    assert blobs.partial_files() == []


async def test_a_folder_put_is_invisible_until_whole(tmp_path: Path) -> None:
    blobs = FolderBlobStore(tmp_path)
    blob_id = new_id()
    seen_while_streaming: list[object] = []

    async def watched() -> AsyncIterator[bytes]:
        yield b"first half"
        seen_while_streaming.append(await blobs.stat(blob_id))
        seen_while_streaming.append(len(blobs.partial_files()))
        yield b"second half"

    await blobs.put(blob_id, watched(), max_bytes=100)
    assert seen_while_streaming == [None, 1]
    assert (await blobs.stat(blob_id)) is not None


async def test_a_partial_file_left_by_a_killed_process_is_swept_once_stale(tmp_path: Path) -> None:
    partial = tmp_path / ".partial"
    partial.mkdir()
    stale, fresh = partial / "old.partial", partial / "new.partial"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    long_ago = time.time() - STALE_PARTIAL_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))
    blobs = FolderBlobStore(tmp_path)
    with pytest.raises(ClientGone):
        await blobs.put(new_id(), breaks_after(b"z"), max_bytes=10)
    assert blobs.partial_files() == [fresh]


async def test_each_document_store_offers_its_blobs(tmp_path: Path) -> None:
    memory = MemoryDocumentStore()
    assert isinstance(blobs_of(memory, "attachments"), MemoryBlobStore)
    assert blobs_of(memory, "attachments") is blobs_of(memory, "attachments")
    sqlite = SqliteDocumentStore(tmp_path / "data")
    try:
        folder_blobs = blobs_of(sqlite, "attachments")
        assert isinstance(folder_blobs, FolderBlobStore)
        assert folder_blobs.folder == tmp_path / "data" / "blobs" / "attachments"
    finally:
        await sqlite.close()
    with pytest.raises(ValueError, match="invalid blob bucket"):
        blobs_of(memory, "../up")
    with pytest.raises(TypeError, match="keeps no blobs"):
        blobs_of(object(), "attachments")
