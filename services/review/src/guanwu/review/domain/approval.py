"""审核通过 with fields still marked red (F-12): refused unless the reviewer gives the reason they approve
anyway; the reason travels on ReviewApproved (`override_reason`) and so into the audit. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable

from guanwu.contracts.events import FieldMark
from guanwu.platform.refusal import Refusal

OVERRIDE_REASON_LIMIT = 1000


class RedMarksRemain(Refusal):
    """409 `review.red_marks`: `fields` names the red ones, so a client can take the reviewer to them."""


def red_fields(marks: Iterable[FieldMark]) -> list[str]:
    return sorted(mark.field_path for mark in marks if mark.verdict == "wrong")


def override_for(marks: Iterable[FieldMark], override_reason: str | None) -> str | None:
    """The override reason the approval carries: None when no field is red (a reason given then is not an
    override and is dropped); the stripped reason when some are; refused when some are and none is given."""
    red = red_fields(marks)
    reason = (override_reason or "").strip() or None
    if not red:
        return None
    if reason is None:
        shown = "、".join(red[:10]) + ("…" if len(red) > 10 else "")
        raise RedMarksRemain(
            "review.red_marks",
            f"仍有 {len(red)} 个字段标记为错误（红色）：{shown}；请先处理，或填写带红色标记通过的理由（override_reason）",
            f"{len(red)} field(s) are still marked wrong (red): {', '.join(red[:10])}; clear them or give an "
            "override_reason to approve anyway",
            fields=red,
        )
    return reason[:OVERRIDE_REASON_LIMIT]
