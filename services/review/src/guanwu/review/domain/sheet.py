"""打印 (F-12): what the printed review sheet shows — the declaration on the official form with each marked
field's box coloured (green ok, red wrong, amber stale), then the review's own page: the task, the decision,
its comment and override reason, and every mark with its comment, who set it and when. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from guanwu.review.domain.listing import CHINA_TIME
from guanwu.review.domain.tasks import Mark, ReviewTask

STATE_NAMES = {"ok": "正确（绿）", "wrong": "错误（红）", "stale": "已变更待复核（黄）"}
_ORDER = {"wrong": 0, "stale": 1, "ok": 2}


@dataclass(frozen=True)
class SheetMark:
    field_path: str
    state: str
    comment: str
    marked_by: str
    marked_at: str
    values: str
    """What was marked and what the field holds now, for a stale mark; else the value marked."""


@dataclass(frozen=True)
class ReviewSheet:
    marks: dict[str, str]
    """field path → ok / wrong / stale: the colours of the form's boxes."""
    header: list[tuple[str, str]]
    lines: list[SheetMark]


def _china(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _state(mark: Mark) -> str:
    return "stale" if mark.stale else mark.verdict


def _line(mark: Mark) -> SheetMark:
    values = mark.value or ""
    if mark.stale:
        values = f"标记时：{mark.value or '空'} → 现在：{mark.value_now or '空'}"
    return SheetMark(
        field_path=mark.field_path,
        state=STATE_NAMES[_state(mark)],
        comment=mark.comment or "",
        marked_by=mark.marked_by,
        marked_at=_china(mark.marked_at),
        values=values,
    )


def review_sheet(task: ReviewTask) -> ReviewSheet:
    ordered = sorted(task.marks, key=lambda m: (_ORDER[_state(m)], m.field_path))
    header = [
        ("系统编号", task.declaration_id),
        ("统一编号", task.seq_no or ""),
        ("海关编号", task.entry_id or ""),
        ("报关单版本", str(task.declaration_version)),
        ("审核状态", task.status.value),
        ("制单人", task.prepared_by or ""),
        ("提交审核", _china(task.submitted_at)),
        ("审单员", task.decided_by or ""),
        ("审核时间", _china(task.decided_at)),
        ("审核意见", task.comment or ""),
        ("带红色标记通过的理由", task.override_reason or ""),
        ("标记", f"错误 {sum(m.verdict == 'wrong' for m in task.marks)}，正确 {sum(m.verdict == 'ok' for m in task.marks)}，"
         f"已变更 {sum(m.stale for m in task.marks)}"),
    ]  # fmt: skip
    return ReviewSheet({m.field_path: _state(m) for m in task.marks}, header, [_line(m) for m in ordered])
