"""The lists' query parameters, shared by every endpoint that lists the same rows (the list, 概要申报, the exports):
`Depends(declaration_search)` gives a declaration list's criteria, `Depends(list_order)` its order, and
`Depends(bonded_list_search)` the 核注清单 list's criteria."""

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query

from guanwu.contracts.sync import (
    BONDED_LIST_STATUS_NAMES,
    DATA_SOURCE_NAMES,
    ENTERPRISE_CATEGORY_NAMES,
    SEQ_NO_PATTERN,
    BondedListStatus,
    DataSource,
    EnterpriseCategory,
)
from guanwu.query.domain.bonded_lists import BondedListSearch
from guanwu.query.domain.declarations import ORIGIN_NAMES, REVIEW_STATUSES, TWO_STEP_NAMES
from guanwu.query.domain.search import DeclarationSearch, Order, SortField, SortOrder

BEIJING = "; a time without an offset is Beijing time (+08:00)"

T = TypeVar("T")


def awaited(factory: Callable[..., T]) -> Callable[..., Any]:
    """`factory` (a dataclass of query parameters) as an async dependency with the same parameters: FastAPI runs
    a plain callable, a class too, in its thread pool — two thread switches per request to build a few fields,
    milliseconds on a busy machine."""

    async def dependency(**given: Any) -> T:
        return factory(**given)

    signature = inspect.signature(factory)
    dependency.__signature__ = signature.replace(return_annotation=factory)  # type: ignore[attr-defined]
    dependency.__name__ = f"{getattr(factory, '__name__', 'params')}_dependency"
    return dependency


@dataclass
class SearchParams:
    """The list's criteria as query parameters (FastAPI reads the fields)."""

    declaration_id: Annotated[str | None, Query(max_length=64, description="系统编号 (exact)")] = None
    client_seq_no: Annotated[str | None, Query(max_length=18, description="申报单号 (exact)")] = None
    seq_no: Annotated[str | None, Query(max_length=18, description="统一编号 (exact)")] = None
    entry_id: Annotated[str | None, Query(max_length=18, description="海关编号 (exact)")] = None
    bill_no: Annotated[str | None, Query(max_length=32, description="提运单号 (exact)")] = None
    ie_flag: Annotated[Literal["I", "E"] | None, Query(description="进出口标志: I 进口, E 出口")] = None
    kind: Annotated[str | None, Query(max_length=40, description="单据类型 (declaration, record_list …)")] = (
        None
    )
    status: Annotated[str | None, Query(max_length=20, description="系统状态 (草稿, 待审核, 放行 …)")] = None
    review_status: Annotated[
        Literal["未提交", "待审核", "审核通过", "审核退回"] | None,
        Query(description="审核状态: " + "/".join(REVIEW_STATUSES)),
    ] = None
    custom_master: Annotated[str | None, Query(max_length=4, description="申报地海关 (关区代码)")] = None
    ie_port: Annotated[str | None, Query(max_length=4, description="申报地: 进/出境关别 (关区代码)")] = None
    trade_code: Annotated[str | None, Query(max_length=18, description="境内收发货人海关编码")] = None
    trade_name: Annotated[
        str | None, Query(max_length=100, description="境内收发货人: contained text (case, blanks ignored)")
    ] = None
    trade_mode: Annotated[str | None, Query(max_length=4, description="监管方式 (code)")] = None
    prepared_by: Annotated[str | None, Query(max_length=64, description="制单人 (user id)")] = None
    channel: Annotated[
        str | None, Query(max_length=2, description="申报状态: the newest receipt's CHANNEL")
    ] = None
    two_step: Annotated[Literal["5", "6"] | None, Query(description="两步申报: " + str(TWO_STEP_NAMES))] = (
        None
    )
    origin: Annotated[Literal["here", "synced"] | None, Query(description=str(ORIGIN_NAMES))] = None
    enterprise_category: Annotated[
        EnterpriseCategory | None, Query(description="企业类别: " + str(ENTERPRISE_CATEGORY_NAMES))
    ] = None
    hs_code: Annotated[str | None, Query(max_length=10, description="商品编号 of any goods line (exact)")] = (
        None
    )
    goods_name: Annotated[
        str | None, Query(max_length=100, description="商品名称 of any goods line: contained text")
    ] = None
    updated_from: Annotated[datetime | None, Query(description="最近操作时间 from, inclusive" + BEIJING)] = (
        None
    )
    updated_to: Annotated[datetime | None, Query(description="最近操作时间 to, exclusive" + BEIJING)] = None
    declared_from: Annotated[datetime | None, Query(description="申报日期 from, inclusive" + BEIJING)] = None
    declared_to: Annotated[datetime | None, Query(description="申报日期 to, exclusive" + BEIJING)] = None


async def declaration_search(
    params: Annotated[SearchParams, Depends(awaited(SearchParams))],
) -> DeclarationSearch:
    return DeclarationSearch(**asdict(params))


async def list_order(
    sort: Annotated[
        SortField, Query(description="Order by 最近操作时间, 申报日期, 统一编号 or 海关编号")
    ] = "updated_at",
    order: Annotated[SortOrder, Query(description="asc or desc; ties by 系统编号 the same way")] = "desc",
) -> Order:
    return Order(sort, order)


BOND_INVT_NO_PATTERN = r"^QD[0-9A-Z]{16}$"
UPDATED_AT = "最近操作时间 (sw_updated_at); a time without an offset is Beijing time (+08:00)"


@dataclass
class BondedListParams:
    """The 核注清单 list's criteria as query parameters (FastAPI reads the fields)."""

    bond_invt_no: Annotated[
        str | None, Query(pattern=BOND_INVT_NO_PATTERN, description="清单编号 QD… (exact)")
    ] = None
    seq_no: Annotated[str | None, Query(pattern=SEQ_NO_PATTERN, description="统一编号 (exact)")] = None
    list_stat: Annotated[
        BondedListStatus | None, Query(description="数据状态: " + str(BONDED_LIST_STATUS_NAMES))
    ] = None
    ie_flag: Annotated[Literal["I", "E"] | None, Query(description="进出口标志: I 进口, E 出口")] = None
    data_source: Annotated[DataSource | None, Query(description="数据源: " + str(DATA_SOURCE_NAMES))] = None
    trade_name: Annotated[
        str | None, Query(min_length=1, max_length=512, description="经营企业名称 (exact, whole name)")
    ] = None
    updated_from: Annotated[datetime | None, Query(description=UPDATED_AT + " from, inclusive")] = None
    updated_to: Annotated[datetime | None, Query(description=UPDATED_AT + " to, exclusive")] = None


async def bonded_list_search(
    params: Annotated[BondedListParams, Depends(awaited(BondedListParams))],
) -> BondedListSearch:
    return BondedListSearch(**asdict(params))
