"""Blobs in GridFS on the Mongo store's database (`<bucket>.files`, `<bucket>.chunks`), through PyMongo's async
GridFS bucket; works on FerretDB 1.24 (tests/integration/test_blobs_gridfs.py).

Choices:
- GridFS writes a blob's `files` document only after its last chunk, so a blob is visible to `stat`/`open`
  once whole. A put that fails (too large, the stream raised, cancelled) aborts the upload, which deletes
  the chunks written so far; that cleanup runs even when the put is cancelled. A process killed mid-upload
  leaves orphan chunks without a `files` document: invisible, and not swept (yet).
- The id is checked free before writing: GridFS's abort deletes every chunk of the id, so a second upload
  under a taken id would destroy the first blob. Ids are the callers' fresh ids (two puts racing on one id
  is a caller's bug), so the check is not made atomic.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from gridfs import AsyncGridFSBucket, NoFile
from gridfs.asynchronous.grid_file import AsyncGridIn, AsyncGridOut
from pymongo.asynchronous.database import AsyncDatabase

from guanwu.platform.store.blobs import (
    BlobExists,
    BlobInfo,
    BlobReader,
    check_blob_id,
    check_bucket,
    cleanup_even_if_cancelled,
    limited,
)

CHUNK_BYTES = 255 * 1024  # GridFS's default: a chunk document stays far below 16 MB


class GridFSBlobStore:
    def __init__(self, database: AsyncDatabase[Any], bucket: str) -> None:
        self._gridfs = AsyncGridFSBucket(
            database, bucket_name=check_bucket(bucket), chunk_size_bytes=CHUNK_BYTES
        )
        self._files = database[f"{bucket}.files"]

    async def put(self, blob_id: str, chunks: AsyncIterable[bytes], *, max_bytes: int) -> BlobInfo:
        if await self.stat(blob_id) is not None:
            raise BlobExists(blob_id)
        upload = self._gridfs.open_upload_stream_with_id(blob_id, blob_id)
        size = 0
        try:
            async for chunk in limited(chunks, max_bytes):
                await upload.write(chunk)
                size += len(chunk)
            await upload.close()
        except BaseException:
            await cleanup_even_if_cancelled(_abort(upload))
            raise
        return BlobInfo(blob_id, size)

    async def open(self, blob_id: str) -> BlobReader | None:
        check_blob_id(blob_id)
        try:
            download = await self._gridfs.open_download_stream(blob_id)
        except NoFile:
            return None
        return BlobReader(download.length, _read(download), download.close)

    async def stat(self, blob_id: str) -> BlobInfo | None:
        found = await self._files.find_one({"_id": check_blob_id(blob_id)}, {"length": 1})
        return None if found is None else BlobInfo(blob_id, int(found["length"]))

    async def delete(self, blob_id: str) -> bool:
        try:
            await self._gridfs.delete(check_blob_id(blob_id))
        except NoFile:
            return False
        return True


async def _abort(upload: AsyncGridIn) -> None:
    await upload.abort()


async def _read(download: AsyncGridOut) -> AsyncIterator[bytes]:
    while chunk := await download.readchunk():
        yield chunk
