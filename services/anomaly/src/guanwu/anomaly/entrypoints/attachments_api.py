"""HTTP API of the records' attachments (附件, F-24): upload, list, download, delete.

An upload is read as it arrives: the multipart body is parsed here as a stream (python-multipart), and the
bytes of its `file` part go straight through the content check and the size limit into the blob store, so
nothing is spooled first and an upload too large is refused at the byte that crosses the limit (413). The
other refusals are 422 naming `file`, in Chinese and English. Another tenant's record or attachment: 404.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from guanwu.anomaly.domain.attachments import (
    Attachment,
    AttachmentInfo,
    AttachmentRefused,
    content_disposition,
)
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers.attachments import (
    Attachments,
    OnRecord,
    Upload,
    add_attachment,
    list_attachments,
    open_attachment,
    remove_attachment,
)
from guanwu.platform.auth import CurrentPrincipal, Principal, require_roles
from guanwu.platform.http.context import service_context

Context = Annotated[AnomalyContext, Depends(service_context("anomaly"))]

router = APIRouter(prefix="/api/anomaly/anomalies/{anomaly_id}/attachments", tags=["anomaly"])

EDIT_ROLES = ("preparer", "reviewer", "manager")
"""Who may add and remove attachments: who may edit the record."""

FILE_FIELD = "file"
PREAMBLE_MAX_BYTES = 64 * 1024
"""How much of the body may come before the file's bytes (other fields, part headers)."""

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {
                        FILE_FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The file (its type is read from its content)",
                        }
                    },
                }
            }
        },
    }
}


class AttachmentList(BaseModel):
    items: list[AttachmentInfo]


def _on_record(anomaly_id: str, principal: Principal) -> OnRecord:
    return OnRecord(tenant=principal.tenant, user_id=principal.user_id, anomaly_id=anomaly_id)


def _attachments(context: AnomalyContext) -> Attachments:
    assert context.attachments is not None, "bootstrap binds the attachments"
    return context.attachments


@router.post(
    "",
    response_model=AttachmentInfo,
    status_code=201,
    summary="上传附件 / upload an attachment",
    dependencies=[require_roles(*EDIT_ROLES)],
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Larger than the limit"}, 422: {"description": "Not an allowed file"}},
)
async def upload(
    anomaly_id: str, request: Request, principal: CurrentPrincipal, context: Context
) -> Attachment:
    caller = _on_record(anomaly_id, principal)
    await context.new_uow().anomalies.load(caller.tenant, anomaly_id)  # 404 before reading the body
    return await add_attachment(
        caller,
        await file_upload(request),
        uow=context.new_uow(),
        attachments=_attachments(context),
        clock=context.clock,
    )


@router.get("", response_model=AttachmentList, summary="附件列表 / a record's attachments")
async def list_all(anomaly_id: str, principal: CurrentPrincipal, context: Context) -> AttachmentList:
    found = await list_attachments(_on_record(anomaly_id, principal), uow=context.new_uow())
    return AttachmentList(items=[AttachmentInfo.model_validate(a.model_dump()) for a in found])


@router.get(
    "/{attachment_id}",
    response_class=StreamingResponse,
    summary="下载附件 / download an attachment",
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def download(
    anomaly_id: str, attachment_id: str, principal: CurrentPrincipal, context: Context
) -> StreamingResponse:
    attachment, reader = await open_attachment(
        _on_record(anomaly_id, principal),
        attachment_id,
        uow=context.new_uow(),
        attachments=_attachments(context),
    )
    headers = {
        "Content-Disposition": content_disposition(attachment.name),
        "Content-Length": str(reader.size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(reader, media_type=attachment.content_type, headers=headers)


@router.delete(
    "/{attachment_id}",
    status_code=204,
    response_class=Response,
    summary="删除附件 / delete an attachment",
    dependencies=[require_roles(*EDIT_ROLES)],
)
async def delete(
    anomaly_id: str, attachment_id: str, principal: CurrentPrincipal, context: Context
) -> Response:
    await remove_attachment(
        _on_record(anomaly_id, principal),
        attachment_id,
        uow=context.new_uow(),
        attachments=_attachments(context),
        clock=context.clock,
    )
    return Response(status_code=204)


# ── the multipart body, as a stream ───────────────────────────────────────────────────────────────────


def malformed(why: str) -> AttachmentRefused:
    return AttachmentRefused(
        "malformed_upload",
        f"上传内容不是有效的 multipart/form-data（{why}），请以字段 file 上传一个文件",
        f"The upload is not valid multipart/form-data ({why}); send one file in the field `file`",
    )


async def file_upload(request: Request) -> Upload:
    """The body's first part named `file`: its file name (read before any of its bytes) and its bytes as
    they arrive. Parts before it may take PREAMBLE_MAX_BYTES; parts after it are not read."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise malformed("Content-Type")
    reader = _FilePart(boundary)
    body = request.stream().__aiter__()
    read = 0
    while not reader.found:
        chunk = await _next(body, reader)
        read += len(chunk)
        if read > PREAMBLE_MAX_BYTES and not reader.found:
            raise malformed(f"no file part in the first {PREAMBLE_MAX_BYTES} bytes")
        reader.write(chunk)
    return Upload(reader.name, reader.data(body))


async def _next(body: AsyncIterator[bytes], reader: _FilePart) -> bytes:
    try:
        return await body.__anext__()
    except StopAsyncIteration:
        raise malformed("the body ended before the file did" if reader.found else "no `file` part") from None


class _FilePart:
    """python-multipart's callbacks, keeping the `file` part's name and bytes."""

    def __init__(self, boundary: bytes) -> None:
        self.found = False
        self.ended = False
        self.name: str | None = None
        self._in_file = False
        self._pending: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def write(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise malformed(str(exc)[:100]) from None

    async def data(self, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        while True:
            pending, self._pending = self._pending, []
            for piece in pending:
                yield piece
            if self.ended:
                return
            self.write(await _next(body, self))

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        raw = self._headers.get(b"content-disposition", b"")
        _, params = parse_options_header(raw)
        if params.get(b"name") == FILE_FIELD.encode() and not self.found:
            self.found = self._in_file = True
            self.name = _file_name(raw, params)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file, self.ended = False, True


_EXTENDED_NAME = re.compile(rb"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;\s]+)")


def _file_name(raw: bytes, params: dict[bytes, bytes]) -> str | None:
    """`filename*=UTF-8''…` (RFC 5987) when given, else `filename` (browsers send it as raw UTF-8)."""
    extended = _EXTENDED_NAME.search(raw)
    if extended:
        return unquote(extended.group(1).decode("ascii", "replace"), errors="replace")
    name = params.get(b"filename")
    return None if name is None else name.decode("utf-8", "replace")
