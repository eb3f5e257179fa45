"""HTTP API of 导入 (F-33): the template, the upload of a filled one, and the record of an import.

The upload is read as it arrives (python-multipart as a stream): the `file` part goes to a temporary file
through its sha256 and the size limit, refused with 413 at the byte that crosses it; the `ie_flag` field (or
query parameter) is the 进出口标志 for head rows that leave it empty. The temporary file is removed when the
answer is given. 201 with Location when this upload imported the file (or completed an interrupted import of
it); 200 with the same record when the file had been imported already.
"""

from __future__ import annotations

import hashlib
import tempfile
from functools import cache
from pathlib import Path
from typing import IO, Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from guanwu.declaration.adapters.xlsx_template import CONTENT_TYPE, FILE_NAME, template_bytes
from guanwu.declaration.domain.imports import (
    FILE_FIELD,
    DeclarationImport,
    ImportRefused,
    ImportTooLarge,
)
from guanwu.declaration.service_layer.context import DeclarationContext
from guanwu.declaration.service_layer.handlers.imports import ReceivedFile, import_workbook, load_import
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context
from guanwu.platform.refusal import InvalidRequest

Context = Annotated[DeclarationContext, Depends(service_context("declaration"))]

router = APIRouter(prefix="/api/declaration/imports", tags=["declaration imports"])

READERS = ("preparer", "reviewer", "manager", "integration")
IE_FLAG_FIELD = "ie_flag"
FIELD_MAX_BYTES = 64
"""How long a form field other than the file may be (only `ie_flag` is read)."""
OVERHEAD_BYTES = 64 * 1024
"""What the multipart body may add to the file (boundaries, part headers, other fields)."""

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
                            "description": "The filled template (.xlsx)",
                        },
                        IE_FLAG_FIELD: {
                            "type": "string",
                            "enum": ["I", "E"],
                            "description": "进出口标志 for the 表头 rows that leave IEFlag empty",
                        },
                    },
                }
            }
        },
    }
}


@cache
def _template() -> bytes:
    return template_bytes()


@router.get(
    "/template.xlsx",
    response_class=Response,
    summary="下载导入模板 / the import template (.xlsx)",
    dependencies=[require_roles(*READERS)],
    responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def template() -> Response:
    disposition = (
        f"attachment; filename=\"declaration-import-template.xlsx\"; filename*=UTF-8''{quote(FILE_NAME)}"
    )
    return Response(_template(), media_type=CONTENT_TYPE, headers={"Content-Disposition": disposition})


@router.post(
    "",
    response_model=DeclarationImport,
    status_code=201,
    summary="导入报关单（上传填好的模板）/ import a filled template as drafts, all or nothing",
    dependencies=[require_roles("preparer")],
    openapi_extra=_UPLOAD_BODY,
    responses={
        200: {"description": "This file had been imported already: the same drafts, nothing created"},
        413: {"description": "Larger than the limit"},
        422: {"description": "Not a workbook, a hostile one, or rows with errors (findings)"},
    },
)
async def upload(
    request: Request,
    principal: CurrentPrincipal,
    response: Response,
    context: Context,
    ie_flag: Annotated[Literal["I", "E"] | None, Query(description="进出口标志 for rows without one")] = None,
) -> DeclarationImport:
    limits = context.import_limits
    with tempfile.TemporaryDirectory(prefix="guanwu-import-") as folder:
        path = Path(folder) / "upload.xlsx"
        with path.open("wb") as target:
            parts = _Parts(_boundary(request), target, limits.max_bytes)
            await parts.read(request, limits.max_bytes + OVERHEAD_BYTES)
        received = ReceivedFile(path, parts.file_name, parts.sha256.hexdigest(), parts.size)
        answer = await import_workbook(
            received,
            ie_flag=ie_flag or parts.ie_flag(),
            caller=principal,
            uow=context.new_uow(),
            clock=context.clock,
            limits=limits,
        )
    if answer.new:
        response.headers["Location"] = f"/api/declaration/imports/{answer.record.import_id}"
    else:
        response.status_code = 200
    return answer.record


@router.get(
    "/{import_id}",
    response_model=DeclarationImport,
    summary="导入记录 / one import: its state and drafts",
    dependencies=[require_roles(*READERS)],
)
async def get_one(import_id: str, principal: CurrentPrincipal, context: Context) -> DeclarationImport:
    return await load_import(import_id, caller=principal, uow=context.new_uow())


# ── the multipart body, as a stream ───────────────────────────────────────────────────────────────────


def malformed(why: str) -> ImportRefused:
    return ImportRefused(
        "malformed_upload",
        f"上传内容不是有效的 multipart/form-data（{why}），请以字段 file 上传文件",
        f"The upload is not valid multipart/form-data ({why}); send the file in the field `file`",
    )


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise malformed("Content-Type")
    return boundary


class _Parts:
    """python-multipart's callbacks: the first `file` part into `target` (its sha256 and size counted, 413
    past `max_bytes`), the `ie_flag` field kept, every other part skipped."""

    def __init__(self, boundary: bytes, target: IO[bytes], max_bytes: int) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.file_name: str | None = None
        self.found = False
        self._target, self._max = target, max_bytes
        self._part: str | None = None  # "file", "ie_flag" or None (skipped)
        self._flag = b""
        self._headers: dict[bytes, bytes] = {}
        self._field = self._value = b""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": lambda d, s, e: self._add("_field", d[s:e]),
                "on_header_value": lambda d, s, e: self._add("_value", d[s:e]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )

    async def read(self, request: Request, max_body: int) -> None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            raise ImportTooLarge(self._max)
        async for chunk in request.stream():
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise malformed(str(exc)[:100]) from None
        if not self.found:
            raise malformed("no `file` part")
        if self.size == 0:
            raise ImportRefused("empty_file", "上传的文件为空", "The uploaded file is empty")

    def ie_flag(self) -> Literal["I", "E"] | None:
        flag = self._flag.decode("utf-8", "replace").strip()
        if flag == "I":
            return "I"
        if flag == "E":
            return "E"
        if flag:
            raise InvalidRequest(
                "declaration.import_ie_flag",
                "进出口标志应为 I 或 E",
                "ie_flag must be I or E",
                field=IE_FLAG_FIELD,
            )
        return None

    def _add(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _begin(self) -> None:
        self._headers, self._part = {}, None

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        raw = self._headers.get(b"content-disposition", b"")
        _, params = parse_options_header(raw)
        name = params.get(b"name")
        if name == FILE_FIELD.encode() and not self.found:
            self.found, self._part = True, FILE_FIELD
            file_name = params.get(b"filename")
            self.file_name = file_name.decode("utf-8", "replace")[:255] if file_name else None
        elif name == IE_FLAG_FIELD.encode():
            self._part = IE_FLAG_FIELD

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part == FILE_FIELD:
            self.size += end - start
            if self.size > self._max:
                raise ImportTooLarge(self._max)
            piece = data[start:end]
            self.sha256.update(piece)
            self._target.write(piece)
        elif self._part == IE_FLAG_FIELD:
            self._flag = (self._flag + data[start:end])[:FIELD_MAX_BYTES]

    def _end(self) -> None:
        self._part = None
