"""附件 (F-24) through the HTTP API: upload, list, download, delete; refusals (size, type from the content, empty,
names), tenants, and uploads that fail halfway leaving nothing behind."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from anomaly_harness import NOW, URL
from openpyxl import Workbook
from service_http import TEST_AUTH, bearer, built_with, serving

from guanwu.anomaly import bootstrap
from guanwu.anomaly.adapters.attachments import BLOB_BUCKET
from guanwu.anomaly.config import AnomalySettings
from guanwu.anomaly.domain.attachments import AttachmentKind, content_disposition, sanitized_name
from guanwu.anomaly.domain.records import AnomalyInput, AnomalyType, anomaly_entered
from guanwu.anomaly.service_layer.handlers.attachments import (
    AttachmentPolicy,
    Attachments,
    OnRecord,
    Upload,
    add_attachment,
)
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.platform.runtime import Runtime
from guanwu.platform.store.blobs import MemoryBlobStore, blobs_of
from guanwu.platform.store.memory import MemoryDocumentStore

FORM = {"document_no": "610120260000012345", "anomaly_type": "查验", "occurred_on": "2026-03-02"}
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 50 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 300
    + b"This program cannot be run"
)
MAX_BYTES = 64 * 1024


class Api:
    def __init__(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        self.client, self.runtime = client, runtime

    @property
    def blobs(self) -> MemoryBlobStore:
        blobs = blobs_of(self.runtime.store, BLOB_BUCKET)
        assert isinstance(blobs, MemoryBlobStore)
        return blobs

    async def record(self, tenant: str = "acme") -> str:
        response = await self.client.post(URL, json=FORM, headers=bearer(tenant=tenant))
        assert response.status_code == 201, response.text
        return str(response.json()["anomaly_id"])

    async def upload(
        self, anomaly_id: str, name: str, data: bytes, tenant: str = "acme", **headers: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"{URL}/{anomaly_id}/attachments",
            files={"file": (name, data, "application/octet-stream")},
            headers={**bearer(tenant=tenant), **headers},
        )

    async def stored_documents(self) -> list[dict[str, Any]]:
        return await self.runtime.store.collection("anomaly_attachments").find({})

    async def history(self, anomaly_id: str) -> list[dict[str, Any]]:
        doc = await self.runtime.store.collection("anomaly_records").get(anomaly_id)
        assert doc is not None
        return list(doc["history"])


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    settings = AnomalySettings(auth=TEST_AUTH, attachment_max_bytes=MAX_BYTES)
    build = built_with(partial(bootstrap.build, clock=lambda: NOW), settings)
    async with serving(build, "anomaly") as (client, runtime):
        yield Api(client, runtime)


def xlsx() -> bytes:
    book = Workbook()
    book.active.append(["报关单号", "异常类型"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(**members: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return out.getvalue()


def refusal(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["message_zh"] and error["message_en"]
    return error


async def assert_nothing_kept(api: Api) -> None:
    assert api.blobs.ids == []
    assert await api.stored_documents() == []


async def test_a_chinese_named_pdf_round_trips(api: Api) -> None:
    anomaly_id = await api.record()
    response = await api.upload(anomaly_id, "查验通知书 2026.pdf", PDF)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["name"], created["size"], created["content_type"], created["kind"]) == (
        "查验通知书 2026.pdf",
        len(PDF),
        "application/pdf",
        "pdf",
    )
    assert (created["uploaded_by"], created["uploaded_at"]) == ("u1", NOW.isoformat().replace("+00:00", "Z"))
    assert "tenant" not in created

    listed = await api.client.get(f"{URL}/{anomaly_id}/attachments", headers=bearer())
    assert listed.status_code == 200 and listed.json() == {"items": [created]}

    download = await api.client.get(
        f"{URL}/{anomaly_id}/attachments/{created['attachment_id']}", headers=bearer()
    )
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(PDF))
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote('查验通知书 2026.pdf', safe='')}" in disposition
    assert disposition.encode("latin-1")  # the header itself is plain ASCII

    entry = (await api.history(anomaly_id))[-1]
    assert (entry["version"], entry["by"], entry["action"]) == (2, "u1", "changed")
    assert entry["changes"] == [{"field": "attachments", "before": None, "after": "查验通知书 2026.pdf"}]


async def test_an_xlsx_and_a_text_file_are_accepted_and_typed_from_their_content(api: Api) -> None:
    anomaly_id = await api.record()
    sheet = await api.upload(anomaly_id, "清单.xlsx", xlsx())
    assert sheet.status_code == 201, sheet.text
    assert sheet.json()["kind"] == "xlsx"
    text = await api.upload(
        anomaly_id, "说明.csv", "报关单号,异常类型\n610120260000012345,查验\n".encode("gb18030")
    )
    assert text.status_code == 201, text.text
    assert (text.json()["kind"], text.json()["content_type"]) == ("csv", "text/csv; charset=utf-8")
    unnamed = await api.upload(anomaly_id, "", PNG)
    assert unnamed.status_code == 201, unnamed.text
    assert unnamed.json()["name"] == "附件.png"


async def test_an_oversized_file_is_refused_with_413_and_nothing_kept(api: Api) -> None:
    anomaly_id = await api.record()
    exactly = await api.upload(anomaly_id, "a.pdf", PDF + b" " * (MAX_BYTES - len(PDF)))
    assert exactly.status_code == 201, exactly.text
    await api.client.delete(
        f"{URL}/{anomaly_id}/attachments/{exactly.json()['attachment_id']}", headers=bearer()
    )

    error = refusal(await api.upload(anomaly_id, "big.pdf", PDF + b" " * MAX_BYTES), 413)
    assert (error["code"], error["max_bytes"]) == ("anomaly.attachment_too_large", MAX_BYTES)
    await assert_nothing_kept(api)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("report.pdf", EXE, "anomaly.attachment_type_not_allowed"),  # a renamed .exe
        (
            "setup.exe",
            PDF,
            "anomaly.attachment_type_not_allowed",
        ),  # an extension not allowed, whatever inside
        ("photo.pdf", PNG, "anomaly.attachment_type_mismatch"),  # allowed content, but not what the name says
        ("notes.txt", b"plain text" + b"\x00" * 20, "anomaly.attachment_type_not_allowed"),  # binary as .txt
        ("book.xlsx", zipped(a__b="x"), "anomaly.attachment_type_not_allowed"),  # a zip but no Office file
        (
            "book.xlsx",
            zipped(**{"[Content_Types].xml": "<x/>", "word__document.xml": "<w/>"}),
            "anomaly.attachment_type_mismatch",
        ),
        ("archive", zipped(a="x"), "anomaly.attachment_type_not_allowed"),
    ],
)
async def test_a_type_not_allowed_is_refused_from_its_content(
    api: Api, name: str, data: bytes, code: str
) -> None:
    anomaly_id = await api.record()
    error = refusal(await api.upload(anomaly_id, name, data), 422)
    assert (error["code"], error["field"]) == (code, "file")
    await assert_nothing_kept(api)


async def test_an_empty_file_is_refused(api: Api) -> None:
    anomaly_id = await api.record()
    error = refusal(await api.upload(anomaly_id, "empty.pdf", b""), 422)
    assert (error["code"], error["field"]) == ("anomaly.attachment_empty", "file")
    await assert_nothing_kept(api)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\evil.txt", "evil.txt"),
        ("/abs/path/说明.txt", "说明.txt"),
        ("what?<>|:*.txt", "what______.txt"),
        ("..", "附件.txt"),
        ("x" * 300 + ".txt", "x" * 116 + ".txt"),
    ],
)
async def test_names_are_sanitised(api: Api, sent: str, kept: str) -> None:
    anomaly_id = await api.record()
    response = await api.upload(anomaly_id, sent, b"some text")
    assert response.status_code == 201, response.text
    assert response.json()["name"] == kept


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("a\x00b\x1f\u202ec\r\n.txt", "abc.txt"),  # control and format characters (a right-to-left override)
        ('a"b.pdf', "a_b.pdf"),
        ("CON.txt", "_CON.txt"),
        (" . 名字 .. ", "名字"),
        ("e\u0301.txt", "\u00e9.txt"),  # NFC
        ("a." + "x" * 20, "a." + "x" * 20),  # no extension that long: all of it is the stem
        (None, ""),
    ],
)
def test_sanitised_names(sent: str | None, kept: str) -> None:
    assert sanitized_name(sent) == kept


def test_the_disposition_has_an_ascii_name_and_the_real_one() -> None:
    assert content_disposition('报关单 "1".pdf') == (
        "attachment; filename=\"___ _1_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%85%B3%E5%8D%95%20%221%22.pdf"
    )


async def test_an_rfc5987_file_name_is_read(api: Api) -> None:
    anomaly_id = await api.record()
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="x.txt"; filename*=UTF-8\'\''
        + quote("报关单.pdf").encode()
        + b"\r\nContent-Type: application/pdf\r\n\r\n"
        + PDF
        + b"\r\n--XyZ--\r\n"
    )
    response = await api.client.post(
        f"{URL}/{anomaly_id}/attachments",
        content=body,
        headers={**bearer(), "content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "报关单.pdf"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{}"),
        ("multipart/form-data", b"--a\r\n"),
        ("multipart/form-data; boundary=a", b""),
        (
            "multipart/form-data; boundary=a",
            b'--a\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--a--\r\n',
        ),
        (
            "multipart/form-data; boundary=a",
            b'--a\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4 cut',
        ),
    ],
)
async def test_a_body_without_a_whole_file_part_is_refused(api: Api, content_type: str, body: bytes) -> None:
    anomaly_id = await api.record()
    response = await api.client.post(
        f"{URL}/{anomaly_id}/attachments", content=body, headers={**bearer(), "content-type": content_type}
    )
    assert refusal(response, 422)["code"] == "anomaly.attachment_malformed_upload"
    await assert_nothing_kept(api)


async def test_delete_removes_the_file_and_notes_it_in_the_history(api: Api) -> None:
    anomaly_id = await api.record()
    kept = (await api.upload(anomaly_id, "kept.pdf", PDF)).json()
    gone = (await api.upload(anomaly_id, "gone.png", PNG)).json()
    response = await api.client.delete(
        f"{URL}/{anomaly_id}/attachments/{gone['attachment_id']}", headers=bearer()
    )
    assert response.status_code == 204
    listed = await api.client.get(f"{URL}/{anomaly_id}/attachments", headers=bearer())
    assert [a["attachment_id"] for a in listed.json()["items"]] == [kept["attachment_id"]]
    assert api.blobs.ids == [kept["attachment_id"]]
    again = await api.client.get(f"{URL}/{anomaly_id}/attachments/{gone['attachment_id']}", headers=bearer())
    assert refusal(again, 404)["code"] == "anomaly_attachment.not_found"
    twice = await api.client.delete(
        f"{URL}/{anomaly_id}/attachments/{gone['attachment_id']}", headers=bearer()
    )
    assert twice.status_code == 404
    entry = (await api.history(anomaly_id))[-1]
    assert (entry["version"], entry["changes"]) == (
        4,
        [{"field": "attachments", "before": "gone.png", "after": None}],
    )


async def test_another_tenants_record_and_attachments_are_not_found(api: Api) -> None:
    anomaly_id = await api.record("acme")
    created = (await api.upload(anomaly_id, "a.pdf", PDF)).json()
    other = bearer(tenant="globex")
    one = f"{URL}/{anomaly_id}/attachments/{created['attachment_id']}"
    for response in (
        await api.client.get(one, headers=other),
        await api.client.delete(one, headers=other),
        await api.client.get(f"{URL}/{anomaly_id}/attachments", headers=other),
        await api.upload(anomaly_id, "b.pdf", PDF, tenant="globex"),
    ):
        assert refusal(response, 404)["code"] == "anomaly.not_found"
    # Nor through a record of the other tenant's own.
    theirs = await api.record("globex")
    response = await api.client.get(f"{URL}/{theirs}/attachments/{created['attachment_id']}", headers=other)
    assert refusal(response, 404)["code"] == "anomaly_attachment.not_found"
    assert api.blobs.ids == [created["attachment_id"]]


async def test_only_the_records_editors_upload_and_delete(api: Api) -> None:
    anomaly_id = await api.record()
    created = (await api.upload(anomaly_id, "a.pdf", PDF)).json()
    viewer = bearer(roles=("viewer",))
    response = await api.client.post(
        f"{URL}/{anomaly_id}/attachments", files={"file": ("b.pdf", PDF)}, headers=viewer
    )
    assert response.status_code == 403
    one = f"{URL}/{anomaly_id}/attachments/{created['attachment_id']}"
    assert (await api.client.delete(one, headers=viewer)).status_code == 403
    assert (await api.client.get(one, headers=viewer)).status_code == 200


async def test_a_deleted_records_attachments_are_not_found(api: Api) -> None:
    anomaly_id = await api.record()
    await api.upload(anomaly_id, "a.pdf", PDF)
    doc = await api.runtime.store.collection("anomaly_records").get(anomaly_id)
    assert doc is not None
    await api.runtime.store.collection("anomaly_records").replace(
        {**doc, "deleted_at": NOW.isoformat()}, expected_version=doc["_version"]
    )
    listed = await api.client.get(f"{URL}/{anomaly_id}/attachments", headers=bearer())
    assert refusal(listed, 404)["code"] == "anomaly.not_found"


# ── halfway failures, below the HTTP layer ────────────────────────────────────────────────────────────


class ClientGone(Exception):
    pass


async def record_in(store: MemoryDocumentStore) -> tuple[AnomalyUnitOfWork, str]:
    uow = AnomalyUnitOfWork(store, lambda *_: None)
    form = AnomalyInput(
        document_no="610120260000012345", anomaly_type=AnomalyType.INSPECTION, occurred_on=date(2026, 3, 2)
    )
    anomaly = anomaly_entered(form, anomaly_id="a1", tenant="acme", user_id="u1", now=NOW)
    uow.anomalies.add(anomaly)
    await uow.commit()
    return uow, anomaly.anomaly_id


POLICY = AttachmentPolicy(max_bytes=10**6, allowed=frozenset(AttachmentKind), per_record=3)


async def test_an_upload_whose_client_goes_halfway_leaves_nothing() -> None:
    store, blobs = MemoryDocumentStore(), MemoryBlobStore()
    uow, anomaly_id = await record_in(store)

    async def breaks() -> AsyncIterator[bytes]:
        yield PDF
        yield b" " * 20000
        raise ClientGone

    with pytest.raises(ClientGone):
        await add_attachment(
            OnRecord("acme", "u1", anomaly_id),
            Upload("a.pdf", breaks()),
            uow=uow,
            attachments=Attachments(blobs, POLICY),
            clock=lambda: NOW,
        )
    assert blobs.ids == []
    assert await store.collection("anomaly_attachments").find({}) == []
    assert len((await uow.anomalies.load("acme", anomaly_id)).history) == 1


async def test_a_refusal_found_late_in_the_file_leaves_nothing() -> None:
    store, blobs = MemoryDocumentStore(), MemoryBlobStore()
    uow, anomaly_id = await record_in(store)

    async def text_then_binary() -> AsyncIterator[bytes]:
        yield b"text " * 4000  # past the head: it reads as text
        yield b"\x00binary"

    from guanwu.anomaly.domain.attachments import AttachmentRefused

    with pytest.raises(AttachmentRefused):
        await add_attachment(
            OnRecord("acme", "u1", anomaly_id),
            Upload("a.txt", text_then_binary()),
            uow=uow,
            attachments=Attachments(blobs, POLICY),
            clock=lambda: NOW,
        )
    assert blobs.ids == []


async def test_a_record_takes_at_most_its_limit_of_attachments() -> None:
    store, blobs = MemoryDocumentStore(), MemoryBlobStore()
    uow, anomaly_id = await record_in(store)
    attachments = Attachments(blobs, POLICY)

    async def pdf() -> AsyncIterator[bytes]:
        yield PDF

    for _ in range(3):
        await add_attachment(
            OnRecord("acme", "u1", anomaly_id),
            Upload("a.pdf", pdf()),
            uow=uow,
            attachments=attachments,
            clock=lambda: NOW,
        )
    from guanwu.anomaly.domain.attachments import TooManyAttachments

    with pytest.raises(TooManyAttachments):
        await add_attachment(
            OnRecord("acme", "u1", anomaly_id),
            Upload("a.pdf", pdf()),
            uow=uow,
            attachments=attachments,
            clock=lambda: NOW,
        )
    assert len(blobs.ids) == 3


async def test_a_file_above_the_processs_default_body_limit_is_judged_by_the_routes_own_limit() -> None:
    """The platform refuses bodies over 2 MiB before any route runs; the attachment route declares its own
    limit (20 MiB by default), so a 3 MiB PDF is stored and one past the route's limit gets the route's 413."""
    three_mib = 3 * 1024 * 1024
    settings = AnomalySettings(auth=TEST_AUTH, attachment_max_bytes=three_mib)
    build = built_with(partial(bootstrap.build, clock=lambda: NOW), settings)
    async with serving(build, "anomaly") as (client, runtime):
        api = Api(client, runtime)
        anomaly_id = await api.record()
        stored = await api.upload(anomaly_id, "scan.pdf", PDF + b" " * (three_mib - len(PDF)))
        assert stored.status_code == 201, stored.text
        error = refusal(await api.upload(anomaly_id, "big.pdf", PDF + b" " * three_mib), 413)
        assert error["code"] == "anomaly.attachment_too_large"
        # Elsewhere the default holds: a 3 MiB JSON body to the records route is refused by the platform.
        big = await client.post(URL, content=b"{" + b" " * three_mib + b"}", headers=bearer())
        assert refusal(big, 413)["code"] == "request.too_large"
