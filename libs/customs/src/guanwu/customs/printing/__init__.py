"""Printed forms: 打印报关单 (the official 报关单 / 备案清单 form) and 打印通知书 (the notices receipts carry).

reportlab draws them (pure Python, embeds a TrueType subset; see docs/printing.md for why not HTML → PDF).
"""

from guanwu.customs.printing.comments import ReviewComment
from guanwu.customs.printing.declaration import render_declaration
from guanwu.customs.printing.fonts import DEFAULT_FONT, FONT_ENV, PrintFontMissing, font_path
from guanwu.customs.printing.marks import MarkState
from guanwu.customs.printing.model import PrintNumbers
from guanwu.customs.printing.notices import NoNotices, NoticeReceipt, notice_kind, render_notices

__all__ = [
    "DEFAULT_FONT",
    "FONT_ENV",
    "MarkState",
    "NoNotices",
    "NoticeReceipt",
    "PrintFontMissing",
    "PrintNumbers",
    "ReviewComment",
    "font_path",
    "notice_kind",
    "render_declaration",
    "render_notices",
]
