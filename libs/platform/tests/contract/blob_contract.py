"""One contract every blob store adapter must pass (memory, folder, GridFS on FerretDB).

A subclass provides `make_blobs()` (a fresh bucket each time) and `leftovers()`: what a failed put might
have left behind in the adapter's own terms (temporary files, orphan chunks), which must be empty after
every refused or broken put.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from guanwu.platform.store.blobs import BlobExists, BlobStore, BlobTooLarge


async def stream(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


class ClientGone(Exception):
    pass


async def breaks_after(*parts: bytes) -> AsyncIterator[bytes]:
    """The parts, then the stream fails as a request body does when its client disconnects."""
    for part in parts:
        yield part
    raise ClientGone


def new_id() -> str:
    return uuid.uuid4().hex


class BlobContract:
    async def make_blobs(self) -> BlobStore:
        raise NotImplementedError

    async def leftovers(self, blobs: BlobStore, blob_id: str) -> list[str]:
        """What remains of a put of `blob_id` that did not complete (empty: nothing)."""
        raise NotImplementedError

    @pytest.fixture
    async def blobs(self) -> BlobStore:
        return await self.make_blobs()

    async def test_put_then_read_back_the_same_bytes_in_chunks(self, blobs: BlobStore) -> None:
        data = os.urandom(700 * 1024 + 13)  # several chunks in every adapter, the last one short
        blob_id = new_id()
        info = await blobs.put(blob_id, stream(data[:1000], data[1000:], b""), max_bytes=len(data))
        assert (info.blob_id, info.size) == (blob_id, len(data))
        assert await blobs.stat(blob_id) == info
        reader = await blobs.open(blob_id)
        assert reader is not None and reader.size == len(data)
        chunks = [chunk async for chunk in reader]
        assert len(chunks) > 1
        assert b"".join(chunks) == data

    async def test_an_empty_blob_is_kept(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        assert (await blobs.put(blob_id, stream(), max_bytes=10)).size == 0
        reader = await blobs.open(blob_id)
        assert reader is not None and await reader.read() == b""

    async def test_missing_blobs_are_none(self, blobs: BlobStore) -> None:
        assert await blobs.open(new_id()) is None
        assert await blobs.stat(new_id()) is None
        assert await blobs.delete(new_id()) is False

    async def test_delete(self, blobs: BlobStore) -> None:
        blob_id, other = new_id(), new_id()
        await blobs.put(blob_id, stream(b"gone"), max_bytes=10)
        await blobs.put(other, stream(b"kept"), max_bytes=10)
        assert await blobs.delete(blob_id) is True
        assert await blobs.open(blob_id) is None and await blobs.stat(blob_id) is None
        assert await blobs.delete(blob_id) is False
        reader = await blobs.open(other)
        assert reader is not None and await reader.read() == b"kept"

    async def test_exactly_the_limit_is_allowed(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        assert (await blobs.put(blob_id, stream(b"12345", b"67890"), max_bytes=10)).size == 10

    async def test_one_byte_over_the_limit_keeps_nothing(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        big = os.urandom(600 * 1024)  # past the first GridFS chunk, so chunks were written before the refusal
        with pytest.raises(BlobTooLarge) as refused:
            await blobs.put(blob_id, stream(big, b"x"), max_bytes=len(big))
        assert refused.value.max_bytes == len(big)
        assert await blobs.stat(blob_id) is None and await blobs.open(blob_id) is None
        assert await self.leftovers(blobs, blob_id) == []

    async def test_the_limit_stops_reading_the_stream(self, blobs: BlobStore) -> None:
        read: list[int] = []

        async def endless() -> AsyncIterator[bytes]:
            while True:
                read.append(1)
                yield b"x" * 1024

        with pytest.raises(BlobTooLarge):
            await blobs.put(new_id(), endless(), max_bytes=10 * 1024)
        assert len(read) == 11

    async def test_a_stream_that_breaks_halfway_keeps_nothing(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        with pytest.raises(ClientGone):
            await blobs.put(blob_id, breaks_after(os.urandom(600 * 1024)), max_bytes=10**7)
        assert await blobs.stat(blob_id) is None
        assert await self.leftovers(blobs, blob_id) == []

    async def test_a_cancelled_put_keeps_nothing(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        started = asyncio.Event()

        async def stalls() -> AsyncIterator[bytes]:
            yield os.urandom(600 * 1024)
            started.set()
            await asyncio.Event().wait()
            yield b"never"

        put = asyncio.create_task(blobs.put(blob_id, stalls(), max_bytes=10**7))
        await started.wait()
        put.cancel()
        with pytest.raises(asyncio.CancelledError):
            await put
        assert await blobs.stat(blob_id) is None
        assert await self.leftovers(blobs, blob_id) == []

    async def test_a_taken_id_is_refused_and_the_first_blob_kept(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        await blobs.put(blob_id, stream(b"first"), max_bytes=10)
        with pytest.raises(BlobExists):
            await blobs.put(blob_id, stream(b"second"), max_bytes=10)
        reader = await blobs.open(blob_id)
        assert reader is not None and await reader.read() == b"first"

    @pytest.mark.parametrize("blob_id", ["../etc/passwd", "a/b", "", ".hidden", "x" * 129, "名字"])
    async def test_ids_that_could_be_paths_are_refused(self, blobs: BlobStore, blob_id: str) -> None:
        with pytest.raises(ValueError, match="invalid blob id"):
            await blobs.put(blob_id, stream(b"x"), max_bytes=10)
        with pytest.raises(ValueError, match="invalid blob id"):
            await blobs.open(blob_id)

    async def test_a_reader_closed_early_releases_the_blob(self, blobs: BlobStore) -> None:
        blob_id = new_id()
        await blobs.put(blob_id, stream(os.urandom(600 * 1024)), max_bytes=10**7)
        reader = await blobs.open(blob_id)
        assert reader is not None
        await reader.aclose()
        assert await blobs.delete(blob_id) is True
