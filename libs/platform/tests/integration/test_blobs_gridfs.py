"""GridFS on the Mongo store passes the blob contract against the real FerretDB: chunks and the files document
are where GridFS puts them, and a put that fails leaves no chunk behind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pymongo
import pytest

pytest.register_assert_rewrite("contract.blob_contract")

from contract.blob_contract import BlobContract, new_id, stream  # noqa: E402

from guanwu.platform.store.blobs import BlobStore, blobs_of  # noqa: E402
from guanwu.platform.store.blobs_gridfs import GridFSBlobStore  # noqa: E402
from guanwu.platform.store.mongo import MongoDocumentStore  # noqa: E402


@pytest.fixture(scope="module")
def database(mongo_url: str) -> Iterator[str]:
    name = f"guanwu_blobs_{uuid.uuid4().hex[:8]}"
    yield name
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(mongo_url)
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
async def store(mongo_url: str, database: str) -> AsyncIterator[MongoDocumentStore]:
    store = MongoDocumentStore(mongo_url, database)
    yield store
    await store.close()


class TestGridFSBlobs(BlobContract):
    @pytest.fixture(autouse=True)
    def _store(self, store: MongoDocumentStore, database: str) -> None:
        self.store, self.database = store, database
        self.bucket = f"b{uuid.uuid4().hex[:12]}"

    async def make_blobs(self) -> BlobStore:
        return blobs_of(self.store, self.bucket)

    async def leftovers(self, blobs: BlobStore, blob_id: str) -> list[str]:
        db = self.store.client[self.database]
        chunks = await db[f"{self.bucket}.chunks"].count_documents({"files_id": blob_id})
        files = await db[f"{self.bucket}.files"].count_documents({"_id": blob_id})
        return [f"{chunks} chunks"] * bool(chunks) + [f"{files} files"] * bool(files)


async def test_a_blob_is_a_files_document_and_its_chunks(store: MongoDocumentStore, database: str) -> None:
    blobs = blobs_of(store, "attachments_t")
    assert isinstance(blobs, GridFSBlobStore)
    blob_id = new_id()
    data = b"x" * (255 * 1024 + 1)
    await blobs.put(blob_id, stream(data), max_bytes=len(data))
    db = store.client[database]
    files = await db["attachments_t.files"].find_one({"_id": blob_id})
    assert files is not None and files["length"] == len(data)
    assert await db["attachments_t.chunks"].count_documents({"files_id": blob_id}) == 2
    assert await blobs.delete(blob_id)
    assert await db["attachments_t.chunks"].count_documents({"files_id": blob_id}) == 0
