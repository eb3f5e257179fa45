"""The CJK font the printed forms embed, found once per process.

reportlab embeds a subset of a TrueType font (only the glyphs a page uses), so a PDF opens on a machine with no
Chinese font. The default is WenQuanYi Micro Hei (Debian `fonts-wqy-microhei`, `deploy/local/print-tools.sh`):
TrueType outlines, which reportlab can embed; Noto CJK ships CFF outlines (OpenType/CFF), which it cannot.
`GUANWU_PRINT_FONT` names another .ttf/.ttc (index 0 of a collection is used).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

DEFAULT_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_ENV = "GUANWU_PRINT_FONT"
FONT_NAME = "GuanwuCJK"
"""The name pages use for the font; registered under a name of its own per font file (see `font_name`)."""


class PrintFontMissing(RuntimeError):
    """No usable CJK font: printing cannot work on this machine until one is installed or configured."""

    def __init__(self, path: Path, why: str) -> None:
        self.path = path
        self.message_zh = (
            f"打印所需的中文字体不可用：{path}（{why}）。请安装 fonts-wqy-microhei"
            f"（deploy/local/print-tools.sh），或用环境变量 {FONT_ENV} 指定一个 TrueType 字体文件。"
        )
        self.message_en = (
            f"The CJK font printing needs is not usable: {path} ({why}). Install fonts-wqy-microhei "
            f"(deploy/local/print-tools.sh) or name a TrueType font file in {FONT_ENV}."
        )
        super().__init__(self.message_en)


def font_path(explicit: Path | str | None = None) -> Path:
    """The font file to embed: `explicit`, else $GUANWU_PRINT_FONT, else the WenQuanYi default."""
    if explicit:
        return Path(explicit)
    configured = os.environ.get(FONT_ENV, "").strip()
    return Path(configured) if configured else DEFAULT_FONT


def font_name(explicit: Path | str | None = None) -> str:
    """Register the font (once per file and process) and return the name to draw with.

    Raises PrintFontMissing when the file is absent or not a TrueType font reportlab can embed."""
    return _register(font_path(explicit).resolve())


@cache
def _register(path: Path) -> str:
    if not path.is_file():
        raise PrintFontMissing(path, "文件不存在 / no such file")
    # A stable name per file (not hash(): it changes per process) keeps the PDFs byte-identical.
    name = f"{FONT_NAME}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    except (TTFError, OSError) as exc:
        raise PrintFontMissing(path, f"无法嵌入 / cannot be embedded: {exc}") from exc
    return name
