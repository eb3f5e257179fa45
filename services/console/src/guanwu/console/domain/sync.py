"""数据同步 (seed section 九): the two screens, each with its 按票同步 and 按天同步 forms in the seed's fields,
the criteria body the sync API takes (`guanwu.contracts.sync`), and how its jobs read in Chinese.

The code values and their Chinese names are the contract's `*_NAMES`, so the selects show what the API accepts.
最近操作时间 is a range of days in China time: from the first day's 00:00 to the day after the last (the API's
`updated_to` is exclusive)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from guanwu.console.domain.menu import CHINA_TIME, chinese_date
from guanwu.contracts.sync import (
    BONDED_ENTERPRISE_TYPE_NAMES,
    BONDED_LIST_STATUS_NAMES,
    DATA_SOURCE_NAMES,
    ENTERPRISE_CATEGORY_NAMES,
    ENTRY_KIND_NAMES,
)

SYNC_STARTERS = frozenset({"preparer", "manager", "admin"})
"""Who may start or cancel a job: the sync API's rule (preparer, manager, integration; admin implied)."""

MODES = {"by_ticket": "按票同步", "by_day": "按天同步"}
STATES = {
    "queued": "排队中",
    "running": "同步中",
    "completed": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}
ACTIVE_STATES = frozenset({"queued", "running"})
DEFAULT_DAYS = 7
UPDATED = "updated"
"""The form's name of 最近操作时间 (two date inputs, `updated_from` and `updated_to`)."""

IE_FLAG_NAMES = {"I": "进口", "E": "出口"}


def _coded(names: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((code, f"{code} {name}") for code, name in names.items())


@dataclass(frozen=True)
class SyncField:
    name: str
    """The criteria's field (and the form's)."""
    label: str
    options: tuple[tuple[str, str], ...] = ()
    """(code, 'code 名称') of a select; empty: an input."""
    required: bool = True
    input_type: str = "text"
    max_length: int | None = None
    placeholder: str = ""


RANGE = SyncField(UPDATED, "最近操作时间", input_type="date")


@dataclass(frozen=True)
class SyncScreen:
    slug: str
    kind: str
    title: str
    by_ticket: tuple[SyncField, ...]
    by_day: tuple[SyncField, ...]

    @property
    def path(self) -> str:
        return f"/console/sync/{self.slug}"

    def fields(self, mode: str) -> tuple[SyncField, ...]:
        return self.by_ticket if mode == "by_ticket" else self.by_day


DECLARATIONS = SyncScreen(
    "declarations",
    "declarations",
    "报关数据同步",
    by_ticket=(
        SyncField("seq_no", "统一编号", max_length=18, placeholder="18 位统一编号"),
        SyncField("enterprise_category", "企业类别", _coded(ENTERPRISE_CATEGORY_NAMES)),
        SyncField("entry_kind", "报关单类型", _coded(ENTRY_KIND_NAMES)),
    ),
    by_day=(
        RANGE,
        SyncField("enterprise_category", "企业类别", _coded(ENTERPRISE_CATEGORY_NAMES)),
        SyncField("trade_name", "境内收发货人", required=False, max_length=100, placeholder="不填：全部"),
    ),
)
BONDED_LISTS = SyncScreen(
    "bonded-lists",
    "bonded_lists",
    "核注清单数据同步",
    by_ticket=(
        SyncField("enterprise_type", "企业类型", _coded(BONDED_ENTERPRISE_TYPE_NAMES)),
        SyncField("number", "统一编号/清单编号", max_length=18, placeholder="统一编号或 QD 开头的清单编号"),
        SyncField("data_source", "数据源", _coded(DATA_SOURCE_NAMES)),
        SyncField("ie_flag", "进出口标志", _coded(IE_FLAG_NAMES)),
    ),
    by_day=(
        RANGE,
        SyncField("data_status", "数据状态", _coded(BONDED_LIST_STATUS_NAMES), required=False),
        SyncField("enterprise_type", "企业类型", _coded(BONDED_ENTERPRISE_TYPE_NAMES)),
        SyncField("data_source", "数据源", _coded(DATA_SOURCE_NAMES)),
        SyncField("ie_flag", "进出口标志", _coded(IE_FLAG_NAMES), required=False),
    ),
)
SYNC_SCREENS = {screen.slug: screen for screen in (DECLARATIONS, BONDED_LISTS)}


def default_values(today: date) -> dict[str, str]:
    """The forms' defaults: 最近操作时间 the last 7 days (today included), first option of each required select."""
    values = {
        "updated_from": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "updated_to": today.isoformat(),
    }
    for screen in SYNC_SCREENS.values():
        for field in (*screen.by_ticket, *screen.by_day):
            if field.options and field.required:
                values.setdefault(field.name, field.options[0][0])
    return values


def _day_start(text: str, *, next_day: bool = False) -> str:
    """`2026-11-30` -> `2026-11-30T00:00:00+08:00` (the day after with `next_day`); anything else is passed on
    as typed, for the API to refuse with its own message."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return datetime.combine(day + timedelta(days=int(next_day)), time(), CHINA_TIME).isoformat()


def criteria(screen: SyncScreen, mode: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The body of `POST /api/sync/jobs` from a submitted form: the mode's fields, empty optional ones left
    out (the API reads them as 全部)."""
    body: dict[str, Any] = {"kind": screen.kind, "mode": mode}
    for field in screen.fields(mode):
        if field.name == UPDATED:
            body["updated_from"] = _day_start(form.get("updated_from", "").strip())
            body["updated_to"] = _day_start(form.get("updated_to", "").strip(), next_day=True)
            continue
        value = form.get(field.name, "").strip()
        if value or field.required:
            body[field.name] = value
    return body


def field_errors(error: Mapping[str, Any], screen: SyncScreen, mode: str) -> dict[str, str]:
    """The API's 422 answer by form field: `request.invalid` lists `fields` (a range error names the criteria
    themselves: shown at 最近操作时间); `sync.invalid_number` names its `field`."""
    names = {field.name for field in screen.fields(mode)}
    found: dict[str, str] = {}
    if error.get("field"):
        found[_form_name(str(error["field"]), names)] = str(error.get("message_zh", ""))
    for item in error.get("fields") or []:
        message = str(item.get("message_zh", ""))
        if item.get("type") == "value_error":
            message = f"{message}：{str(item.get('message_en', '')).removeprefix('Value error, ')}"
        found.setdefault(_form_name(str(item.get("field", "")), names), message)
    return found


def _form_name(api_field: str, names: set[str]) -> str:
    last = api_field.rsplit(".", 1)[-1]
    if last in ("updated_from", "updated_to") or (last not in names and UPDATED in names):
        return UPDATED
    return last if last in names else ""


def criteria_summary(job: Mapping[str, Any], screen: SyncScreen) -> str:
    """The question a job asked, as the form put it: `按天同步 · 2026年11月24日 至 2026年11月30日 · 企业类别 1 …`."""
    asked: Mapping[str, Any] = job.get("criteria") or {}
    mode = str(job.get("mode", ""))
    parts = [MODES.get(mode, mode)]
    for field in screen.fields(mode):
        if field.name == UPDATED:
            last = _last_day(asked.get("updated_to"))
            parts.append(f"{chinese_date(_china_day(asked.get('updated_from')))} 至 {chinese_date(last)}")
            continue
        value = asked.get(field.name)
        if value:
            named = dict(field.options).get(str(value), str(value))
            parts.append(f"{field.label} {named}")
    return " · ".join(parts)


def _china_day(value: Any) -> date | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(CHINA_TIME).date() if moment.tzinfo else moment.date()


def _last_day(value: Any) -> date | None:
    """The last day of a range whose `updated_to` is exclusive: a midnight means the day before."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    local = moment.astimezone(CHINA_TIME) if moment.tzinfo else moment
    return local.date() - timedelta(days=1) if local.time() == time() else local.date()


def progress_percent(counts: Mapping[str, Any], state: str) -> int | None:
    """How much of `expected` is fetched, 0–100; None while the total is not known yet (or it is 0 and the job
    still runs)."""
    expected, fetched = counts.get("expected"), int(counts.get("fetched") or 0)
    if state == "completed":
        return 100
    if not expected:
        return None
    return min(100, fetched * 100 // int(expected))
