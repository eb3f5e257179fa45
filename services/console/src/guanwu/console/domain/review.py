"""审单 beyond the marks themselves, independent of HTTP: what 高级审核 shows beside each field, stale marks,
the 发送 state, the 审核留痕 criteria and rows in Chinese.

Everything here reads the review API's answers (`GET /api/review/tasks/{id}`, `…/advanced`, `/api/review/audit`)
as plain JSON: the console imports no service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from guanwu.console.domain.menu import CHINA_TIME, chinese_datetime

MARK_STATES = {"unmarked": "未标记", "ok": "绿色（已核对）", "wrong": "红色（有误）"}
AUDIT_RECORD_ACTIONS = {
    "started": "开始审核",
    "mark": "标记字段",
    "approve": "审核通过",
    "reject": "审核退回",
    "withdrawn": "撤回",
    "sent": "发送",
}
WITHDRAWN_REASONS = {"declaration_deleted": "报关单已删除", "declaration_changed": "报关单已在审核外修改"}
COMPARISON_KINDS = {"template": "模版比对", "previous": "上一票比对", "price_history": "历史单价"}
BADGES = {"template": "与模版不同", "previous": "与上一票不同", "price_history": "单价异常"}
SEVERITIES = {"error": "错误", "warning": "提示"}
FIELD_FILTERS = (
    ("", "全部字段"),
    ("unmarked", "未标记"),
    ("ok", "绿色（已核对）"),
    ("wrong", "红色（有误）"),
    ("stale", "已变更（标记过期）"),
    ("noted", "有审核提示"),
)
"""状态筛选 on the review screen: which fields to show."""
SEND_STATES = {"requested": "发送中", "declared": "已发送", "refused": "发送被拒绝"}


# ── 高级审核 ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Note:
    """One line 高级审核 shows beside a field: a finding of the logic checks or a comparison."""

    kind: str
    """finding | template | previous | price_history"""
    title: str
    """逻辑检查（错误） / 模版比对 / 上一票比对 / 历史单价"""
    message: str
    alarm: bool
    """An error finding, a differing value or a price far outside: shown in red."""

    @property
    def badge(self) -> str:
        """The note in a few characters, for a narrow cell (the whole message is its title and in the panel)."""
        if self.kind == "finding":
            return "逻辑错误" if self.alarm else "逻辑提示"
        return BADGES.get(self.kind, self.title) if self.alarm else f"{self.title}相符"

    @property
    def beside(self) -> bool:
        """Shown beside the field itself: what needs a look (the panel lists the equal comparisons too)."""
        return self.alarm or self.kind == "finding"


@dataclass
class AdvancedNotes:
    """The 高级审核 answer regrouped for the screen: notes per field path, and the panel's summary."""

    by_field: dict[str, list[Note]] = field(default_factory=dict)
    template: str = ""
    template_state: str = "none"
    earlier_declarations: int = 0
    alarms: int = 0
    red_fields: list[str] = field(default_factory=list)
    unavailable: str = ""
    """Why 高级审核 could not be read (the screen stands without its notes)."""

    def of(self, path: str) -> list[Note]:
        return self.by_field.get(path, [])

    def paths(self) -> list[str]:
        """Fields with notes, alarms first, in the answer's order otherwise."""
        return sorted(self.by_field, key=lambda p: not any(n.alarm for n in self.by_field[p]))


def _finding_note(finding: Mapping[str, Any]) -> Note:
    severity = str(finding.get("severity") or "")
    title = f"逻辑检查（{SEVERITIES.get(severity, severity or '提示')}）"
    return Note("finding", title, str(finding.get("message_zh") or ""), severity == "error")


def _comparison_note(comparison: Mapping[str, Any]) -> Note:
    kind = str(comparison.get("kind") or "")
    message = str(comparison.get("message_zh") or "")  # a price far outside says how far itself
    return Note(kind, COMPARISON_KINDS.get(kind, kind), message, bool(comparison.get("differs")))


def advanced_notes(answer: Mapping[str, Any]) -> AdvancedNotes:
    """`GET /api/review/tasks/{id}/advanced` as notes per field; the panel's template line and counts."""
    notes = AdvancedNotes(
        template=str((answer.get("template") or {}).get("message_zh") or ""),
        template_state=str((answer.get("template") or {}).get("state") or "none"),
        earlier_declarations=int(answer.get("earlier_declarations") or 0),
        red_fields=[str(p) for p in answer.get("red_fields") or []],
    )
    for entry in answer.get("fields") or []:
        path = str(entry["field_path"])
        shown = [_finding_note(f) for f in entry.get("findings") or []]
        shown += [_comparison_note(c) for c in entry.get("comparisons") or []]
        if shown:
            notes.by_field[path] = shown
    notes.alarms = sum(1 for shown in notes.by_field.values() for note in shown if note.alarm)
    return notes


# ── Marks: stale, comments ────────────────────────────────────────────────────────────────────────────────


def marks_for_page(marks: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The task's marks as the page's Alpine state: verdict, comment, and for a stale mark both values."""
    return {
        str(m["field_path"]): {
            "verdict": m["verdict"],
            "comment": m.get("comment") or "",
            "stale": bool(m.get("stale")),
            "was": "" if m.get("value") is None else str(m.get("value")),
            "now": "" if m.get("value_now") is None else str(m.get("value_now")),
            "by": m.get("marked_by") or "",
            "at": chinese_datetime(m.get("marked_at")),
        }
        for m in marks
    }


# ── 发送 ──────────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SendView:
    state: str
    """none | requested | declared | refused"""
    text: str
    polling: bool
    may_send_again: bool


def send_view(task: Mapping[str, Any]) -> SendView:
    """The task's `send` (review's answer since 发送 became a command: requested → declared / refused)."""
    send = task.get("send")
    if not isinstance(send, Mapping):
        return SendView("none", "", False, True)
    state = str(send.get("state") or "")
    by, at = send.get("requested_by") or "", chinese_datetime(send.get("requested_at"))
    if state == "requested":
        text = f"发送中：{by} 于 {at} 请求申报，正在等待申报服务处理……"
        return SendView(state, text, True, False)
    if state == "declared":
        version = send.get("declared_version") or send.get("declaration_version")
        settled = f"，{chinese_datetime(send.get('settled_at'))} 受理" if send.get("settled_at") else ""
        text = (
            f"已发送：申报服务已受理（{by} 于 {at} 发送{settled}，报关单版本 {version}），报关单进入申报中。"
        )
        return SendView(state, text, False, False)
    message = send.get("message_zh") or send.get("code") or "申报服务未说明原因"
    return SendView("refused", f"发送被拒绝：{message}", False, True)


# ── 审核留痕 ──────────────────────────────────────────────────────────────────────────────────────────────

AUDIT_FILTERS = ("declaration_id", "reviewer", "action", "field_path", "day_from", "day_to")


def _day(text: str) -> str:
    """A `YYYY-MM-DD` the browser's date input sends, or '' (anything else is dropped, not sent)."""
    return text if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else ""


def audit_criteria(form: Mapping[str, str], today: date) -> dict[str, str]:
    """The 审核留痕 form as the audit API's query: a period of China-time days, by default the last 7 (today
    included) unless the form was sent (`q`) with a date emptied; a declaration alone needs no period."""
    values = {name: str(form.get(name, "")).strip() for name in AUDIT_FILTERS}
    values["day_from"], values["day_to"] = _day(values["day_from"]), _day(values["day_to"])
    if values["action"] not in AUDIT_RECORD_ACTIONS:
        values["action"] = ""
    if not form.get("q") and not values["declaration_id"]:
        values["day_from"] = values["day_from"] or (today - timedelta(days=6)).isoformat()
        values["day_to"] = values["day_to"] or today.isoformat()
    return values


def china_today() -> date:
    return datetime.now(CHINA_TIME).date()


def audit_comment(record: Mapping[str, Any]) -> str:
    """The record's comment column: the field's or the decision's comment, the override, the withdrawal."""
    parts = []
    if record.get("action") == "withdrawn" and record.get("comment") in WITHDRAWN_REASONS:
        parts.append(WITHDRAWN_REASONS[str(record["comment"])])
    elif record.get("comment"):
        parts.append(str(record["comment"]))
    if record.get("override_reason"):
        parts.append(f"覆盖理由：{record['override_reason']}")
    if record.get("red_marks"):
        parts.append(f"红色字段 {record['red_marks']} 项")
    return "；".join(parts)


def audit_change(record: Mapping[str, Any]) -> str:
    """A mark's change: `绿色（已核对） → 红色（有误）`; '' for other actions."""
    before, after = record.get("state_before"), record.get("state_after")
    if not before and not after:
        return ""
    return f"{MARK_STATES.get(str(before), before or '')} → {MARK_STATES.get(str(after), after or '')}"
