"""Blobs as files in a folder: the embedded default (`<data folder>/blobs/<bucket>/`).

Choices:
- A blob's path is built from its id only (`BLOB_ID`: letters, digits, `-`, `_`; never a user's file name),
  under a two-character shard folder so no folder grows past a few thousand files.
- A put streams into a fresh temporary file under `.partial/` (same file system), fsyncs it, and then
  hard-links it to its final name, which fails when the name exists (an atomic create-if-absent, where a
  rename would overwrite): a reader sees a whole blob or none. On any failure the temporary file is removed;
  one left by a killed process is swept by the next put once it is an hour old.
- File I/O runs in worker threads (a chunk at a time), so a slow disk never holds up the event loop.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import BinaryIO

from guanwu.platform.store.blobs import (
    READ_CHUNK_BYTES,
    BlobExists,
    BlobInfo,
    BlobReader,
    check_blob_id,
    cleanup_even_if_cancelled,
    limited,
)

PARTIAL_FOLDER = ".partial"
STALE_PARTIAL_SECONDS = 3600.0


class FolderBlobStore:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._partial = self.folder / PARTIAL_FOLDER
        self._swept = False

    def path_of(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        return self.folder / blob_id[:2] / blob_id

    async def put(self, blob_id: str, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobInfo:
        final = self.path_of(blob_id)
        if await asyncio.to_thread(final.exists):
            raise BlobExists(blob_id)
        temp, handle = await asyncio.to_thread(self._new_partial)
        size = 0
        try:
            async for chunk in limited(chunks, max_bytes):
                await asyncio.to_thread(handle.write, chunk)
                size += len(chunk)
            await asyncio.to_thread(_publish, handle, temp, final)
        except BaseException:
            await cleanup_even_if_cancelled(asyncio.to_thread(_discard, handle, temp))
            raise
        return BlobInfo(blob_id, size)

    async def open(self, blob_id: str) -> BlobReader | None:
        path = self.path_of(blob_id)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            return None
        size = os.fstat(handle.fileno()).st_size

        async def close() -> None:
            await asyncio.to_thread(handle.close)

        return BlobReader(size, _read(handle), close)

    async def stat(self, blob_id: str) -> BlobInfo | None:
        path = self.path_of(blob_id)
        try:
            found = await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            return None
        return BlobInfo(blob_id, found.st_size)

    async def delete(self, blob_id: str) -> bool:
        path = self.path_of(blob_id)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError:
            return False
        return True

    def partial_files(self) -> list[Path]:
        """Temporary files of puts under way (or of a killed process); tests assert a failed put left none."""
        return sorted(self._partial.glob("*")) if self._partial.is_dir() else []

    def _new_partial(self) -> tuple[Path, BinaryIO]:
        self._partial.mkdir(parents=True, exist_ok=True)
        if not self._swept:
            self._swept = True
            _sweep(self._partial, older_than=time.time() - STALE_PARTIAL_SECONDS)
        fd, name = tempfile.mkstemp(dir=self._partial, suffix=".partial")
        return Path(name), os.fdopen(fd, "wb")


async def _read(handle: BinaryIO) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(handle.read, READ_CHUNK_BYTES):
        yield chunk


def _publish(handle: BinaryIO, temp: Path, final: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(temp, final)
    except FileExistsError:
        raise BlobExists(final.name) from None
    temp.unlink()
    _fsync_folder(final.parent)


def _discard(handle: BinaryIO, temp: Path) -> None:
    try:
        handle.close()
    finally:
        temp.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sweep(partial: Path, *, older_than: float) -> None:
    for path in partial.glob("*.partial"):
        try:
            if path.stat().st_mtime < older_than:
                path.unlink()
        except FileNotFoundError:
            continue
