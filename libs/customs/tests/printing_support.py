"""Reading the printed PDFs back as a person's tools do: poppler's pdftotext, pdffonts and pdftoppm.

The tools come with `deploy/local/print-tools.sh` (make test runs it); a test fails, not skips, without them,
so a machine that cannot check the PDFs does not pass silently."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageChops

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / ".local" / "artifacts" / "print"


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run deploy/local/print-tools.sh (poppler-utils)"
    return path


def pdf_pages(pdf: bytes, tmp: Path) -> list[str]:
    """The text of each page (pdftotext, reading order), whitespace removed: a value wrapped across two
    lines of its box still reads as one."""
    source = tmp / "doc.pdf"
    source.write_bytes(pdf)
    out = subprocess.run([_tool("pdftotext"), str(source), "-"], check=True, capture_output=True).stdout
    pages = out.decode("utf-8").split("\f")
    return [squash(page) for page in pages if page.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_fonts(pdf: bytes, tmp: Path) -> list[list[str]]:
    """pdffonts' rows: name, type, encoding, emb, sub, uni, …"""
    source = tmp / "fonts.pdf"
    source.write_bytes(pdf)
    out = subprocess.run([_tool("pdffonts"), str(source)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def render_pngs(pdf: bytes, directory: Path, stem: str, dpi: int = 110) -> list[Path]:
    """Every page as a PNG (pdftoppm), named <stem>-<page>.png in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{stem}-*.png"):
        old.unlink()
    source = directory / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [_tool("pdftoppm"), "-r", str(dpi), "-png", str(source), str(directory / stem)], check=True
    )
    return sorted(directory.glob(f"{stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def colour_share(png: Path, rgb: tuple[int, int, int], tolerance: int = 24) -> float:
    """The share of the page's pixels within `tolerance` of `rgb` on every channel."""
    with Image.open(png) as image:
        channels = image.convert("RGB").split()
        masks = [
            band.point(lambda v, c=target: 255 if abs(v - c) <= tolerance else 0)
            for band, target in zip(channels, rgb, strict=True)
        ]
        both = ImageChops.logical_and(masks[0].convert("1"), masks[1].convert("1"))
        every = ImageChops.logical_and(both, masks[2].convert("1"))
        return every.histogram()[-1] / (image.width * image.height)


def pdf_text_in(pdf: bytes, tmp: Path, page: int, box: tuple[float, float, float, float]) -> str:
    """The text of one page inside `box` (x, y from the top left, width, height; in points), squashed:
    what one column or box of the form says, without its neighbours' lines in between."""
    source = tmp / "crop.pdf"
    source.write_bytes(pdf)
    x, y, w, h = (str(round(v)) for v in box)
    args = ["-f", str(page), "-l", str(page), "-r", "72", "-x", x, "-y", y, "-W", w, "-H", h]
    out = subprocess.run(
        [_tool("pdftotext"), *args, str(source), "-"], check=True, capture_output=True
    ).stdout
    return squash(out.decode("utf-8"))
