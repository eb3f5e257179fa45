"""Commands on a tenant's auto-registration rules (F-22): read, replace, back to the settings' rules."""

from __future__ import annotations

from guanwu.anomaly.domain.rules import RegistrationRules, RulesInput, checked_rules
from guanwu.anomaly.service_layer.unit_of_work import AnomalyUnitOfWork
from guanwu.platform.clock import Clock


async def tenant_rules(
    tenant: str, *, uow: AnomalyUnitOfWork, defaults: RegistrationRules
) -> RegistrationRules:
    """The rules the tenant's receipts follow: its own, else the settings'."""
    return await uow.rules.get(tenant) or defaults


async def replace_rules(
    form: RulesInput, *, tenant: str, user_id: str, uow: AnomalyUnitOfWork, clock: Clock
) -> RegistrationRules:
    """The tenant's rules become `form`'s (checked: InvalidRule changes nothing); receipts handled from now on
    follow them, records registered before stay."""
    return await uow.rules.put(tenant, checked_rules(form.rules), by=user_id, at=clock())


async def reset_rules(
    tenant: str, *, uow: AnomalyUnitOfWork, defaults: RegistrationRules
) -> RegistrationRules:
    """The tenant follows the settings' rules again."""
    await uow.rules.remove(tenant)
    return defaults
