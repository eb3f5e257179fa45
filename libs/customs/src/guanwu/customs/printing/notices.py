"""打印通知书: the notices that customs receipts carry — 查验通知, 放行通知, 删单 and 退单 notices with their reason.

One A4 portrait page per notice receipt, oldest first. The page restates what the receipt says (CHANNEL,
its meaning, NOTE, NOTICE_DATE) beside the declaration it is about; it is the enterprise's printout of a
receipt, and says so, not a document the customs issued.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs.codes import CodeTables, Table
from guanwu.customs.messages.receipts import ReceiptStatus
from guanwu.customs.printing.draw import PAD, Pen
from guanwu.customs.printing.fonts import font_name
from guanwu.customs.printing.model import PrintNumbers
from guanwu.customs.printing.text import fit
from guanwu.customs.printing.values import Names, amount, join

PAGE_SIZE: tuple[float, float] = A4
PAGE_WIDTH, PAGE_HEIGHT = PAGE_SIZE
LEFT = 48.0
WIDTH = PAGE_WIDTH - 2 * LEFT
LABEL_WIDTH = 110.0
CHINA = timezone(timedelta(hours=8), "CST")
"""Receipt times print as the customs write them: Beijing time (a naive time is taken as such already)."""


@dataclass(frozen=True, slots=True)
class NoticeReceipt:
    """One receipt as the history keeps it: CHANNEL, NOTE, NOTICE_DATE and the numbers it named."""

    channel: str
    notice_date: datetime | None = None
    note: str | None = None
    entry_id: str | None = None
    seq_no: str | None = None


class NoNotices(ValueError):
    """None of the receipts is a notice (查验, 放行, 删单, 退单): there is nothing to print."""

    message_zh = "该报关单尚无查验、放行、删单或退单回执，没有可打印的通知书"
    message_en = "The declaration has no inspection, release, deletion or return receipt: no notice to print"

    def __init__(self) -> None:
        super().__init__(self.message_en)


def notice_kind(receipt: NoticeReceipt) -> str | None:
    """查验通知书 / 放行通知书 / 删单通知书 / 退单通知书, or None for a receipt that is no notice."""
    status = ReceiptStatus.from_channel(receipt.channel)
    paperless = status in (ReceiptStatus.PAPERLESS_CONCLUDED_NOTICE, ReceiptStatus.PAPERLESS_RELEASED)
    if status.is_inspection or (paperless and "查验" in (receipt.note or "")):
        return "查验通知书"
    if status.is_released:
        return "放行通知书"
    if status.is_deleted:
        return "删单通知书"
    if status.is_returned:
        return "退单通知书"
    return None


_STATEMENT = {
    "查验通知书": "上述报关单的货物须接受海关查验，请按海关要求准备货物、配合查验。",
    "放行通知书": "上述报关单的货物海关已放行。",
    "删单通知书": "上述报关单已被海关删除。删单原因见回执说明。",
    "退单通知书": "上述报关单被海关退单，请按回执说明修改后重新申报。",
}


def render_notices(
    receipts: Iterable[NoticeReceipt],
    document: DeclarationDocument | None = None,
    numbers: PrintNumbers | None = None,
    *,
    tables: CodeTables | None = None,
    font: Path | str | None = None,
) -> bytes:
    """The PDF of every notice among `receipts` (by notice date), one page each, with the declaration's
    numbers, parties and transport from `document` when given. Raises NoNotices when there is none."""
    notices = [(kind, r) for r in receipts if (kind := notice_kind(r))]
    if not notices:
        raise NoNotices()
    notices.sort(key=lambda item: _sort_key(item[1].notice_date))
    names = Names(tables) if tables else Names.default()
    buffer = io.BytesIO()
    name = font_name(font)
    canvas = Canvas(buffer, pagesize=PAGE_SIZE, invariant=1, initialFontName=name, pageCompression=1)
    canvas.setTitle("通知书")
    canvas.setAuthor("guanwu")
    pen = Pen(canvas, PAGE_HEIGHT, name)
    for page, (kind, receipt) in enumerate(notices, start=1):
        _draw_notice(pen, kind, receipt, _facts(receipt, document, numbers or PrintNumbers(), names))
        pen.text(PAGE_WIDTH - LEFT, PAGE_HEIGHT - 30, f"页码/页数：{page}/{len(notices)}", 8, align="right")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _sort_key(notice: datetime | None) -> datetime:
    if notice is None:
        return datetime(1900, 1, 1, tzinfo=CHINA)
    return notice if notice.tzinfo else notice.replace(tzinfo=CHINA)


def _facts(
    receipt: NoticeReceipt, document: DeclarationDocument | None, numbers: PrintNumbers, names: Names
) -> list[tuple[str, str]]:
    status = ReceiptStatus.from_channel(receipt.channel)
    facts = [
        (
            "海关编号",
            receipt.entry_id or numbers.entry_id or (document.head.entry_id if document else "") or "",
        ),
        ("统一编号", receipt.seq_no or numbers.seq_no or (document.head.seq_no if document else "") or ""),
    ]
    if document is not None:
        facts += _document_facts(document, names)
    notice = receipt.notice_date
    if notice is not None and notice.tzinfo is not None:
        notice = notice.astimezone(CHINA)
    when = notice.strftime("%Y-%m-%d %H:%M:%S") if notice else ""
    facts += [
        ("回执代码", join(receipt.channel, status.label if status is not ReceiptStatus.UNKNOWN else None)),
        ("通知时间", when),
        ("回执说明", receipt.note or ""),
    ]
    return facts


def _document_facts(document: DeclarationDocument, names: Names) -> list[tuple[str, str]]:
    head = document.head
    export = head.ie_flag == "E"
    voyage = document.free_text.voy_no if document.free_text else None
    return [
        ("单据", ("出口" if export else "进口") + document.kind.label),
        ("申报地海关", names.coded(Table.CUSTOMS_DISTRICT, head.custom_master)),
        ("境内发货人" if export else "境内收货人", join(head.trade_code, head.trade_name)),
        ("申报单位", join(head.agent_code, head.agent_name)),
        ("监管方式", names.coded(Table.TRADE_MODE, head.trade_mode)),
        ("运输工具名称及航次号", join(head.traf_name, voyage, sep="/")),
        ("提运单号", head.bill_no or ""),
        ("件数 / 毛重(千克)", join(amount(head.pack_no), amount(head.gross_wet), sep=" / ")),
        ("商品项数", str(len(document.goods))),
    ]


def _draw_notice(pen: Pen, kind: str, receipt: NoticeReceipt, facts: list[tuple[str, str]]) -> None:
    pen.text(PAGE_WIDTH / 2, 70, "中华人民共和国海关", 13, align="center")
    pen.text(PAGE_WIDTH / 2, 100, kind, 20, align="center", bold=True)
    top = 130.0
    for label, value in facts:
        fitted = fit(value, pen.font, WIDTH - LABEL_WIDTH - 2 * PAD, 60, size=10, min_size=7)
        height = max(22.0, fitted.height + 2 * PAD + 6)
        pen.rect(LEFT, top, LABEL_WIDTH, height)
        pen.rect(LEFT + LABEL_WIDTH, top, WIDTH - LABEL_WIDTH, height)
        pen.text(LEFT + PAD + 2, top + height / 2 + 3.5, label, 9.5)
        pen.lines(
            LEFT + LABEL_WIDTH + PAD + 2, top + (height - fitted.height) / 2, WIDTH - LABEL_WIDTH, fitted
        )
        top += height
    statement = fit(_STATEMENT[kind], pen.font, WIDTH, 60, size=11)
    pen.lines(LEFT, top + 24, WIDTH, statement)
    footer = (
        "本页据海关回执（回执代码 " + receipt.channel + "）打印，供企业留存与内部流转；以海关系统记录为准。"
    )
    pen.text(LEFT, PAGE_HEIGHT - 48, footer, 8)
