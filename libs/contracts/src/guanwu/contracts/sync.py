"""What a sync job (数据同步, F-40/F-41) asks of the Single Window: the seed's two screens, each by ticket (按票)
or by day (按天).

The codes of 企业类别, 企业类型, 数据源 and 数据状态 are not in the customs' published tables; the values below
are guanwu's, chosen from the parties the documents name (DecHead's 境内收发货人/申报单位/消费使用单位, InvtHead's
经营企业/收发货企业/申报企业) and the 核注清单's ListStat. `*_NAMES` give the Chinese names people read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

SyncKind = Literal["declarations", "bonded_lists"]
SyncMode = Literal["by_ticket", "by_day"]

EnterpriseCategory = Literal["1", "2", "3"]
ENTERPRISE_CATEGORY_NAMES = {"1": "境内收发货人", "2": "申报单位", "3": "消费使用/生产销售单位"}
"""企业类别 (F-40): which party of the 报关单 the enterprise is."""

EntryKind = Literal["0", "1", "2", "3", "4"]
ENTRY_KIND_NAMES = {
    "0": "一般报关单",
    "1": "转关提前报关单",
    "2": "备案清单",
    "3": "转关提前备案清单",
    "4": "出口二次转关",
}
"""报关单类型 (F-40), the Single Window's query list (reference §4)."""

BondedEnterpriseType = Literal["1", "2", "3"]
BONDED_ENTERPRISE_TYPE_NAMES = {"1": "经营企业", "2": "收发货企业", "3": "申报企业"}
"""企业类型 (F-41): which party of the 核注清单 the enterprise is."""

DataSource = Literal["1", "2"]
DATA_SOURCE_NAMES = {"1": "单一窗口录入", "2": "报文导入"}
"""数据源 (F-41): how the 核注清单 reached the Single Window."""

BondedListStatus = Literal["0", "1", "2", "3"]
BONDED_LIST_STATUS_NAMES = {"0": "审核通过", "1": "申报", "2": "退单", "3": "删单"}
"""数据状态 (F-41): the 核注清单's ListStat (reference §2)."""

IEFlag = Literal["I", "E"]

MAX_DAY_RANGE = timedelta(days=92)
"""The longest 最近操作时间 range one by-day job may cover (a quarter); longer ones are split by the caller."""

SEQ_NO_PATTERN = r"^[0-9A-Z]{18}$"
"""统一编号: 18 letters or digits (the kernel checks the form further)."""
BONDED_NUMBER_PATTERN = r"^([0-9A-Z]{18}|QD[0-9A-Z]{16})$"
"""统一编号 or 清单编号 (QD + 关区 + 年 + I/E + 序号) of a 核注清单."""


class _Criteria(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _DayRange(_Criteria):
    updated_from: datetime = Field(description="最近操作时间 from (inclusive)")
    updated_to: datetime = Field(description="最近操作时间 to (exclusive)")

    @model_validator(mode="after")
    def _ordered_and_bounded(self) -> _DayRange:
        if (self.updated_from.tzinfo is None) != (self.updated_to.tzinfo is None):
            raise ValueError("updated_from and updated_to: both with a time zone or both without")
        if self.updated_to <= self.updated_from:
            raise ValueError("最近操作时间 updated_to must be after updated_from")
        if self.updated_to - self.updated_from > MAX_DAY_RANGE:
            raise ValueError(f"最近操作时间 covers at most {MAX_DAY_RANGE.days} days per job")
        return self


class DeclarationsByTicket(_Criteria):
    """报关数据同步 · 按票同步: one declaration by its 统一编号."""

    kind: Literal["declarations"] = "declarations"
    mode: Literal["by_ticket"] = "by_ticket"
    seq_no: str = Field(pattern=SEQ_NO_PATTERN, description="统一编号")
    enterprise_category: EnterpriseCategory = Field(description="企业类别: " + str(ENTERPRISE_CATEGORY_NAMES))
    entry_kind: EntryKind = Field(description="报关单类型: " + str(ENTRY_KIND_NAMES))


class DeclarationsByDay(_DayRange):
    """报关数据同步 · 按天同步: every declaration last touched in a period."""

    kind: Literal["declarations"] = "declarations"
    mode: Literal["by_day"] = "by_day"
    enterprise_category: EnterpriseCategory = Field(description="企业类别: " + str(ENTERPRISE_CATEGORY_NAMES))
    trade_name: str | None = Field(
        default=None, min_length=1, max_length=100, description="境内收发货人 (name); empty: all"
    )


class BondedListsByTicket(_Criteria):
    """核注清单数据同步 · 按票同步: one 核注清单 by 统一编号 or 清单编号."""

    kind: Literal["bonded_lists"] = "bonded_lists"
    mode: Literal["by_ticket"] = "by_ticket"
    enterprise_type: BondedEnterpriseType = Field(
        description="企业类型: " + str(BONDED_ENTERPRISE_TYPE_NAMES)
    )
    number: str = Field(pattern=BONDED_NUMBER_PATTERN, description="统一编号 or 清单编号 (QD…)")
    data_source: DataSource = Field(description="数据源: " + str(DATA_SOURCE_NAMES))
    ie_flag: IEFlag = Field(description="进出口标志: I 进口, E 出口")


class BondedListsByDay(_DayRange):
    """核注清单数据同步 · 按天同步: every 核注清单 last touched in a period."""

    kind: Literal["bonded_lists"] = "bonded_lists"
    mode: Literal["by_day"] = "by_day"
    data_status: BondedListStatus | None = Field(
        default=None, description="数据状态: " + str(BONDED_LIST_STATUS_NAMES) + "; empty: all"
    )
    enterprise_type: BondedEnterpriseType = Field(
        description="企业类型: " + str(BONDED_ENTERPRISE_TYPE_NAMES)
    )
    data_source: DataSource = Field(description="数据源: " + str(DATA_SOURCE_NAMES))
    ie_flag: IEFlag | None = Field(default=None, description="进出口标志: I 进口, E 出口; empty: both")


def _scope(value: object) -> str:
    if isinstance(value, dict):
        return f"{value.get('kind')}.{value.get('mode')}"
    return f"{getattr(value, 'kind', None)}.{getattr(value, 'mode', None)}"


SyncCriteria = Annotated[
    Annotated[DeclarationsByTicket, Tag("declarations.by_ticket")]
    | Annotated[DeclarationsByDay, Tag("declarations.by_day")]
    | Annotated[BondedListsByTicket, Tag("bonded_lists.by_ticket")]
    | Annotated[BondedListsByDay, Tag("bonded_lists.by_day")],
    Discriminator(
        _scope,
        custom_error_type="sync_scope",
        custom_error_message="kind must be declarations or bonded_lists and mode by_ticket or by_day",
    ),
]
"""One sync job's question, told apart by `kind` and `mode`."""

SyncJobState = Literal["queued", "running", "completed", "failed", "cancelled"]


class SyncCounts(BaseModel):
    """How far a job got. `fetched` = written + unchanged + quarantined."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    pages: int = Field(default=0, ge=0, description="Pages read from the Single Window")
    fetched: int = Field(default=0, ge=0, description="Records the Single Window returned")
    written: int = Field(
        default=0, ge=0, description="Records new or changed at the Single Window, published"
    )
    unchanged: int = Field(default=0, ge=0, description="Records already synced at the same version")
    quarantined: int = Field(
        default=0, ge=0, description="Records that could not be read (kept with the reason)"
    )
    expected: int | None = Field(
        default=None, ge=0, description="What the Single Window said it holds, if it said"
    )
