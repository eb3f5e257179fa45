"""What the console shows, independent of HTTP: the seed's menu and who sees which entry, and the Chinese
way of writing dates and page counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TIME = timezone(timedelta(hours=8), "CST")  # China keeps UTC+8 all year: no tz database needed
ALL_ROLES = frozenset({"preparer", "reviewer", "manager", "admin"})


@dataclass(frozen=True)
class MenuItem:
    title: str
    path: str
    built: bool = True
    """False: the screen's backend does not exist yet; the entry opens a page that says so."""


@dataclass(frozen=True)
class MenuGroup:
    title: str
    roles: frozenset[str]
    """Who sees the group (admin sees everything)."""
    items: tuple[MenuItem, ...]


DECLARATION_SCREENS: dict[str, tuple[str, str, str]] = {
    # slug: (title, 进出口标志, DocumentKind)
    "export-declaration": ("出口报关单", "E", "declaration"),
    "export-record-list": ("出口备案清单", "E", "record_list"),
    "export-transit-declaration": ("出口转关提前报关", "E", "transit_declaration"),
    "export-transit-record-list": ("出境转关提前备案清单", "E", "transit_record_list"),
    "import-declaration": ("进口报关单", "I", "declaration"),
    "import-record-list": ("进口备案清单", "I", "record_list"),
    "import-transit-declaration": ("进口转关提前报关", "I", "transit_declaration"),
    "import-transit-record-list": ("进境转关提前备案清单", "I", "transit_record_list"),
}

MENU: tuple[MenuGroup, ...] = (
    MenuGroup(
        "报关单制单",
        frozenset({"preparer"}),
        tuple(
            MenuItem(title, f"/console/declarations/{slug}")
            for slug, (title, _, _) in DECLARATION_SCREENS.items()
        ),
    ),
    MenuGroup(
        "审单",
        frozenset({"reviewer", "manager"}),
        (MenuItem("报关单审核", "/console/review/tasks"), MenuItem("审核留痕", "/console/review/audit")),
    ),
    MenuGroup(
        "异常状态登记",
        frozenset({"preparer", "reviewer", "manager"}),
        (
            MenuItem("报关单异常", "/console/anomalies/declaration"),
            MenuItem("核注清单异常", "/console/anomalies/bonded-list"),
            MenuItem("统计分析", "/console/anomalies/statistics"),
        ),
    ),
    MenuGroup(
        "业务数据查询",
        frozenset({"preparer", "reviewer", "manager"}),
        (
            MenuItem("报关数据查询", "/console/query/declarations"),
            MenuItem("概要申报数据查询", "/console/query/summary"),
        ),
    ),
    MenuGroup(
        "数据同步",
        frozenset({"preparer", "manager"}),
        (
            MenuItem("报关数据同步", "/console/sync/declarations"),
            MenuItem("核注清单数据同步", "/console/sync/bonded-lists"),
        ),
    ),
)


def menu_for(roles: frozenset[str]) -> list[MenuGroup]:
    """The groups a user with `roles` sees, in the seed's order."""
    if "admin" in roles:
        return list(MENU)
    return [group for group in MENU if group.roles & roles]


def may_open(roles: frozenset[str], path: str) -> bool:
    return any(item.path == path for group in menu_for(roles) for item in group.items)


def menu_item(path: str) -> MenuItem | None:
    return next((item for group in MENU for item in group.items if item.path == path), None)


def chinese_datetime(value: str | datetime | None) -> str:
    """`2024-05-01T06:03:00Z` -> `2024年05月01日 14:03` (China time); '' for nothing."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA_TIME).strftime("%Y年%m月%d日 %H:%M")


def chinese_date(value: str | date | None) -> str:
    """`2024-05-01` -> `2024年05月01日`; '' for nothing."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return day.strftime("%Y年%m月%d日")


@dataclass(frozen=True)
class Paging:
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.size

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
