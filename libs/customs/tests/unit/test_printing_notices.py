"""打印通知书: one page per notice receipt (查验, 放行, 删单, 退单), read back with pdftotext."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from printing_support import ARTIFACTS, pdf_pages, render_pngs

from guanwu.customs import fixtures
from guanwu.customs.messages.receipts import parse_dec_result
from guanwu.customs.printing import NoNotices, NoticeReceipt, PrintNumbers, notice_kind, render_notices

pytestmark = pytest.mark.unit

RECEIPTS = [
    NoticeReceipt("L", datetime(2024, 7, 20, 9), "海关入库成功"),
    NoticeReceipt("D", datetime(2024, 7, 23, 8, 30), "海关删单：企业申请撤销报关单，已删除"),
    NoticeReceipt("C", datetime(2024, 7, 21, 10, 15, 30), "出口查验通知：请于2024-07-22到北仑查验场配合查验"),
    NoticeReceipt("P", datetime(2024, 7, 22, 8, 30), "海关已放行"),
    NoticeReceipt("E", datetime(2024, 7, 19, 16, 5), "退单：表头申报单位代码长度不符"),
]


@pytest.mark.parametrize(
    ("channel", "note", "kind"),
    [
        ("C", None, "查验通知书"),
        ("S", None, "查验通知书"),
        ("W", "无纸验放通知：需查验", "查验通知书"),
        ("W", "无纸验放通知", None),
        ("P", None, "放行通知书"),
        ("K", None, "放行通知书"),
        ("D", None, "删单通知书"),
        ("A", None, "删单通知书"),
        ("E", None, "退单通知书"),
        ("Z", None, "退单通知书"),
        ("L", None, None),
        ("R", None, None),
    ],
)
def test_which_receipts_are_notices(channel: str, note: str | None, kind: str | None) -> None:
    assert notice_kind(NoticeReceipt(channel, note=note)) == kind


def test_each_notice_gets_a_page_in_notice_order_with_its_reason(tmp_path: Path) -> None:
    document = fixtures.export_sea_general_trade()
    numbers = PrintNumbers(seq_no="E20240000123456789", entry_id="311120240000123456")
    pages = pdf_pages(render_notices(RECEIPTS, document, numbers), tmp_path)
    assert [p[p.index("中华人民共和国海关") + 9 :][:5] for p in pages] == [
        "退单通知书",
        "查验通知书",
        "放行通知书",
        "删单通知书",
    ]
    returned, inspection, released, deleted = pages
    assert "退单：表头申报单位代码长度不符" in returned and "E海关退单" in returned
    assert "2024-07-2110:15:30" in inspection and "北仑查验场" in inspection
    assert "海关删单：企业申请撤销报关单，已删除" in deleted and "2024-07-2308:30:00" in deleted
    assert "P海关已放行" in released and "货物海关已放行" in released
    for number, page in enumerate(pages, start=1):
        assert f"页码/页数：{number}/4" in page
        for value in (
            "311120240000123456",
            "E20240000123456789",
            document.head.bill_no,
            document.head.trade_name,
        ):
            assert value and value in page
    assert "海关入库成功" not in "".join(pages), "a receipt that is no notice prints nothing"
    render_pngs(render_notices(RECEIPTS, document, numbers), ARTIFACTS, "notices", dpi=80)


def test_a_parsed_receipt_prints_without_a_document(tmp_path: Path) -> None:
    receipt = parse_dec_result(fixtures.delete_receipt())
    notice = NoticeReceipt(
        receipt.channel, receipt.notice_date, receipt.note, receipt.entry_id, receipt.seq_no
    )
    [page] = pdf_pages(render_notices([notice]), tmp_path)
    assert "删单通知书" in page and "企业申请撤销报关单" in page
    assert receipt.entry_id and receipt.entry_id in page


def test_no_notice_among_the_receipts_is_refused() -> None:
    with pytest.raises(NoNotices) as raised:
        render_notices([NoticeReceipt("L"), NoticeReceipt("7")])
    assert "通知书" in raised.value.message_zh
