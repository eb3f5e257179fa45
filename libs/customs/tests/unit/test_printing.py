"""打印报关单: the form read back with poppler (pdftotext, pdffonts, pdftoppm), as a person's tools read it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image
from printing_support import ARTIFACTS, colour_share, pdf_fonts, pdf_pages, pdf_text_in, render_pngs

from guanwu.contracts.declaration import DeclarationDocument, DecList, DocumentKind
from guanwu.customs import fixtures
from guanwu.customs.codes import Table, load_default_tables
from guanwu.customs.printing import (
    FONT_ENV,
    PrintFontMissing,
    PrintNumbers,
    ReviewComment,
    render_declaration,
)
from guanwu.customs.printing import declaration as layout
from guanwu.customs.printing.goods import columns

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: make the sibling strategies importable
from customs_strategies import documents

pytestmark = pytest.mark.unit

TABLES = load_default_tables()
NUMBERS = PrintNumbers(seq_no="E20240000123456789", entry_id="311120240000123456", declared_on="20240719")

# customs-reference.md §7, in form order: every box an export form must show.
EXPORT_LABELS = [
    "预录入编号", "海关编号", "页码/页数",
    "境内发货人", "出境关别", "出口日期", "申报日期", "备案号",
    "境外收货人", "运输方式", "运输工具名称及航次号", "提运单号",
    "生产销售单位", "监管方式", "征免性质", "许可证号",
    "合同协议号", "贸易国(地区)", "运抵国(地区)", "指运港", "离境口岸",
    "包装种类", "件数", "毛重(千克)", "净重(千克)", "成交方式", "运费", "保费", "杂费",
    "随附单证及编号", "标记唛码及备注",
    "项号", "商品编号", "商品名称及规格型号", "数量及单位", "单价/总价/币制",
    "原产国(地区)", "最终目的国(地区)", "境内货源地", "征免",
    "特殊关系确认", "价格影响确认", "支付特许权使用费确认", "公式定价确认", "暂定价格确认", "自报自缴",
    "报关人员", "报关人员证号", "电话", "兹申明对以上内容承担如实申报、依法纳税之法律责任",
    "海关批注及签章", "申报单位", "申报单位（签章）",
]  # fmt: skip
IMPORT_LABELS = [
    "境内收货人", "进境关别", "进口日期", "境外发货人", "货物存放地点", "消费使用单位", "启运港",
    "启运国(地区)", "经停港", "入境口岸", "境内目的地",
]  # fmt: skip


def _num(value: Decimal | int | None) -> str:
    assert value is not None
    return str(value) if isinstance(value, int) else format(value.normalize(), "f")


def _name(table: Table, code: str | None) -> str:
    assert code is not None
    return TABLES[table].name_of(code)


def _head_values(document: DeclarationDocument) -> list[str]:
    """What the head of `document` must print, read from the document itself."""
    head = document.head
    values = [
        NUMBERS.entry_id, NUMBERS.seq_no, "20240719",
        head.trade_co_scc, head.trade_code, head.trade_name, head.owner_name, head.agent_name, head.agent_code,
        head.ie_port, _name(Table.CUSTOMS_DISTRICT, head.ie_port), head.ie_date,
        head.traf_mode, _name(Table.TRANSPORT_MODE, head.traf_mode), head.traf_name, head.bill_no,
        head.trade_mode, _name(Table.TRADE_MODE, head.trade_mode), head.cut_mode, _name(Table.LEVY_KIND, head.cut_mode),
        head.contr_no, head.trade_area_code, _name(Table.COUNTRY, head.trade_area_code), head.distinate_port,
        head.enty_port_code, head.wrap_type, _name(Table.WRAP_TYPE, head.wrap_type), _num(head.pack_no),
        _num(head.gross_wet), _num(head.net_wt), _name(Table.TRANSACTION_MODE, head.trans_mode),
        head.mark_no, head.note_s, head.declare_name,
    ]  # fmt: skip
    values += [c.container_id for c in document.containers]
    values += [f"{lic.docu_code}" for lic in document.licenses] + [lic.cert_code for lic in document.licenses]
    values += [_name(Table.ATTACHED_DOCUMENT, e.edoc_code) for e in document.edocs]
    if document.free_text:
        values += [document.free_text.voy_no, document.free_text.dec_bp_no]
    return [v for v in values if v]


def _quantity(qty: Decimal | None, unit: str | None) -> str:
    return _num(qty) + _name(Table.UNIT, unit)


def _line_values(line: DecList) -> list[str]:
    values = [
        line.code_ts, line.g_name, line.g_model,
        _quantity(line.first_qty, line.first_unit), _quantity(line.g_qty, line.g_unit),
        _num(line.decl_price), _num(line.decl_total), f"({line.trade_curr})", _name(Table.CURRENCY, line.trade_curr),
        _name(Table.COUNTRY, line.origin_country), f"({line.origin_country})",
        _name(Table.COUNTRY, line.destination_country), f"({line.destination_country})",
        f"({line.district_code})", _name(Table.DUTY_MODE, line.duty_mode),
    ]  # fmt: skip
    if line.second_qty is not None:
        values.append(_quantity(line.second_qty, line.second_unit))
    return [v for v in values if v]


def _squashed(values: list[str | None]) -> list[str]:
    return ["".join(v.split()) for v in values if v]


def test_fifty_lines_print_every_box_label_and_value_with_the_head_on_every_page(tmp_path: Path) -> None:
    document = fixtures.fifty_line_export()
    pages = pdf_pages(render_declaration(document, NUMBERS), tmp_path)
    assert len(pages) > 1, "50 goods lines do not fit one A4 page"
    for number, text in enumerate(pages, start=1):
        assert "中华人民共和国海关出口货物报关单" in text
        assert f"页码/页数：{number}/{len(pages)}" in text
        missing = [label for label in _squashed(list(EXPORT_LABELS)) if label not in text]
        assert not missing, f"page {number} lacks labels {missing}"
        missing = [value for value in _squashed(list(_head_values(document))) if value not in text]
        assert not missing, f"page {number} lacks head values {missing}"
    for line in document.goods:
        holding = [
            n for n, text in enumerate(pages) if line.g_model and "".join(line.g_model.split()) in text
        ]
        assert len(holding) == 1, f"line {line.g_no} is printed on pages {holding}"
        missing = [v for v in _squashed(list(_line_values(line))) if v not in pages[holding[0]]]
        assert not missing, f"line {line.g_no} lacks {missing}"
    first_pages = [
        next(n for n, t in enumerate(pages) if "".join((ln.g_model or "").split()) in t)
        for ln in document.goods
    ]
    assert first_pages == sorted(first_pages), "goods lines run in order across the pages"


def test_an_import_form_has_the_import_boxes(tmp_path: Path) -> None:
    document = fixtures.import_general()
    [text] = pdf_pages(render_declaration(document, NUMBERS), tmp_path)
    assert "中华人民共和国海关进口货物报关单" in text
    missing = [label for label in IMPORT_LABELS if label not in text]
    assert not missing
    assert "境内发货人" not in text and "离境口岸" not in text
    head = document.head
    for value in (
        head.goods_place,
        head.desp_port_code,
        head.overseas_consignor_ename,
        "德国",
        "(DEU)",
        "欧元",
    ):
        assert value and "".join(value.split()) in text


def _import_record_list() -> DeclarationDocument:
    document = fixtures.import_general()
    head = document.head.model_copy(update={"type": "ML", "trade_mode": "5000"})
    return document.model_copy(update={"kind": DocumentKind.RECORD_LIST, "head": head})


def _summary_declaration() -> DeclarationDocument:
    document = fixtures.import_general()
    return document.model_copy(update={"head": document.head.model_copy(update={"type": "  5"})})


@pytest.mark.parametrize(
    ("build", "title"),
    [
        (fixtures.export_sea_general_trade, "中华人民共和国海关出口货物报关单"),
        (fixtures.import_general, "中华人民共和国海关进口货物报关单"),
        (fixtures.export_record_list, "中华人民共和国海关出境货物备案清单"),
        (_import_record_list, "中华人民共和国海关进境货物备案清单"),
        (_summary_declaration, "中华人民共和国海关进口货物报关单（概要申报）"),
        (fixtures.transit_southern, "中华人民共和国海关出口货物报关单（转关提前）"),
    ],
    ids=["export", "import", "export-record-list", "import-record-list", "summary", "transit"],
)
def test_the_title_follows_direction_and_kind(build, title: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pages = pdf_pages(render_declaration(build()), tmp_path)
    assert all(page.startswith(title) for page in pages), pages[0][:60]


def test_the_font_is_embedded_as_a_subset_and_no_other_font_is_used(tmp_path: Path) -> None:
    rows = pdf_fonts(render_declaration(fixtures.export_air()), tmp_path)
    assert rows, "no font in the PDF"
    for row in rows:
        name, emb, sub = row[0], row[-5], row[-4]
        assert "+" in name and "WenQuanYi" in name, row
        assert (emb, sub) == ("yes", "yes"), row


def test_equal_inputs_give_identical_bytes() -> None:
    assert render_declaration(fixtures.export_air(), NUMBERS) == render_declaration(
        fixtures.export_air(), NUMBERS
    )
    assert render_declaration(fixtures.export_air(), NUMBERS) != render_declaration(fixtures.export_air())


def test_a_long_specification_is_printed_whole_in_a_taller_line(tmp_path: Path) -> None:
    document = fixtures.export_air()
    model = "|".join(f"要素{i}长规格说明ABCDEFGH" for i in range(14))[:255]
    name = "多功能便携式计算机" * 11
    goods = [document.goods[0].model_copy(update={"g_model": model, "g_name": name[:255]}), document.goods[1]]
    pdf = render_declaration(document.model_copy(update={"goods": goods}))
    sheet_columns = columns(export=True)
    x = layout.LEFT + sum(c.weight for c in sheet_columns[:2]) * layout.WIDTH
    text = pdf_text_in(pdf, tmp_path, 1, (x, 0, sheet_columns[2].weight * layout.WIDTH, layout.PAGE_HEIGHT))
    assert "".join(model.split()) in text and name[:255] in text
    assert "…" not in text


def test_overlong_head_values_shrink_or_end_in_an_ellipsis_but_the_page_still_renders(tmp_path: Path) -> None:
    document = fixtures.export_air()
    head = document.head.model_copy(update={"mark_no": "唛" * 400, "note_s": "备注很长" * 63})
    pdf = render_declaration(document.model_copy(update={"head": head}))
    [text] = pdf_pages(pdf, tmp_path)
    assert "唛唛唛唛唛唛唛唛" in text and "页码/页数：1/1" in text
    assert render_pngs(pdf, tmp_path / "png", "long")


def test_an_incomplete_draft_prints_its_empty_boxes(tmp_path: Path) -> None:
    [text] = pdf_pages(render_declaration(fixtures.invalid_missing_for_declare()), tmp_path)
    assert "境内发货人" in text and "男式表演服" in text and "页码/页数：1/1" in text


GREEN = (0xD8, 0xF0, 0xD2)
RED = (0xF6, 0xC9, 0xC9)


def test_review_marks_colour_the_boxes_and_list_the_fields_without_one(tmp_path: Path) -> None:
    document = fixtures.export_sea_general_trade()
    marks = {
        "head.trade_mode": "ok",
        "head.ie_port": "wrong",
        "goods[1].g_qty": "wrong",
        "licenses[0].cert_code": "ok",
        "head.edi_id": "wrong",
        "head.bill_no": "unmarked",
    }
    marked = render_declaration(document, NUMBERS, marks)
    [text] = pdf_pages(marked, tmp_path)
    assert "审核标记" in text and "报关标志head.edi_id（有误）" in text
    assert "head.trade_mode" not in text, "a mark with a box is shown by colour, not listed"
    [marked_png] = render_pngs(marked, tmp_path / "marked", "sheet", dpi=50)
    [plain_png] = render_pngs(render_declaration(document, NUMBERS), tmp_path / "plain", "sheet", dpi=50)
    assert colour_share(marked_png, GREEN, 6) > 0.003 and colour_share(marked_png, RED, 6) > 0.003
    assert colour_share(plain_png, GREEN, 6) == 0 and colour_share(plain_png, RED, 6) == 0


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(PrintFontMissing) as raised:
        render_declaration(fixtures.export_air(), font=tmp_path / "nowhere.ttf")
    assert "nowhere.ttf" in raised.value.message_zh and FONT_ENV in raised.value.message_en
    not_a_font = tmp_path / "font.ttf"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setenv(FONT_ENV, str(not_a_font))
    with pytest.raises(PrintFontMissing, match="cannot be embedded"):
        render_declaration(fixtures.export_air())


def test_pages_render_and_are_kept_as_artifacts(tmp_path: Path) -> None:
    """One declaration's pages and its review sheet as PNGs in .local/artifacts/print (look at them)."""
    pdf = render_declaration(fixtures.fifty_line_export(), NUMBERS)
    pngs = render_pngs(pdf, ARTIFACTS, "declaration-50-lines")
    assert len(pngs) == len(pdf_pages(pdf, tmp_path)) > 1
    marks = {
        "head.trade_mode": "ok",
        "head.ie_port": "wrong",
        "goods[1].g_qty": "wrong",
        "head.edi_id": "wrong",
    }
    sheet = render_pngs(
        render_declaration(fixtures.export_sea_general_trade(), NUMBERS, marks), ARTIFACTS, "review-sheet"
    )
    for png in [*pngs, *sheet]:
        with Image.open(png) as image:
            assert image.width > image.height, f"{png.name} is not landscape"
        assert colour_share(png, (0, 0, 0), 90) > 0.01, f"{png.name} is blank"


def test_review_comments_follow_the_form_on_pages_of_their_own(tmp_path: Path) -> None:
    marks = {"head.ie_port": "wrong", "head.trade_mode": "ok"}
    comments = [
        ReviewComment(
            "head.ie_port",
            "wrong",
            "出境关别应为3104，请核对",
            "李审核",
            datetime(2024, 7, 19, 2, 30, tzinfo=UTC),
        ),
        ReviewComment("head.trade_mode", "ok", None, "李审核", datetime(2024, 7, 19, 2, 31, tzinfo=UTC)),
    ] * 20
    document = fixtures.export_sea_general_trade()
    pages = pdf_pages(render_declaration(document, NUMBERS, marks, comments=comments), tmp_path)
    form_pages = len(pdf_pages(render_declaration(document, NUMBERS, marks), tmp_path))
    assert len(pages) > form_pages + 1, "40 comments take more than one page"
    for number, page in enumerate(pages, start=1):
        assert f"页码/页数：{number}/{len(pages)}" in page and "中华人民共和国海关出口货物报关单" in page
    remarks = "".join(pages[form_pages:])
    assert "审核意见" in pages[form_pages] and "审核意见" not in "".join(pages[:form_pages])
    assert remarks.count("出境关别应为3104，请核对") == 20 and remarks.count("2024-07-1910:30") == 20
    assert "进/出境关别head.ie_port有误" in remarks and "监管方式head.trade_mode无误" in remarks


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_any_document_the_model_accepts_prints(document: DeclarationDocument) -> None:
    """Any text the model lets through (markup, quotes, other planes, characters the font lacks) prints."""
    pdf = render_declaration(document, marks={"head.trade_name": "wrong", "goods[0].g_name": "ok"})
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_control_characters_and_glyphs_the_font_lacks_do_not_stop_the_print(tmp_path: Path) -> None:
    document = fixtures.export_air()
    odd = "控制\x01\x0b字符😀𠀀\u200f末尾"
    head = document.head.model_copy(update={"trade_name": odd, "note_s": "\t制表\r\n换行"})
    [text] = pdf_pages(render_declaration(document.model_copy(update={"head": head})), tmp_path)
    assert "控制" in text and "末尾" in text and "换行" in text
