"""打印报关单 / 打印通知书 (F-31): the declaration on the official form and the notices its receipts carry, as PDF.

Both read only the query read model: the last whole document an event brought (`load_document`) and the
timeline's receipts (`HistoryReadModel.list`). A 概要申报 row prints through the same routes. Rendering is
CPU work (≈0.1 s a page), so it runs in a worker thread and the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from guanwu.customs.printing import (
    NoNotices,
    NoticeReceipt,
    PrintFontMissing,
    PrintNumbers,
    render_declaration,
    render_notices,
)
from guanwu.platform.auth import CurrentPrincipal
from guanwu.platform.http.context import service_context
from guanwu.platform.refusal import Refusal
from guanwu.query.adapters.declarations import NoDocumentYet
from guanwu.query.domain.declarations import DeclarationRow
from guanwu.query.service_layer.context import QueryContext

Context = Annotated[QueryContext, Depends(service_context("query"))]
DeclarationId = Annotated[str, Path(min_length=1, max_length=64, description="系统编号")]

router = APIRouter(prefix="/api/query", tags=["query"])

PDF = "application/pdf"
CHINA = timezone(timedelta(hours=8))
_PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The PDF (A4, the CJK font embedded)",
    },
    404: {"description": "No such declaration in the tenant (query.not_found)"},
    503: {"description": "This machine has no CJK font to embed (query.printing_unavailable)"},
}
_DECLARATION_RESPONSES = {
    **_PDF_RESPONSE,
    409: {"description": "Its document has not reached the query service yet (query.document_not_yet_known)"},
}
_NOTICE_RESPONSES = {
    **_PDF_RESPONSE,
    404: {"description": "No such declaration in the tenant, or no notice receipt yet (query.no_notices)"},
}


class PrintingUnavailable(Refusal):
    """This machine cannot print: the CJK font is missing (HTTP 503; the message says how to install it)."""

    status: int = 503

    def __init__(self, missing: PrintFontMissing) -> None:
        super().__init__("query.printing_unavailable", missing.message_zh, missing.message_en)


class NothingToNotify(Refusal):
    """The declaration has no receipt that carries a notice (HTTP 404: there is no such PDF)."""

    status: int = 404

    def __init__(self) -> None:
        super().__init__("query.no_notices", NoNotices.message_zh, NoNotices.message_en)


def _numbers(row: DeclarationRow) -> PrintNumbers:
    declared = row.declared_at.astimezone(CHINA).date() if row.declared_at else None
    return PrintNumbers(seq_no=row.seq_no, entry_id=row.entry_id, declared_on=declared)


def _pdf(content: bytes, stem: str, row: DeclarationRow) -> Response:
    number = row.entry_id or row.seq_no or row.declaration_id
    filename = f"{stem}-{number}.pdf"
    disposition = f"inline; filename=\"{quote(f'{number}.pdf')}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})


@router.get(
    "/declarations/{declaration_id}/print.pdf",
    response_class=Response,
    responses=_DECLARATION_RESPONSES,
    summary="打印报关单 / the declaration on the official form (PDF)",
)
async def print_declaration(
    declaration_id: DeclarationId, principal: CurrentPrincipal, context: Context
) -> Response:
    """中华人民共和国海关进口/出口货物报关单 (or 备案清单), A4 landscape, goods continued on further pages.
    404 when the tenant has no such declaration, 409 while its document has not reached the query service."""
    row = await context.read_model.load_row(principal.tenant, declaration_id)
    document = await context.read_model.load_document(principal.tenant, declaration_id)
    try:
        content = await asyncio.to_thread(render_declaration, document, _numbers(row))
    except PrintFontMissing as missing:
        raise PrintingUnavailable(missing) from missing
    return _pdf(content, document.kind.label, row)


@router.get(
    "/declarations/{declaration_id}/notices.pdf",
    response_class=Response,
    responses=_NOTICE_RESPONSES,
    summary="打印通知书 / the 查验, 放行, 删单 and 退单 notices of the declaration's receipts (PDF)",
)
async def print_notices(
    declaration_id: DeclarationId, principal: CurrentPrincipal, context: Context
) -> Response:
    """One A4 page per notice receipt, oldest first, with the reason the receipt gives. 404 when the tenant has
    no such declaration or it has no such receipt yet."""
    row = await context.read_model.load_row(principal.tenant, declaration_id)
    history = await context.history.list(principal.tenant, declaration_id)
    receipts = [
        NoticeReceipt(e.channel, e.at, e.note, e.entry_id, e.seq_no)
        for e in history
        if e.kind == "receipt" and e.channel
    ]
    try:
        document = await context.read_model.load_document(principal.tenant, declaration_id)
    except NoDocumentYet:
        document = None  # a notice names the declaration by its numbers; the document only adds detail
    try:
        content = await asyncio.to_thread(render_notices, receipts, document, _numbers(row))
    except NoNotices as none:
        raise NothingToNotify() from none
    except PrintFontMissing as missing:
        raise PrintingUnavailable(missing) from missing
    return _pdf(content, "通知书", row)
