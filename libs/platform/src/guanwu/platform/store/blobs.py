"""The blob store port: files kept outside the documents (attachments), streamed in and out, and its memory
adapter for unit tests.

A blob is bytes under an id the caller chose (never a user's file name: adapters refuse ids that are not
`BLOB_ID`), in a bucket a service names. `put` takes the bytes as an async stream and enforces the size limit
while they arrive; a put that fails for any reason (too large, the stream raised because the client went away,
the task was cancelled, the store failed) leaves nothing behind, and a blob becomes visible to `stat`/`open`
only once all of it is stored. Names, types and owners of blobs are the caller's documents' business.

Adapters: `MemoryBlobStore` here (tests), `blobs_folder` (files under the embedded data folder) and
`blobs_gridfs` (GridFS on the Mongo store). A document store offers the blob store that goes with it through
`blobs(bucket)` (`blobs_of`), so a composition root needs no second setting to find the files.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from guanwu.platform.store.port import StoreError

BLOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
BUCKET = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
READ_CHUNK_BYTES = 256 * 1024


class BlobTooLarge(StoreError):
    """The stream went past `max_bytes`; nothing was kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the blob is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


class BlobExists(StoreError):
    """A blob with this id is stored already (ids are the caller's fresh ids: this is a bug, not input)."""


@dataclass(frozen=True)
class BlobInfo:
    blob_id: str
    size: int


@dataclass(eq=False)
class BlobReader:
    """An open blob: its size, then its bytes in chunks (iterate once). Iterating to the end, or `aclose`,
    releases what the adapter holds open; a reader dropped unread is closed by `aclose` only."""

    size: int
    _chunks: AsyncIterator[bytes]
    _close: Callable[[], Awaitable[None]]
    _closed: bool = field(default=False, init=False)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._chunks:
                yield chunk
        finally:
            await self.aclose()

    async def read(self) -> bytes:
        """All of it (small blobs and tests)."""
        return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._close()


class BlobStore(Protocol):
    async def put(self, blob_id: str, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobInfo:
        """Store the stream under `blob_id`. Raises BlobTooLarge as soon as more than `max_bytes` arrived,
        BlobExists when the id is taken, and re-raises what the stream raised; nothing is kept then."""

    async def open(self, blob_id: str) -> BlobReader | None:
        """The blob to read, or None when there is none."""

    async def stat(self, blob_id: str) -> BlobInfo | None: ...

    async def delete(self, blob_id: str) -> bool:
        """True when a blob was deleted."""


@runtime_checkable
class BlobStores(Protocol):
    """A document store that keeps blobs next to its documents."""

    def blobs(self, bucket: str) -> BlobStore: ...


def blobs_of(store: object, bucket: str) -> BlobStore:
    """The blob store that goes with a document store (GridFS on Mongo, files in the SQLite store's data
    folder, memory with the memory store)."""
    if isinstance(store, BlobStores):
        return store.blobs(bucket)
    raise TypeError(f"{type(store).__name__} keeps no blobs: give the service a blob store")


def check_blob_id(blob_id: str) -> str:
    if not BLOB_ID.match(blob_id):
        raise ValueError(f"invalid blob id {blob_id!r}")
    return blob_id


def check_bucket(bucket: str) -> str:
    if not BUCKET.match(bucket):
        raise ValueError(f"invalid blob bucket {bucket!r}")
    return bucket


_cleanups: set[asyncio.Task[Any]] = set()


async def cleanup_even_if_cancelled(coro: Coroutine[Any, Any, Any]) -> None:
    """Run a failed put's cleanup to its end even when the put was cancelled (a client gone): it runs as its
    own task, which a cancellation of the caller (also a repeated one) does not stop."""
    task = asyncio.ensure_future(coro)
    _cleanups.add(task)
    task.add_done_callback(_cleanups.discard)
    await asyncio.shield(task)


async def limited(chunks: AsyncIterable[bytes], max_bytes: int) -> AsyncIterator[bytes]:
    """The stream's non-empty chunks, raising BlobTooLarge once more than `max_bytes` passed (the chunk that
    crosses the limit is not passed on)."""
    size = 0
    async for chunk in chunks:
        if not chunk:
            continue
        size += len(chunk)
        if size > max_bytes:
            raise BlobTooLarge(max_bytes)
        yield bytes(chunk)


class MemoryBlobStore:
    """Blobs in a dict (unit tests); a blob appears only once its whole stream was read."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    @property
    def ids(self) -> list[str]:
        """Every stored blob's id (tests assert that a failed put left nothing)."""
        return sorted(self._blobs)

    async def put(self, blob_id: str, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobInfo:
        check_blob_id(blob_id)
        if blob_id in self._blobs:
            raise BlobExists(blob_id)
        data = b"".join([chunk async for chunk in limited(chunks, max_bytes)])
        if blob_id in self._blobs:
            raise BlobExists(blob_id)
        self._blobs[blob_id] = data
        return BlobInfo(blob_id, len(data))

    async def open(self, blob_id: str) -> BlobReader | None:
        data = self._blobs.get(check_blob_id(blob_id))
        if data is None:
            return None
        return BlobReader(len(data), _slices(data), _nothing)

    async def stat(self, blob_id: str) -> BlobInfo | None:
        data = self._blobs.get(check_blob_id(blob_id))
        return None if data is None else BlobInfo(blob_id, len(data))

    async def delete(self, blob_id: str) -> bool:
        return self._blobs.pop(check_blob_id(blob_id), None) is not None


async def _slices(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), READ_CHUNK_BYTES):
        yield data[start : start + READ_CHUNK_BYTES]


async def _nothing() -> None:
    return None
