"""HTTP API of the auto-registration rules (F-22): which receipts register which anomaly records, per tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from guanwu.anomaly.domain.rules import RegistrationRules, RulesInput
from guanwu.anomaly.service_layer.context import AnomalyContext
from guanwu.anomaly.service_layer.handlers.rules import replace_rules, reset_rules, tenant_rules
from guanwu.platform.auth import CurrentPrincipal, require_roles
from guanwu.platform.http.context import service_context

Context = Annotated[AnomalyContext, Depends(service_context("anomaly"))]

router = APIRouter(prefix="/api/anomaly", tags=["anomaly"])

MANAGING = require_roles("manager")
"""Who may change the rules: managers (and admins)."""


@router.get(
    "/rules",
    response_model=RegistrationRules,
    summary="自动登记规则 / auto-registration rules",
    description="The rules the tenant's receipts follow: its own, else the settings' (`source`).",
)
async def get_rules(principal: CurrentPrincipal, context: Context) -> RegistrationRules:
    return await tenant_rules(principal.tenant, uow=context.new_uow(), defaults=context.default_rules)


@router.put(
    "/rules",
    response_model=RegistrationRules,
    summary="设置自动登记规则 / replace the auto-registration rules",
    description="Replaces all the tenant's rules; receipts handled from now on follow them. 422 "
    "`anomaly.invalid_rule` names a code its kind does not have or a kind and code given twice.",
    dependencies=[MANAGING],
)
async def put_rules(form: RulesInput, principal: CurrentPrincipal, context: Context) -> RegistrationRules:
    return await replace_rules(
        form, tenant=principal.tenant, user_id=principal.user_id, uow=context.new_uow(), clock=context.clock
    )


@router.delete(
    "/rules",
    response_model=RegistrationRules,
    summary="恢复默认自动登记规则 / back to the default rules",
    description="The tenant's own rules are dropped; its receipts follow the settings' rules again.",
    dependencies=[MANAGING],
)
async def delete_rules(principal: CurrentPrincipal, context: Context) -> RegistrationRules:
    return await reset_rules(principal.tenant, uow=context.new_uow(), defaults=context.default_rules)
