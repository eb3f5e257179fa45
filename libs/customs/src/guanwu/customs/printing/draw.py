"""Drawing on a reportlab canvas with the page's top-left as origin (the form is laid out top-down)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color, HexColor, black

from guanwu.customs.printing.marks import FILL, STROKE, MarkState
from guanwu.customs.printing.text import LEADING, Fitted, fit, width

LABEL_SIZE = 6.0
VALUE_SIZE = 8.0
PAD = 2.2
LABEL_COLOUR: Color = HexColor("#333333")


@dataclass
class Pen:
    """The canvas of one document, its page height and the embedded font's name."""

    canvas: Any
    page_height: float
    font: str

    def measure(self, text: str, size: float) -> float:
        return width(text, self.font, size)

    def y(self, top: float) -> float:
        return self.page_height - top

    def rect(
        self, x: float, top: float, w: float, h: float, state: MarkState | None = None, line: float = 0.5
    ) -> None:
        c = self.canvas
        c.saveState()
        if state is not None:
            c.setFillColor(FILL[state])
            c.setStrokeColor(STROKE[state])
            c.setLineWidth(1.1)
            c.rect(x, self.y(top + h), w, h, stroke=1, fill=1)
        else:
            c.setLineWidth(line)
            c.setStrokeColor(black)
            c.rect(x, self.y(top + h), w, h, stroke=1, fill=0)
        c.restoreState()

    def text(
        self,
        x: float,
        baseline_top: float,
        text: str,
        size: float,
        *,
        align: str = "left",
        colour: Color = black,
        bold: bool = False,
    ) -> None:
        c = self.canvas
        c.saveState()
        c.setFillColor(colour)
        if bold:
            # One weight only in the font: stroke the outline too, as printers' "fake bold" does.
            c.setStrokeColor(colour)
            c.setLineWidth(size * 0.03)
        text_object = c.beginText()
        text_object.setFont(self.font, size)
        text_object.setTextRenderMode(2 if bold else 0)
        offset = {
            "left": 0.0,
            "center": width(text, self.font, size) / 2,
            "right": width(text, self.font, size),
        }[align]
        text_object.setTextOrigin(x - offset, self.y(baseline_top))
        text_object.textOut(text)
        c.drawText(text_object)
        c.restoreState()

    def lines(self, x: float, top: float, w: float, fitted: Fitted, align: str = "left") -> None:
        """Draw fitted lines from `top` down inside a column of width `w` starting at `x`."""
        anchor = {"left": x, "center": x + w / 2, "right": x + w}[align]
        baseline = top + fitted.size * 0.88
        for line in fitted.lines:
            self.text(anchor, baseline, line, fitted.size, align=align)
            baseline += fitted.size * LEADING

    def box(
        self, x: float, top: float, w: float, h: float, label: str, value: str, state: MarkState | None
    ) -> None:
        """A form box: the label small at its top left, the value below it, shrunk to fit."""
        self.rect(x, top, w, h, state)
        self.text(x + PAD, top + PAD + LABEL_SIZE * 0.88, label, LABEL_SIZE, colour=LABEL_COLOUR)
        value_top = top + PAD + LABEL_SIZE * LEADING + 0.6
        if value:
            fitted = fit(value, self.font, w - 2 * PAD, top + h - PAD + 0.5 - value_top, size=VALUE_SIZE)
            self.lines(x + PAD, value_top, w - 2 * PAD, fitted)

    def inline_box(
        self, x: float, top: float, w: float, h: float, label: str, value: str, state: MarkState | None
    ) -> None:
        """A low box with "label：value" on one line (the footer's and the confirmations' way)."""
        self.rect(x, top, w, h, state)
        text = f"{label}：{value}" if value else label
        fitted = fit(text, self.font, w - 2 * PAD, h - 2 * PAD, size=7.0)
        self.lines(x + PAD, top + (h - fitted.height) / 2, w - 2 * PAD, fitted)
