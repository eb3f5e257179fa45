"""Why the declaration service refuses a command: the platform's refusal types with the service's codes, so the
platform's error handlers answer them (409, 422, 404, 412) and no route translates exceptions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from guanwu.platform.refusal import InvalidRequest, NotFound, Noun, Refusal

DECLARATION = Noun("declaration", "报关单", "declaration")
TEMPLATE = Noun("template", "模版", "template")
BONDED_LIST = Noun("bonded_list", "核注清单", "bonded list")


class LifecycleError(Refusal):
    """A command that the current state does not allow; carries the reason in both languages and, when
    logic checks were the reason, the findings (field path, rule, message) that block it."""


class NotApproved(Refusal):
    """The 核注清单 is not (pre-)approved: customs would not accept a declaration generated from it."""

    def __init__(self, list_stat: str) -> None:
        super().__init__(
            "declaration.bonded_list_not_approved",
            f"核注清单状态为 {list_stat}，只有审核通过（预审批通过）的清单才能生成报关单",
            f"Only an approved 核注清单 can produce a declaration (list status {list_stat})",
            field="head.list_stat",
        )
        self.list_stat = list_stat


class BondedListNotFound(NotFound):
    """No 核注清单 with that number has been synced (核注清单数据同步) into the caller's tenant."""

    def __init__(self, number: str) -> None:
        Refusal.__init__(
            self,
            "declaration.bonded_list_not_found",
            f"没有编号为 {number} 的核注清单，请先在「核注清单数据同步」中同步它",
            f"No 核注清单 numbered {number} has been synced; sync it first (核注清单数据同步)",
        )
        self.number = number


class Unmappable(InvalidRequest):
    """The 核注清单 lacks or carries values the declaration cannot take (e.g. no 进出口标志, a name too long);
    `fields` name them as declaration fields."""

    def __init__(self, fields: Sequence[Mapping[str, str]]) -> None:
        reasons = "; ".join(f"{f['field']}: {f['message_en']}" for f in fields)
        super().__init__(
            "declaration.bonded_list_unmappable",
            "核注清单数据不足或不符合报关单要求，不能生成报关单（见 fields，字段为报关单字段）",
            f"The 核注清单 cannot become a declaration: {reasons}",
            fields=list(fields),
        )
        self.fields = list(fields)


class UnknownDistrict(InvalidRequest):
    """A 申报地海关 that is not in the customs district table."""

    def __init__(self, custom_master: str) -> None:
        super().__init__(
            "declaration.unknown_district",
            f"申报地海关 {custom_master} 不在关区代码表中",
            f"Customs district {custom_master} is not in the district code table",
            field="custom_master",
        )
        self.custom_master = custom_master
